package repo

import (
	"bytes"
	mrand "math/rand/v2"
	"testing"
)

// compressors returns every blob compressor this build has.
func compressors() []compressor {
	if blobCompressor.name == klauspostCompressor.name {
		return []compressor{klauspostCompressor}
	}
	return []compressor{klauspostCompressor, blobCompressor}
}

// decompressors returns every blob decompressor this build has.
func decompressors() []decompressor {
	if blobDecompressor.name == klauspostDecompressor.name {
		return []decompressor{klauspostDecompressor}
	}
	return []decompressor{klauspostDecompressor, blobDecompressor}
}

// Every decompressor reads every compressor's frames, into exactly the
// room it is given: a frame that decodes to more fails, and so do
// damaged frames.
func TestDecompressorsReadEveryCompressor(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(8, 8))
	data := append(textBytes(9, 700<<10), randBytes(rng, 100<<10)...)
	for _, c := range compressors() {
		frame, ok, err := c.append(nil, data, 2*len(data))
		if err != nil || !ok {
			t.Fatal(c.name, ok, err)
		}
		for _, d := range decompressors() {
			room := make([]byte, len(data)+10)
			n, err := d.decode(room[:len(data):len(data)], frame)
			if err != nil || n != len(data) || !bytes.Equal(room[:n], data) {
				t.Fatalf("%s frame, %s: n %d, %v", c.name, d.name, n, err)
			}
			room[len(data)-1] = 0xAA
			if n, err := d.decode(room[:len(data)-1:len(data)-1], frame); err == nil {
				t.Fatalf("%s frame, %s: decoded %d bytes into one byte too few", c.name, d.name, n)
			}
			if room[len(data)-1] != 0xAA {
				t.Fatalf("%s frame, %s: wrote past its room", c.name, d.name)
			}
			// A frame cut short never decodes; one with a flipped byte
			// either fails or decodes to something else (the BLAKE3
			// check after it catches that).
			if n, err := d.decode(make([]byte, len(data)), frame[:len(frame)-3]); err == nil {
				t.Fatalf("%s frame, %s: a truncated frame decoded to %d bytes", c.name, d.name, n)
			}
			bad := bytes.Clone(frame)
			bad[len(bad)/2] ^= 0xFF
			out := make([]byte, len(data))
			if n, err := d.decode(out, bad); err == nil && n == len(data) && bytes.Equal(out, data) {
				t.Fatalf("%s frame, %s: a damaged frame decoded to the original", c.name, d.name)
			}
			if _, err := d.decode(make([]byte, 10), nil); err == nil {
				t.Fatalf("%s: empty input decoded", d.name)
			}
		}
	}
}

// Each compressor writes a standard frame the decoder reads back, keeps to
// the limit it is given exactly, and leaves dst as it was when the frame
// does not fit.
func TestCompressorsKeepToTheLimit(t *testing.T) {
	_, dec, err := codec()
	if err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(5, 5))
	inputs := []struct {
		name string
		data []byte
	}{
		{"text 100 KiB", textBytes(2, 100<<10)},
		{"text 3 MiB", textBytes(3, 3<<20)},
		{"zeros 1 MiB", make([]byte, 1<<20)},
		{"mixed", append(randBytes(rng, 300<<10), textBytes(4, 300<<10)...)},
		{"random", randBytes(rng, 200<<10)},
		{"64 bytes", textBytes(5, 64)},
	}
	for _, c := range compressors() {
		for _, in := range inputs {
			prefix := []byte("prefix")
			out, ok, err := c.append(bytes.Clone(prefix), in.data, len(in.data)*2)
			if err != nil || !ok {
				t.Fatalf("%s, %s, generous limit: ok %v, %v", c.name, in.name, ok, err)
			}
			if !bytes.Equal(out[:len(prefix)], prefix) {
				t.Fatalf("%s, %s: prefix overwritten", c.name, in.name)
			}
			frame := out[len(prefix):]
			got, err := dec.DecodeAll(frame, make([]byte, 0, len(in.data)))
			if err != nil || !bytes.Equal(got, in.data) {
				t.Fatalf("%s, %s: round trip: %v", c.name, in.name, err)
			}
			// The exact size fits; one byte less does not.
			if _, ok, err := c.append(nil, in.data, len(frame)); !ok || err != nil {
				t.Fatalf("%s, %s: limit = frame size (%d) refused: %v", c.name, in.name, len(frame), err)
			}
			short, ok, err := c.append(bytes.Clone(prefix), in.data, len(frame)-1)
			if ok || err != nil || !bytes.Equal(short, prefix) {
				t.Fatalf("%s, %s: limit one under the frame: ok %v, %v, dst %q…", c.name, in.name, ok, err, short[:min(len(short), 10)])
			}
		}
	}
}

// appendPayload stores what does not shrink by 3 % raw, whichever
// compressor the build uses, and the decoder reads what it stores.
func TestPayloadKeepsOnlyWhatShrinks(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(6, 6))
	for _, c := range compressors() {
		saved := blobCompressor
		blobCompressor = c
		for _, tc := range []struct {
			name string
			data []byte
			flag byte
		}{
			{"random", randBytes(rng, 1<<20), flagRaw},
			// 97 % random, 3 % zeros: shrinks by less than 3 %.
			{"barely compressible", append(randBytes(rng, 970<<10), make([]byte, 20<<10)...), flagRaw},
			{"text", textBytes(7, 1<<20), flagZstd},
		} {
			p, err := appendPayload(nil, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if p[0] != tc.flag {
				t.Errorf("%s, %s: flag %d, want %d (payload %d of %d bytes)", c.name, tc.name, p[0], tc.flag, len(p), len(tc.data))
			}
			if tc.flag == flagZstd && (len(p)-1)*keepDen > len(tc.data)*keepNum {
				t.Errorf("%s, %s: kept a frame of %d bytes for %d", c.name, tc.name, len(p)-1, len(tc.data))
			}
			got, err := decodePayload(nil, p, len(tc.data))
			if err != nil || !bytes.Equal(got, tc.data) {
				t.Fatalf("%s, %s: round trip: %v", c.name, tc.name, err)
			}
		}
		blobCompressor = saved
	}
}

// The build's compressor must not make repositories larger than restic's
// (which compresses with klauspost at the same level and window).
func TestCompressorSizeMatchesKlauspost(t *testing.T) {
	data := benchText()
	limit := 2 * len(data)
	ref, ok, err := klauspostCompressor.append(nil, data, limit)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	got, ok, err := blobCompressor.append(nil, data, limit)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	t.Logf("%s: %d bytes, klauspost: %d, of %d", blobCompressor.name, len(got), len(ref), len(data))
	if len(got)*100 > len(ref)*101 {
		t.Fatalf("%s: %d bytes, more than 1.01 × klauspost's %d", blobCompressor.name, len(got), len(ref))
	}
}
