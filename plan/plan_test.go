package plan_test

import (
	"testing"

	"github.com/roostd/roost/plan"
)

func TestSummarize(t *testing.T) {
	changes := []plan.Change{
		{Kind: plan.KindBridge, Name: "service", Action: plan.Create},
		{Kind: plan.KindUnikernel, Name: "web", Action: plan.Start},
		{Kind: plan.KindUnikernel, Name: "db", Action: plan.Update},
		{Kind: plan.KindUnikernel, Name: "job", Action: plan.Replace},
		{Kind: plan.KindTap, Name: "rt3f2a8c01d2", Action: plan.Delete},
	}
	want := plan.Summary{Add: 2, Change: 1, Replace: 1, Destroy: 1}
	if got := plan.Summarize(changes); got != want {
		t.Errorf("Summarize(changes) = %+v, want %+v", got, want)
	}
	p := &plan.Plan{Changes: changes}
	if got := p.Summary(); got != want {
		t.Errorf("Summary() = %+v, want %+v", got, want)
	}
	if got := plan.Summarize(changes[:1]); got != (plan.Summary{Add: 1}) {
		t.Errorf("Summarize(changes[:1]) = %+v, want {Add:1}", got)
	}
}
