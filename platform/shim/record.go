package shim

// What the supervisor records: status.json on every move of the state
// machine, the end of a tender, a reloaded spec.

import (
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roostd/roost/platform/datadir"
)

// clear records the end of the current tender.
func (s *supervisor) clear(e datadir.Exit) {
	s.status.LastExit = &e
	s.status.TenderPID = 0
	s.status.TenderStart = 0
	s.status.StartedAt = time.Time{}
	s.tender = nil
}

// reap reaps the orphans the shim adopted as subreaper, if it is one.
func (s *supervisor) reap() {
	if s.cfg.children == nil {
		return
	}
	keep := 0
	if s.tender != nil {
		keep = s.tender.pid
	}
	for _, pid := range reapOrphans(keep) {
		s.log.Printf("reaped orphan pid %d", pid)
	}
}

// reload reads spec.json again and takes from it what changes in place:
// the restart policy and the stop timeout. The tender keeps running; a new
// command or cpus wait for a replace.
func (s *supervisor) reload() {
	var spec datadir.Spec
	if err := s.cfg.udir.ReadJSON("spec.json", &spec); err != nil {
		s.log.Printf("SIGHUP: reload spec: %v; the spec in force stays", err)
		return
	}
	if !slices.Equal(spec.Command, s.spec.Command) || !slices.Equal(spec.CPUs, s.spec.CPUs) {
		s.log.Printf("SIGHUP: the command or cpus changed: ignored until the unikernel is replaced")
	}
	s.spec.Restart = spec.Restart
	s.spec.StopTimeout = spec.StopTimeout
	s.status.SpecDigest = datadir.Digest(&spec)
	s.log.Printf("SIGHUP: reloaded: restart policy %s, exit codes %v, backoff %s up to %s, stop timeout %s",
		policyName(spec.Restart), spec.Restart.ExitCodes, backoffDelay(spec.Restart, 1), backoffDelay(spec.Restart, 64), stopTimeout(s.spec))
	s.write()
}

// move changes the state, if the state machine allows it, and writes
// status.json. A failed write is logged and remembered (writeFailed), but
// the state has changed: the tender is supervised even so.
func (s *supervisor) move(to datadir.State, msg string) error {
	if err := datadir.CheckTransition(s.status.State, to); err != nil {
		return err
	}
	s.status.State = to
	s.status.Message = msg
	if to != datadir.StateBackoff {
		s.status.NextStart = time.Time{}
	}
	s.write()
	return nil
}

// write writes status.json atomically.
func (s *supervisor) write() {
	s.status.ShimPID = os.Getpid()
	s.status.UpdatedAt = time.Now().UTC()
	err := s.cfg.udir.WriteJSON("status.json", &s.status)
	s.writeFailed = err != nil
	if err != nil {
		s.log.Print(err)
	}
	if s.cfg.onStatus != nil {
		s.cfg.onStatus(s.status)
	}
	if err == nil {
		s.cfg.notify.send(&s.status)
	}
}

// policyName is the restart policy in force, defaulted.
func policyName(r datadir.Restart) string {
	if r.Policy == "" {
		return datadir.RestartOnFailure
	}
	return r.Policy
}

// signalName names sig as "SIGTERM".
func signalName(sig os.Signal) string {
	if s, ok := sig.(unix.Signal); ok {
		if n := unix.SignalName(s); n != "" {
			return n
		}
	}
	return sig.String()
}
