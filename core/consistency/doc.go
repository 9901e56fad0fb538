// Package consistency proves that a folder is what it should be: it
// compares two trees — folder with folder, folder with a backup snapshot —
// top-down, descending only into subtrees whose hashes differ, classifies
// what drifted (verify), and repairs it from a snapshot without losing a
// byte (every file it replaces or moves goes to the home's trash first, and
// a repair can be undone).
//
// Trees are core/content Merkle trees: a directory's hash covers its
// entries' names, types, modes and contents but not their mtimes. To report
// mtime drift without reading everything twice, a live tree also carries a
// metadata hash per directory (see [Live]); where a side cannot tell (a
// snapshot), content-equal subtrees are walked for mtimes only, never read.
package consistency
