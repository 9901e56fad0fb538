//go:build windows

package control

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Microsoft/go-winio"
)

// pipeName maps the socket path in the home to a named pipe: the same
// home always gives the same pipe, different homes different ones.
func pipeName(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	sum := sha256.Sum256([]byte(strings.ToLower(abs)))
	return `\\.\pipe\holdfast-` + hex.EncodeToString(sum[:8])
}

// listen creates the named pipe, open only to its owner (and the
// system), and leaves a marker file at path naming it.
func listen(path string) (net.Listener, error) {
	name := pipeName(path)
	ln, err := winio.ListenPipe(name, &winio.PipeConfig{
		// Owner: full access; SYSTEM: full access; nobody else.
		SecurityDescriptor: "D:P(A;;GA;;;OW)(A;;GA;;;SY)",
	})
	if err != nil {
		return nil, fmt.Errorf("listen on control pipe %s: %w", name, err)
	}
	if err := os.WriteFile(path, []byte(name+"\n"), 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("write control pipe marker %s: %w", path, err)
	}
	return ln, nil
}

func dial(path string, timeout time.Duration) (net.Conn, error) {
	return winio.DialPipe(pipeName(path), &timeout)
}

func isNoEngine(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, winio.ErrTimeout) ||
		strings.Contains(err.Error(), "cannot find the file")
}

func removeEndpoint(path string) { os.Remove(path) }
