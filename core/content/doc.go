// Package content answers "what is in this folder, exactly?" once, for
// backup, consistency checking and peer replication.
//
// A file is read once: it is cut into content-defined chunks (FastCDC with
// fixed, public parameters, see [ParamsString]), every chunk is hashed with
// BLAKE3, and the whole content is hashed with BLAKE3 in the same pass. The
// whole-content hash is the file's identity; it does not depend on where the
// chunk boundaries fall. A directory's identity is the BLAKE3 hash of a
// canonical encoding of its sorted entries ([DirHash]), so a folder is a
// Merkle tree ([Tree]) and two trees are compared top-down, descending only
// where hashes differ.
//
// Hashes are plain, unkeyed BLAKE3-256, so a live folder, a snapshot and a
// peer's copy compare directly. Anything that must not reveal content (chunk
// IDs inside an encrypted repository) is derived from these by the caller.
//
// [Scan] walks a folder and builds its tree. With an [Index] (a bbolt-backed
// cache keyed by path and validated by size, mtime, ctime, inode and device)
// unchanged files are not read again, so a second scan of a large folder
// costs only what changed. The index records a file's identity always and
// its chunk list only when it is one chunk (below [MinSize]): a scan wants
// identities, and cutting a large file into chunks would cost a second
// BLAKE3 pass over it; whoever needs a large file's chunks reads it then.
package content
