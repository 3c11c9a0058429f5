// Package solo5 knows the parts of Solo5 that roost depends on: the ELF
// notes that say which target, ABI version and devices a unikernel image
// needs (the layouts of Solo5's include/elf_abi.h and include/mft_abi.h),
// the file names of tenders, and the argv a tender is started with.
//
// It is a pure leaf: it reads the image files it is given and nothing
// else, and runs nothing. Finding a tender and asking it for its version
// run binaries, so that lives in package platform.
package solo5
