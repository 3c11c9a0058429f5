package plan

import "fmt"

// CrashLoopRestarts is how many restarts of a tender, the last one not
// asked for by roost, make plan say that it is crash-looping.
const CrashLoopRestarts = 3

// notes warns about declared unikernels that their shims keep "running"
// though the guest is not: a stopped (SIGSTOP) shim or tender, and a
// crash loop. They change nothing, as a plan says of what the host does
// by itself, but "No changes" alone would be untrue (issue 8, finding 13).
//
// A stopped process is left as it is: whoever sent SIGSTOP (a debugger, a
// checkpoint) may mean it, and a replacement would throw the guest's
// memory away. The warning says how to resume it or replace it.
func (m *maker) notes() {
	for _, u := range m.d.Unikernels {
		ou, ok := m.o.Unikernels[u.Name]
		if !ok || !ou.ShimAlive {
			continue
		}
		addr := KindUnikernel + "." + u.Name
		if stopped(ou.ShimProcState) {
			m.p.Warnings = append(m.p.Warnings, fmt.Sprintf("%s: shim pid %d is stopped (%s): it restarts nothing until it gets SIGCONT; roost apply -replace %s starts it afresh", addr, ou.ShimPID, stopText(ou.ShimProcState), u.Name))
		}
		if st := ou.Status; st != nil && ou.TenderAlive && stopped(ou.TenderProcState) {
			m.p.Warnings = append(m.p.Warnings, fmt.Sprintf("%s: tender pid %d is stopped (%s): the guest runs no code; send it SIGCONT, or roost apply -replace %s starts it afresh", addr, st.TenderPID, stopText(ou.TenderProcState), u.Name))
		}
		if st := ou.Status; st != nil && st.Restarts >= CrashLoopRestarts && st.LastExit != nil && !st.LastExit.Stopped {
			m.p.Warnings = append(m.p.Warnings, fmt.Sprintf("%s is crash-looping: %d restarts, now %s; last exit: %s (roost logs %s shows why)", addr, st.Restarts, st.State, ExitText(st.LastExit), u.Name))
		}
	}
}

func stopped(state string) bool { return state == "T" || state == "t" }

func stopText(state string) string {
	if state == "t" {
		return "by a tracer"
	}
	return "SIGSTOP"
}
