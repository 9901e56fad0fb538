//go:build !unix

package backup

import "os"

// createRestoreTemp creates a new, empty temporary file in dir to restore
// into.
func createRestoreTemp(dir string) (*os.File, error) {
	return os.CreateTemp(dir, restoreTempPrefix)
}
