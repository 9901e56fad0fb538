//go:build amd64 && !purego

package b3

import "golang.org/x/sys/cpu"

// haveKernel: this CPU runs hash8 and hash16.
var haveKernel = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

// prefer16: hash16 pays on this CPU. Skylake-SP and Cascade Lake lower
// their clock while 512-bit registers are busy, which can cost the rest
// of the process more than the wider kernel saves; the CPUs that do not
// (Ice Lake and later, AMD's Zen 4 and 5) are the ones with VBMI2.
var prefer16 = haveKernel && cpu.X86.HasAVX512VBMI2

// hash8 compresses eight inputs, input l at in + l·stride, blocks blocks
// of 64 bytes at most, from BLAKE3's IV, as lanes describes them; out
// receives the eight chaining values. It reads every lane's blocks up to
// blocks, also past that lane's last: in must allow that.
//
//go:noescape
func hash8(in *byte, stride uintptr, blocks int, lanes *laneParams, out *[64]uint32)

// hash16 compresses sixteen inputs, input l at in + l·stride, each of
// blocks full blocks of 64 bytes, from BLAKE3's IV, with lanes' counters
// and flags (start on the first block, end on the last); out receives the
// sixteen chaining values.
//
//go:noescape
func hash16(in *byte, stride uintptr, blocks int, lanes *laneParams16, out *[128]uint32)
