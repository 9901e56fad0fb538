// Package repo implements the on-disk format of a Holdfast repository in a
// local directory: keys, packs of encrypted and compressed blobs, the
// index, snapshots and leases (locks). Backup, restore, forget, prune and
// check are built on top of it.
//
// # Typical use
//
//	r, err := repo.Open(ctx, dir, password)     // or repo.Init
//	lease, err := r.Lock(ctx, false)            // shared; prune uses true
//	defer lease.Release()
//	err = r.LoadIndex(ctx)                      // before Has / LoadBlob
//	p := r.NewPacker()                          // one per worker goroutine
//	if !r.Has(repo.DataBlob, hash) { p.Add(repo.DataBlob, hash, chunk) }
//	if p.Full() { info, err := p.Finish(ctx); ... }
//	_, err = r.SaveIndex(ctx, r.UnsavedPacks()) // after all packs
//	_, err = r.SaveSnapshot(ctx, &repo.Snapshot{...}) // last
//
// All methods of Repository are safe for concurrent use; a Packer is used
// by one goroutine at a time, but any number of Packers may run at once.
//
// # Layout
//
//	config                     plaintext JSON, no secrets
//	keys/<id>                  one key file per password (JSON)
//	data/<id[0:2]>/<id>        pack files
//	index/<id>                 encrypted index files
//	snapshots/<id>             encrypted snapshot documents
//	locks/<id>                 encrypted leases
//
// Every <id> is 64 lowercase hex characters: the BLAKE3-256 hash of the
// file's bytes, so every file except config can be checked against its
// name (readers do so for index, snapshot and lock files; check does for
// packs). data/ has the 256 subdirectories 00..ff, created by Init.
//
// Every file is written once and never modified: it is written to a file
// named ".tmp-<random>" in the destination directory, fsynced, made
// read-only (0400), renamed (config: hard-linked, so an existing config is
// never replaced) to its final name, and the directory is fsynced.
// Readers ignore names starting with "." (in particular ".tmp-" files left
// by a crash; CleanTemp removes old ones) and names that are not IDs.
// Directories are 0700.
//
// Crash safety comes from write order: packs, then the index files that
// list them, then the snapshot that needs them. A crash leaves at worst
// packs not in any index ("unreferenced", see UnreferencedPacks and
// RebuildIndex), never a snapshot or index entry pointing at missing data.
// SaveSnapshot enforces the order within a process.
//
// # Integers and IDs
//
// All integers in binary structures are unsigned little-endian: u8, u32.
// An ID is 32 raw bytes in binary structures and 64 lowercase hex
// characters in names and JSON.
//
// # config
//
// UTF-8 JSON object:
//
//	{
//	  "version": 1,                  // format version
//	  "id": "<64 hex>",              // repository ID: 32 random bytes
//	  "chunker": "<string>",         // chunker parameters, opaque here
//	  "cipher": "xaes-256-gcm",      // or "xchacha20-poly1305"
//	  "compression": "zstd",
//	  "created": "<RFC 3339 time>"
//	}
//
// # Cryptography
//
// A repository has one master key set of 64 random bytes:
//
//	encryption key (32) || ID key (32)
//
// Every object (blob, pack header, index file, snapshot, lock) is sealed
// with the config's cipher under the encryption key:
//
//	sealed = nonce (24 random bytes) || ciphertext || tag (16)
//
// so a sealed object is exactly 40 bytes longer than its plaintext.
//
//   - "xaes-256-gcm" is XAES-256-GCM as specified at
//     https://c2sp.org/XAES-256-GCM: a per-message AES-256-GCM key is
//     derived from the key and nonce[0:12] (two AES-256 blocks, CMAC-style
//     subkey), and GCM runs with nonce[12:24]. Random 192-bit nonces are
//     safe for practically unlimited messages, unlike AES-256-GCM with
//     random 96-bit nonces under one key (~2^32 messages).
//   - "xchacha20-poly1305" is XChaCha20-Poly1305
//     (draft-irtf-cfrg-xchacha) with the 24-byte nonce.
//
// Init picks XAES-256-GCM on CPUs with AES and carry-less multiply
// instructions (the faster one there, see BenchmarkSeal) and
// XChaCha20-Poly1305 otherwise; the choice is recorded in config.
//
// The associated data binds each ciphertext to its kind (and blobs to
// their stored ID), so no ciphertext can be passed off as another:
//
//	blob         "holdfast/blob" 0x00 || stored ID (32 bytes)
//	pack header  "holdfast/pack-header"
//	index file   "holdfast/index"
//	snapshot     "holdfast/snapshot"
//	lock         "holdfast/lock"
//	key file     "holdfast/key" 0x00 || repository ID (32 raw bytes)
//
// Stored IDs. Data and tree blobs are identified by the plain BLAKE3-256
// hash of their plaintext ("plain hash"). On disk they are named by their
// stored ID: BLAKE3-256 in keyed mode, key = the ID key, input = the 32
// bytes of the plain hash. Without the key, names and headers reveal
// nothing about content (no confirmation of known files).
//
// # Key files
//
// keys/<id> is a UTF-8 JSON object (at most 64 KiB):
//
//	{
//	  "version": 1,
//	  "created": "<RFC 3339>", "hostname": "...", "username": "...",
//	  "kdf": "scrypt", "N": 32768, "r": 8, "p": 1,
//	  "salt": "<base64, 32 bytes>",
//	  "data": "<base64, 104 bytes>"
//	}
//
// KEK = scrypt(password, salt, N, r, p, 32 bytes). data is the master key
// set (64 bytes) sealed with XChaCha20-Poly1305 under the KEK (whatever
// the repository cipher), associated data "holdfast/key" 0x00 || repository
// ID. Readers refuse N not a power of two, r outside 1..64, p outside
// 1..16 and 128*N*r above 1 GiB before deriving anything. Open tries every
// key file; one that fails to parse or decrypt is skipped.
//
// # Blobs
//
// A blob's plaintext is flag || payload, sealed as above:
//
//	flag 0: payload is the data itself
//	flag 1: payload is one zstd frame that decompresses to the data
//
// Writers compress with zstd at the default level, window 512 KiB (like
// restic's "auto"), no frame checksum, and keep the result only if it is
// at least 3% smaller; blobs under 64 bytes are stored raw. Builds with
// cgo on Linux compress with libzstd, others with klauspost/compress;
// klauspost/compress decodes. Readers check
// that the data has exactly the raw length recorded in the index and that
// its BLAKE3-256 equals the requested plain hash. MaxBlobSize (256 MiB)
// bounds the raw length.
//
// # Packs
//
// A pack file is
//
//	sealed blob 0 || ... || sealed blob n-1 || sealed header || u32 L
//
// where L is the length of the sealed header (so the header is the L bytes
// before the last 4). The header plaintext is
//
//	u8  version = 1
//	u32 n                 number of blobs, 1 <= n <= 2^20
//	n × 45-byte entries:
//	    u8  type          1 = data, 2 = tree
//	    32  stored ID
//	    u32 offset        of the sealed blob in the file
//	    u32 length        of the sealed blob (>= 41)
//	    u32 raw length    of the blob's data (<= MaxBlobSize)
//
// Entries are in file order and tile the file exactly: the first offset is
// 0, each next offset is the previous offset plus length, and the last
// blob ends where the sealed header starts. Hence L = 5 + 45n + 40 and
// the file size is (end of blobs) + L + 4. Blob sizes are visible only
// through the encrypted header. The pack ID (its name) is the plain
// BLAKE3-256 of the whole file. Packs are written whole, around 16 MiB by
// default (SetPackSize); a pack may overshoot its target by one blob and
// never exceeds 4 GiB.
//
// # Index files
//
// index/<id> is an index plaintext sealed with associated data
// "holdfast/index":
//
//	u8  version = 1
//	u32 number of packs
//	per pack:
//	    32  pack ID
//	    u32 pack file size
//	    u32 n             number of blobs, 1 <= n <= 2^20
//	    n × 45-byte entries, exactly as in that pack's header
//
// Each pack appears once per file, with all its blobs, in file order (the
// size must equal end of blobs + 5 + 45n + 40 + 4). A pack may appear in
// several index files (after an interrupted prune or rebuild); readers
// merge them. No trailing bytes. Writers start a new file every ~2^19
// blobs; readers accept files up to 512 MiB.
//
// # Snapshots
//
// snapshots/<id> is a UTF-8 JSON object sealed with associated data
// "holdfast/snapshot" (plaintext at most 64 MiB):
//
//	{
//	  "version": 1,
//	  "time": "<RFC 3339>",
//	  "hostname": "...", "username": "...",         // optional
//	  "paths": ["..."], "tags": ["..."],            // tags optional
//	  "tree": "<64 hex>",    // plain hash of the root tree blob
//	  "parent": "<64 hex>",  // optional: snapshot this one was based on
//	  "summary": {           // optional; integers
//	    "files_new", "files_changed", "files_unmodified",
//	    "dirs_new", "dirs_changed", "dirs_unmodified",
//	    "data_blobs", "tree_blobs", "data_added", "data_added_packed",
//	    "total_files", "total_bytes", "duration_ns"
//	  }
//	}
//
// Unknown fields are ignored. Snapshots are referred to by ID or by any
// unique prefix of it.
//
// # Leases (locks)
//
// locks/<id> is a UTF-8 JSON object sealed with associated data
// "holdfast/lock":
//
//	{"version": 1, "time": "<RFC 3339>", "exclusive": false,
//	 "hostname": "...", "username": "...", "pid": 1234}
//
// Shared leases (backup, check) coexist; an exclusive lease (prune, key
// removal, index rebuild) excludes every other lease. A lease is stale,
// and is ignored and deleted by the next locker, when its time is more
// than 30 minutes old, or when its hostname is this host's and no process
// with its PID exists. A lock file that fails to authenticate counts as a
// live exclusive lease until its modification time is 30 minutes old. A
// holder rewrites its lease (new file with the current time, then removes
// the old one) every 5 minutes. To lock: remove stale leases, fail if a
// conflicting live lease exists, write the lease, list again, and if a
// conflicting lease appeared meanwhile, delete ours and retry after a
// random pause (then fail). No manual unlock is ever needed.
//
// # Hostile input
//
// Every decoder (key file, pack header, index, snapshot, lock) bounds all
// lengths and counts before allocating, and reports errors naming the
// file, e.g. "pack data/ab/ab12…: corrupt: header length 4294967295
// exceeds file size 1234". Corruption errors wrap ErrCorrupt; LoadBlob
// never returns data that does not hash to the requested plain hash.
package repo
