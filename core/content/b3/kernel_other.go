//go:build !amd64 || purego

package b3

const haveKernel = false

func hash8(in *byte, stride uintptr, blocks int, lanes *laneParams, out *[64]uint32) {
	panic("b3: no SIMD kernel on this platform")
}
