//go:build !linux

package repo

// tableMemory returns n zeroed words for a ROMix table (see the Linux
// version) from the heap.
func tableMemory(n int) ([]uint32, func()) { return make([]uint32, n), func() {} }
