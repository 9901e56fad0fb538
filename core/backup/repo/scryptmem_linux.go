package repo

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// tableMemory returns n zeroed words for a ROMix table outside the Go
// heap, in transparent huge pages where the kernel has them: a table is
// written once front to back and then read at random, so 4 KiB pages
// would cost one page fault (dear on a VM) and one TLB miss each, 4,096
// faults per 16 MiB table. free gives the memory back at once. It falls
// back to the heap when the mapping fails.
func tableMemory(n int) (words []uint32, free func()) {
	size := n * 4
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return make([]uint32, n), func() {}
	}
	_ = unix.Madvise(b, unix.MADV_HUGEPAGE) // a hint: without it, 4 KiB pages
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(b))), n), func() { _ = unix.Munmap(b) }
}
