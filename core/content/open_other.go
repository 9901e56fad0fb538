//go:build !unix

package content

import "os"

// openNonBlocking opens path read-only. follow is ignored here: a symbolic
// link swapped in for a file is followed, and the caller's regular-file
// check on the opened handle still applies.
func openNonBlocking(path string, follow bool) (*os.File, error) {
	return os.Open(path)
}
