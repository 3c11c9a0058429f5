// Package solo5test is a test helper: it writes synthetic Solo5 unikernel
// images, ELF64 executables whose ABI and manifest notes follow Solo5's
// include/elf_abi.h and include/mft_abi.h byte for byte, and broken variants
// of them. The images hold no runnable code; the simulated tender
// (internal/simtender) reads the behaviour they ask for from their load
// segment. Nothing outside tests, the demo and `make examples` uses it.
package solo5test
