// Package subproc runs the short-lived helper commands roost starts (a
// tender's --version, roost-shim -version) so that none can hang roost or
// outlive it: each runs in a process group of its own under a deadline,
// the whole group is SIGKILLed at the deadline or when the caller's
// context ends, and again once the command has exited, so that a
// grandchild holding the output pipe neither keeps roost waiting nor
// survives. See issue 8, finding 9: a tender script running `sleep 1000`
// hung roost plan, which ignored signals and orphaned the child. It is a
// leaf, importing nothing of roost's, so that any package can use it.
package subproc
