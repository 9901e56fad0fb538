package b3

import (
	"hash"

	"github.com/zeebo/blake3"
)

// pieceLen is how much input the Hasher hashes into one subtree at a
// time: 64 chunks, a power of two, so every piece is a whole subtree of
// BLAKE3's tree.
const pieceLen = 64 * chunkLen

// Hasher is BLAKE3 over a stream of writes. Sum does not change its
// state. Its zero value is not ready: use New.
type Hasher struct {
	z      *blake3.Hasher // without the kernel
	stack  [][8]uint32    // chaining values of whole subtrees, largest first
	pieces uint64         // pieces hashed into the stack
	buf    []byte         // input after them: at most one piece, kept until more comes
}

var _ hash.Hash = (*Hasher)(nil)

// New returns a Hasher.
func New() *Hasher {
	if !haveKernel {
		return &Hasher{z: blake3.New()}
	}
	return &Hasher{}
}

// Write hashes p. It never fails.
func (h *Hasher) Write(p []byte) (int, error) {
	if h.z != nil {
		return h.z.Write(p)
	}
	n := len(p)
	if h.buf == nil {
		h.buf = make([]byte, 0, pieceLen) // not before a Write: many hashers never see one
	}
	if len(h.buf) > 0 {
		take := min(len(p), pieceLen-len(h.buf))
		h.buf = append(h.buf, p[:take]...)
		p = p[take:]
		if len(p) == 0 {
			return n, nil // a full piece waits until more comes
		}
		h.piece(h.buf)
		h.buf = h.buf[:0]
	}
	// Whole pieces straight from p, the last one kept back.
	for len(p) > pieceLen {
		h.piece(p[:pieceLen])
		p = p[pieceLen:]
	}
	h.buf = append(h.buf, p...)
	return n, nil
}

// piece hashes one piece that more input follows into the stack,
// merging the subtrees it completes.
func (h *Hasher) piece(p []byte) {
	var level [pieceLen / chunkLen][8]uint32
	cv := subtreeCV(p, h.pieces*(pieceLen/chunkLen), level[:])
	h.pieces++
	for t := h.pieces; t&1 == 0; t >>= 1 {
		top := len(h.stack) - 1
		cv = parentCV(&h.stack[top], &cv)
		h.stack = h.stack[:top]
	}
	h.stack = append(h.stack, cv)
}

// Sum appends the hash of everything written to b.
func (h *Hasher) Sum(b []byte) []byte {
	if h.z != nil {
		return h.z.Sum(b)
	}
	var sum [32]byte
	if h.pieces == 0 {
		sum = Sum256(h.buf)
	} else {
		// The input after the stack (at least a byte: a piece goes into
		// the stack only when more follows) is the rightmost subtree;
		// then the stack's subtrees from the smallest up, the largest
		// with it at the root.
		var level [pieceLen / chunkLen][8]uint32
		cv := subtreeCV(h.buf, h.pieces*(pieceLen/chunkLen), level[:])
		for i := len(h.stack) - 1; i > 0; i-- {
			cv = parentCV(&h.stack[i], &cv)
		}
		sum = rootOf(&h.stack[0], &cv)
	}
	return append(b, sum[:]...)
}

// Reset forgets everything written.
func (h *Hasher) Reset() {
	if h.z != nil {
		h.z.Reset()
		return
	}
	h.stack, h.pieces, h.buf = h.stack[:0], 0, h.buf[:0]
}

// Size is 32 bytes.
func (h *Hasher) Size() int { return 32 }

// BlockSize is BLAKE3's block size.
func (h *Hasher) BlockSize() int { return blockLen }
