// Package tsdb stores Holdfast's metric history inside the app's bbolt
// database and answers range queries for the charts, the CLI and alerts.
//
// # Model
//
// A series is a metric name plus a sorted label set, written in canonical
// Prometheus form: name{k="v",k2="v2"} (just name without labels; label
// values escape \\, \" and \n). See Key. Each series has a Kind fixed by
// its first sample:
//
//   - Gauge: the value itself (a ratio, a byte count, a temperature).
//   - Counter: a monotonic count that may reset (bytes sent, operations),
//     stored as float64 (exact up to 2^53). Queries and rollups use its
//     per-second rate: at sample i, (v_i - v_{i-1}) / (t_i - t_{i-1}); when
//     the value went down the counter was reset and the delta is the new
//     value itself, so a reset never appears as a dip or a spike. The
//     first sample of a series has no rate.
//
// Samples have whole-second times (Append truncates). A sample whose
// second is not after its series' previous sample — a duplicate or out of
// order — is dropped and Append returns ErrOutOfOrder. NaN is stored as
// given but ignored by rollups and queries (a NaN counter sample is
// skipped; the rate spans it). ±Inf is stored and aggregated as is.
//
// # Writing
//
// Append puts samples into an in-memory head per series. Every
// FlushInterval (default 60 s) and on Flush and Close, one bbolt
// transaction writes every series' head to the raw tier, folds it into
// the 1-minute and 1-hour rollups, applies retention and records the
// flush's sequence number; a kill -9 loses at most one interval. If the
// transaction fails the samples stay in memory for the next flush. The
// owner should call Close on SIGTERM.
//
// # Tiers and retention
//
//	tier  bucket    points                        block window  retention
//	raw   tsdb.raw  every sample                  10 min        24 h
//	1m    tsdb.1m   min, max, sum, count / 1 min  4 h           90 days
//	1h    tsdb.1h   min, max, sum, count / 1 h    7 days        2 years
//
// Rollup points cover [t, t+res) with t a multiple of res since the epoch.
// For gauges they hold statistics of the values, for counters statistics
// of the per-second rates (each rate counted in the bucket of the sample
// it ends at), so averages and peaks both survive. Every flush adds the
// statistics of its samples to the buckets already stored (a minute can
// be written by two flushes), so the tiers always match the raw data that
// has been flushed. Sums of exact decimals (see Round) are added on the
// scaled integers and stay exact.
//
// Retention runs on every flush: a block is deleted once its whole window
// has ended before now minus the tier's retention. A series with no blocks
// left in any tier is removed from the index.
//
// # Reading
//
// DB.Query picks a tier and step (see its documentation), reads the
// series' blocks with cursor seeks, and adds the unflushed head. A query
// sees each sample exactly once even while a flush commits: in-memory
// samples carry the number of the flush that takes them, and the query
// drops those whose flush number is at most the flush_seq its read
// transaction sees.
//
// # On-disk format (version 1)
//
// All integers in keys and in tsdb.meta are big-endian.
//
//	tsdb.meta    "version"   uint32  format version, 1
//	             "next_id"   uint32  next series id to assign
//	             "flush_seq" uint64  sequence number of the last flush
//	tsdb.series  key: canonical series string
//	             value: uint32 series id (≥ 1), byte kind (1 gauge, 2 counter)
//	tsdb.raw     key: uint32 series id ‖ uint64 start (unix seconds of the
//	tsdb.1m           block's first point), so one series' blocks are
//	tsdb.1h           contiguous and time-ordered and a range read is a seek
//	             value: a block
//
// All points of a block lie in one window of its tier (aligned to the
// window since the epoch). A flush rewrites the series' newest block when
// its new points fall in the same window, and otherwise starts a new one.
//
// A block is:
//
//	byte     version, 1
//	byte     kind: 0 raw (one value column), 1 rollup (columns min, max,
//	         sum, count)
//	uvarint  res: the interval assumed before the first point (1, 60, 3600)
//	uvarint  n: number of points, 1..4096
//	uvarint  t0: time of the first point (equals the key's start)
//	uvarint  length, then the timestamp bit stream
//	per column, one of:
//	  byte 0 (XOR), uvarint length, XOR bit stream
//	  byte 1 or 2 (decimal; the byte is the integer stream's mode),
//	       byte e (0..15), integer stream body: values are N/10^e
//	  byte 3 (rational), byte mode, integer stream body (numerators A),
//	       byte mode, integer stream body (denominators B): values are A/B
//	uint32   CRC-32C (Castagnoli) of all the bytes before it
//
// An integer stream is a mode (1 delta, 2 delta-of-delta) and a body:
//
//	byte     s, 0..63: every delta of the sequence is a multiple of 2^s
//	varint   the first value (zigzag)
//	uvarint  length, then the stream's bit stream
//
// Bit streams are written most significant bit first and zero-padded to a
// byte. zigzag(x) = (x << 1) ^ (x >> 63).
//
// The timestamp stream holds, for i = 1..n-1, the delta of deltas
// dod_i = D_i - D_{i-1} with D_i = t_i - t_{i-1} and D_0 = res, so a
// regular series costs nothing but zero runs:
//
//	0                    dod 0
//	10    + 7 bits       zigzag(dod) < 2^7
//	110   + 9 bits       zigzag(dod) < 2^9
//	1110  + 12 bits      zigzag(dod) < 2^12
//	11110 + 64 bits      zigzag(dod)
//	11111 + 10 bits r-1  r zero dods in a row (1..1024); used for runs ≥ 16
//
// Codec 0 is Gorilla's XOR compression: the first value's 64 bits, then
// for each value x = bits(v_i) XOR bits(v_{i-1}):
//
//	0                               x = 0
//	10 + m bits                     x's meaningful bits in the previous
//	                                window (m = 64 - lead - trail)
//	11 + 6 bits lead + 6 bits m-1   a new window, then x's m meaningful
//	   + m bits                     bits (x >> trail)
//
// The decimal and rational codecs store values exactly as integers:
// decimal when every v_i equals float64(N_i)/10^e bit for bit (an IEEE
// division), rational when every v_i equals float64(A_i)/float64(B_i)
// with 0 < B_i (the encoder keeps B close to the previous value's, so the
// busy/total ratios of tick counts that CPU collectors produce become two
// slowly moving integer sequences); all integers are within ±2^53. An
// integer stream of N_0..N_{n-1} holds, with q_i = (N_i - N_{i-1}) >> s
// (exact), x_i = q_i in mode 1 or x_i = q_i - q_{i-1} (q_0 = 0) in mode
// 2, for i = 1..n-1:
//
//	0                           x = 0
//	10  + W bits                zigzag(x), in the current width W
//	110 + 6 bits W-1 + W bits   a new width W, then zigzag(x)
//	111 + 10 bits r-1           r zeros in a row (1..1024); for runs ≥ 16
//
// The encoder writes each column with whichever applicable codec, and
// each integer stream with whichever mode, is smallest: integers
// (counters, byte gauges), values rounded to a few decimal places (see
// Round) and ratios of integers take the integer paths, everything else
// XOR. On the dashboard's 40 series an hour of 1 s samples costs about
// 0.75 bytes per sample including keys (TestBytesPerSample); a gauge of
// arbitrary full-precision floats that change every second costs about
// 7.

// # Corruption
//
// A block whose checksum or structure is wrong is skipped, logged to
// Options.Log and reported in QueryStats (SkippedBlocks and a *BlockError
// wrapping ErrCorruptBlock in Errors); the rest of the history still
// reads. A flush that finds the block it would extend corrupt leaves it
// alone and starts a new block.
package tsdb
