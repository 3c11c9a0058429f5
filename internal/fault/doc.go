// Package fault kills the process at named points, for crash tests. Only
// tests arm it, through the environment; unarmed, a point costs a
// sync.Once and a map lookup.
//
// Points named "shim.*" are armed by ROOST_SHIM_FAULT, all others by
// ROOST_FAULT, so that a test can crash roost apply without crashing the
// shims it starts (they inherit its environment), or the reverse:
//
//	ROOST_FAULT=apply.step.done        the first time apply.step.done is reached
//	ROOST_FAULT=apply.step.done:3      the third time
//	ROOST_FAULT_RANDOM=7:10            at each point reached, with probability
//	                                   10%, from a generator seeded with 7
//	ROOST_SHIM_FAULT, ROOST_SHIM_FAULT_RANDOM   the same for the shim's points
//	ROOST_FAULT_TRACE=FILE             append "PID NAME" to FILE at every point
//	                                   reached, armed or not (both kinds)
//
// A point that fires sends SIGKILL to its own process: no deferred call
// runs, nothing is flushed, as when the machine loses power or the OOM
// killer strikes. Counts are per process.
//
// The points, in the order a run reaches them:
//
//	apply.step.begin        apply: a step is about to run (it holds a slot)
//	apply.start.tapped      apply: a start stored its image and made its taps,
//	                        before the shim is started
//	platform.image.tmp      platform: an image copy's temporary file exists,
//	                        nothing is copied into it yet
//	platform.block.tmp      platform: a new block's temporary file exists,
//	                        before its source is copied
//	platform.block.filled   platform: a new block's temporary file is complete,
//	                        before it is linked into place
//	platform.block.resized  platform: a block was truncated to its new size,
//	                        before the sync
//	platform.start.spec     platform: spec.json is written, the shim not
//	                        spawned
//	apply.start.spawned     apply: a shim was spawned (StartUnikernel), before
//	                        VerifyUnikernel
//	apply.replace.stopped   apply: a replacement's old shim is stopped, before
//	                        the new one starts
//	apply.delete.stopped    apply: a deleted unikernel's shim is stopped,
//	                        before its directory is removed
//	apply.step.done         apply: a step succeeded, before it is reported
//	apply.run.done          roost apply: every step ended, before images are
//	                        pruned and applied.json is written
//	apply.pruned            roost apply: images pruned, applied.json not
//	                        written
//	shim.locked             shim: holds shim.lock, no status.json written
//	shim.tender.started     shim: the tender runs, "running" not written
//	shim.tender.exited      shim: the tender exited by itself, its exit not
//	                        written
//	shim.tender.stopped     shim: a stopped tender exited, "stopped" not
//	                        written
//
// The tender inherits none of these variables (Environ).
package fault
