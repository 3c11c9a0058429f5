// Package simtender is a simulated Solo5 tender for tests and the demo. No
// Solo5 comes from a package registry, so roost's tests run unikernel images
// written by internal/solo5test under this simulator instead of solo5-hvt or
// solo5-spt.
//
// The simulator re-implements, in Go, the command line of Solo5's tenders as
// tenders/hvt/hvt_main.c, tenders/spt/spt_main.c and their net and block
// modules define it: the same two-pass argument parsing, the same checks of
// the image's ABI and manifest notes, the same messages on stderr and the same
// exit codes. It attaches taps the way tenders/common/tap_attach.c does on
// Linux, and opens block files as tenders/common/block_attach.c does, so a
// misconfigured host fails under the simulator the way it fails under Solo5.
//
// The program name selects the target: solo5-spt and solo5-spt.N simulate
// spt, every other name hvt. The ABI version spoken is DefaultABI unless the
// environment variable ROOST_SIM_ABI says otherwise.
//
// What the guest does is not machine code: it is the behaviour text that
// solo5test stores in the image's load segment after the line "roost-sim",
// or the guest argument --sim=TEXT. The text is a list of directives,
// separated by ';' or newlines and run in order:
//
//	print TEXT                  write TEXT and a newline to the console (stdout)
//	sleep DURATION              wait, e.g. "sleep 1.5s" (Go duration syntax)
//	spin DURATION               compute until this thread has used DURATION of
//	                            CPU time, as a guest booting does: on a busy
//	                            host it takes longer than DURATION
//	exit N                      solo5_exit(N): the tender exits with N
//	abort                       solo5_abort(): the tender exits with 255
//	signal NAME                 die by signal NAME (SEGV, SIGABRT, 9, ...), as a
//	                            guest fault kills solo5-spt
//	tick DURATION               print "tick 1", "tick 2", ... every DURATION, forever
//	serve                       answer ARP and ICMP echo requests on every attached
//	                            net device for the address of --ipv4=ADDR/PREFIX,
//	                            forever; without --ipv4, read and drop frames
//	block-write NAME OFFSET TEXT
//	                            write TEXT at byte OFFSET of block device NAME
//	block-read NAME OFFSET LEN  print LEN bytes at OFFSET of NAME, quoted:
//	                            `block-read NAME OFFSET LEN: "..."`
//	args                        print the guest's command line: its arguments
//	                            without --sim= and the leading --solo5:LEVEL
//	                            options, which the bindings consume
//
// An empty behaviour means serve. When the directives run out the guest
// returns 0, so the tender exits with 0; exit N exits with N&0xff, as a
// process does. A directive the simulator does not know, a malformed argument
// to one, a block directive naming no BLOCK_BASIC device of the manifest, or
// a malformed --ipv4 is reported as MirageOS reports a bad command line: a
// console line "roost-sim: ..." and exit code 64. A block directive beyond
// the device's capacity prints "roost-sim: ..." and aborts (255).
//
// The guest prints Solo5's banner first and "Solo5: solo5_exit(N) called" or
// "Solo5: solo5_abort() called" last, unless --solo5:quiet is its first
// argument. Under hvt, SIGINT and SIGTERM end the tender with "Exiting on
// signal N" and exit code 1, as solo5-hvt's handler does; solo5-spt has no
// handler, so under spt they kill the process. A net device without
// --net-mac gets a locally administered address derived from its name and
// interface, where Solo5 draws a random one.
//
// Main is the whole program, with its output and exit code made explicit so
// that tests can run it in-process or register it with testscript; the
// binary internal/cmd/roost-simtender only calls it.
package simtender
