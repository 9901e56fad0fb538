//go:build !amd64 || purego

package b3

const haveKernel, prefer16 = false, false

func hash8(in *byte, stride uintptr, blocks int, lanes *laneParams, out *[64]uint32) {
	panic("b3: no SIMD kernel on this platform")
}

func hash16(in *byte, stride uintptr, blocks int, lanes *laneParams16, out *[128]uint32) {
	panic("b3: no SIMD kernel on this platform")
}
