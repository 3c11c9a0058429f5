// Package albatrosstest encodes albatross state dumps for tests: the
// current grammar, state choice [6] with unikernel config version 5, as
// albatross's src/vmm_asn.ml describes it. It is written for roost's tests
// of import albatross, and is not albatross's encoder.
package albatrosstest
