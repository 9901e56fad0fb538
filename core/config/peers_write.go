package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// SavePeersListen sets listen in the [peers] table of the settings file
// at path and returns the settings now in the file. Only that line
// changes: it is rewritten where it is, added under [peers] when missing,
// or a [peers] table with its comments is added at the end. A missing
// file is created with the defaults first.
//
// listen is validated, and the new text is parsed back and compared
// before anything is written; the file is replaced atomically, keeping
// its mode.
func SavePeersListen(path, listen string) (Config, error) {
	saveMu.Lock()
	defer saveMu.Unlock()
	if ps := (Peers{Listen: listen}).problems(); len(ps) > 0 {
		return Config{}, errors.New(ps[0].msg)
	}
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		old, err = defaultFile(), nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	file := filepath.Base(path)
	cur, p := parse(string(old))
	if p != nil {
		return Config{}, fmt.Errorf("%s cannot be changed while it has a problem: %w", file,
			&Error{File: file, Line: p.line, Key: p.keyString(), Msg: p.msg, Err: p.err})
	}
	text := setPeersListen(string(old), listen, cur.Peers)
	want := cur
	want.Peers.Listen = listen
	got, p := parse(text)
	if p != nil || !reflect.DeepEqual(got, want) {
		return Config{}, fmt.Errorf("peers.listen in %s is written in a way Holdfast cannot rewrite (a dotted key or an inline table?); edit it by hand", file)
	}
	if err := replaceAtomic(path, []byte(text)); err != nil {
		return Config{}, fmt.Errorf("write config: %w", err)
	}
	return got, nil
}

// setPeersListen returns text with peers.listen set to listen.
func setPeersListen(text, listen string, cur Peers) string {
	line := fmt.Sprintf("listen = %q", listen)
	idx := indexLines(text)
	lines := strings.Split(text, "\n")
	if n, ok := idx[toml.Key{"peers", "listen"}.String()]; ok {
		l := lines[n-1]
		indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		lines[n-1] = indent + line
		return strings.Join(lines, "\n")
	}
	if n, ok := idx[toml.Key{"peers"}.String()]; ok && strings.HasPrefix(strings.TrimLeft(lines[n-1], " \t\ufeff"), "[peers]") {
		lines = slices.Insert(lines, n, line)
		return strings.Join(lines, "\n")
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(text, "\n") + "\n")
	cur.Listen = listen
	writePeers(func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }, cur)
	return b.String()
}
