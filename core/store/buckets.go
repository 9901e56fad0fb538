package store

// Buckets are the top-level buckets every database has. Services own one
// each; adding a bucket here creates it on the next start, and a migration
// is only needed when existing records change shape.
var Buckets = [][]byte{
	[]byte("settings"),
}
