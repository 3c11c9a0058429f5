// Package albatross reads what robur's albatross daemon (albatrossd) keeps
// in its data directory, so that roost import albatross can carry a host
// over: the state dump <dbdir>/state, an ASN.1 DER encoding of the running
// unikernels and the policies, and the block files under <dbdir>/block.
//
// The grammar is the one of albatross's src/vmm_asn.ml (state and the
// unikernel config versions it names); this package is written from that
// description, not from its code. The outer choice of the dump selects the
// unikernel config grammar:
//
//	[0] config v1 (no policies)        [1] config v0 (no policies)
//	[2] config v2 (no policies)        [3] config v3 (no policies)
//	[4] config v3 and policies         [5] config v4 and policies
//	[6] config v5 and policies         [7] reserved by albatross, refused
//
// albatross's "wire version" 4 or 5 shows only in the names: wire 4 wrote
// dotted names (foo.hello), wire 5 paths (:foo.hello, foo:hello). Names
// are parsed as albatross's Name.of_string does.
//
// The decoder is hand-written DER reading: every error names the byte
// offset where the dump went wrong, and no input panics (FuzzDecodeState).
// It is a leaf: it imports only the standard library.
package albatross
