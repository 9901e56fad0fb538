//go:build !linux

package backup

// renameNoReplace moves a finished file into place unless something
// already exists there (then the error wraps fs.ErrExist).
func renameNoReplace(from, to string) error { return renameIfAbsent(from, to) }
