// Package shim is the per-unikernel supervisor: `roost shim DBDIR NAME`
// runs one tender as its child, writes its console to console.log, records
// every exit in status.json and restarts it per the restart policy. CLI and
// watch never need to be the tender's parent: the shim outlives them, and
// its tender dies with it (Pdeathsig).
//
// It also holds the functions other processes use to start, stop and ask
// about a shim (Start, WaitRunning, Stop, Reload, Alive, ReadStatus).
//
// # Files (dbdir/unikernels/NAME)
//
//   - shim.lock: flock'ed exclusively by the live shim for its whole life;
//     observers probe it shared and non-blocking. The holder writes its pid
//     into it ("1234\n"), so the file names the last shim that held it.
//     Liveness comes from the lock, never from a pid alone.
//   - status.json: datadir.Status, written atomically on every change of state
//     and on reload; it keeps the record after the shim exits.
//   - console.log: each line of the tender's stdout and stderr, prefixed with
//     an RFC 3339 UTC timestamp with milliseconds and a space; rotated to
//     console.log.1 at DefaultConsoleMax.
//   - shim.log: the shim's own log (its stdout and stderr, opened by Start).
//
// # States
//
// The states and the moves between them are the state machine of package
// datadir (datadir.State, datadir.CheckTransition), defined once with the
// status.json format. exited, failed and stopped are ended: the shim writes
// the status and exits with ExitDone. Any other move is a bug and an error
// ("invalid state transition").
//
// # Restarts
//
// Exit codes 1 and 60-64 are configuration errors (albatross's rule): failed,
// not restarted, unless listed in exit_codes (which the file format allows
// under on-failure only).
// never restarts nothing; on-failure restarts a non-zero code (only one in
// exit_codes, if that is not empty) and a signal the shim did not send;
// always restarts everything else, code 0 too. The n-th consecutive restart
// waits backoff * 2^(n-1), at most max_backoff; a tender that was up for 10
// minutes starts the count again. A stop during backoff ends at once.
package shim
