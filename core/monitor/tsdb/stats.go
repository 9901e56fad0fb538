package tsdb

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// BlockStat sums what one series stores in one tier: its blocks as they
// are on disk. Unflushed samples are not counted.
type BlockStat struct {
	// Series is the canonical key; empty for blocks whose series id is
	// not in the index (left behind by a crash between two writes).
	Series string `json:"series"`
	Kind   Kind   `json:"kind"`
	Tier   Tier   `json:"tier"`
	// Blocks and Points count the decodable blocks and their points
	// (samples in the raw tier, rollup buckets in the others).
	Blocks int `json:"blocks"`
	Points int `json:"points"`
	// Bytes is the encoded size of those blocks (headers, timestamps,
	// value columns and checksums); KeyBytes the size of their bbolt keys.
	Bytes    int64 `json:"bytes"`
	KeyBytes int64 `json:"key_bytes"`
	// Codecs counts value columns by the encoding the writer chose:
	// XOR, decimal (delta), decimal (delta of delta), rational.
	Codecs [4]int `json:"codecs"`
	// Corrupt counts blocks that failed to decode; they are in no other
	// field.
	Corrupt int `json:"corrupt"`
}

// BlockStats walks every stored block of every tier and returns one
// BlockStat per series and tier that has blocks, ordered by tier and then
// by series id. It reads in one bbolt read transaction, so it works on a
// read-only database as well as under a running writer.
func (d *DB) BlockStats(ctx context.Context) ([]BlockStat, error) {
	var out []BlockStat
	err := d.bolt.View(func(tx *bolt.Tx) error {
		type meta struct {
			canon string
			kind  Kind
		}
		index := map[uint32]meta{}
		if sb := tx.Bucket(bucketSeries); sb != nil {
			err := sb.ForEach(func(k, v []byte) error {
				if len(v) == 5 {
					index[binary.BigEndian.Uint32(v)] = meta{string(k), Kind(v[4])}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		var blk block
		for t := range numTiers {
			b := tx.Bucket(tierBuckets[t])
			if b == nil {
				continue
			}
			cur := -1 // index in out of the series being summed
			var curID uint32
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if err := ctx.Err(); err != nil {
					return err
				}
				id, _, ok := parseBlockKey(k)
				if !ok {
					id = 0 // not a block key: counted as corrupt, without a series
				}
				if cur < 0 || id != curID {
					m := index[id]
					out = append(out, BlockStat{Series: m.canon, Kind: m.kind, Tier: t})
					cur, curID = len(out)-1, id
				}
				s := &out[cur]
				codecs, err := blockCodecs(v)
				if err == nil && !ok {
					err = fmt.Errorf("%w: bad key %x", ErrCorruptBlock, k)
				}
				if err == nil {
					err = decodeBlock(v, allCols, &blk)
				}
				if err != nil {
					s.Corrupt++
					continue
				}
				s.Blocks++
				s.Points += blk.len()
				s.Bytes += int64(len(v))
				s.KeyBytes += int64(len(k))
				for _, cd := range codecs {
					s.Codecs[cd]++
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tsdb: block statistics: %w", err)
	}
	return out, nil
}

// blockCodecs returns the codec byte of each value column of an encoded
// block, reading only its headers.
func blockCodecs(data []byte) ([]byte, error) {
	if len(data) < 2+crcLen {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrCorruptBlock, len(data))
	}
	r := byteReader{b: data[:len(data)-crcLen]}
	r.byte() // version, checked by decodeBlock
	ncols := 1
	if r.byte() == kindRollup {
		ncols = numRollupCols
	}
	r.uvarint()          // res
	r.uvarint()          // n
	r.uvarint()          // t0
	r.bytes(r.uvarint()) // timestamps
	codecs := make([]byte, 0, ncols)
	for range ncols {
		cd := r.byte()
		switch cd {
		case codecXOR:
			r.bytes(r.uvarint())
		case codecIntDelta, codecIntDoD:
			r.byte() // exponent
			readStream(&r, cd)
		case codecRational:
			readStream(&r, r.byte())
			readStream(&r, r.byte())
		default:
			if r.err == nil {
				return nil, fmt.Errorf("%w: unknown codec %d", ErrCorruptBlock, cd)
			}
		}
		if r.err != nil {
			return nil, r.err
		}
		codecs = append(codecs, cd)
	}
	return codecs, nil
}
