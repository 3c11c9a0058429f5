// Package solo5 knows the parts of Solo5 that roost depends on: the ELF
// notes that say which target, ABI version and devices a unikernel image
// needs (the layouts of Solo5's include/elf_abi.h and include/mft_abi.h),
// how to find a tender for an image, and the argv a tender is started with.
//
// Everything here reads files and runs `solo5-<target> --version`; nothing
// changes the host.
package solo5
