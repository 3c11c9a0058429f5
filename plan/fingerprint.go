package plan

import "sort"

// ConfigFingerprint identifies a desired host: the same configuration,
// variables and image contents give the same fingerprint.
func ConfigFingerprint(d *Desired) string { return Digest(d) }

// HostFingerprint identifies what a plan was made from on the host: specs,
// liveness, taps, bridges, block sizes and stored images. It leaves out
// what moves by itself and does not change a plan (free disk, counters,
// timestamps of a running tender), so a saved plan goes stale only when
// the host changed in a way that matters.
func HostFingerprint(o *Observed) string {
	type unikernel struct {
		Name        string
		SpecDigest  string
		ShimAlive   bool
		State       State
		BootMatches bool
	}
	type host struct {
		BootID     string
		CPUs       []int
		MemoryMiB  int64
		Bridges    []ObservedBridge
		Taps       []ObservedTap
		Blocks     []ObservedBlock
		Unikernels []unikernel
		Images     []string
		Tenders    map[string]TenderLookup
	}
	h := host{BootID: o.BootID, CPUs: o.Host.CPUs, MemoryMiB: o.Host.MemoryMiB, Tenders: o.Tenders}
	for _, k := range sortedKeys(o.Bridges) {
		h.Bridges = append(h.Bridges, o.Bridges[k])
	}
	for _, k := range sortedKeys(o.Taps) {
		h.Taps = append(h.Taps, o.Taps[k])
	}
	for _, k := range sortedKeys(o.Blocks) {
		h.Blocks = append(h.Blocks, o.Blocks[k])
	}
	for _, k := range sortedKeys(o.Unikernels) {
		ou := o.Unikernels[k]
		// Not TenderAlive: a live shim restarts its tender by itself
		// (backoff), which changes no plan.
		u := unikernel{Name: k, ShimAlive: ou.ShimAlive}
		if ou.Spec != nil {
			u.SpecDigest = Digest(ou.Spec)
		}
		if ou.Status != nil {
			u.BootMatches = ou.Status.BootID == o.BootID
			if !ou.ShimAlive {
				// A live shim's state moves (running, backoff) without
				// changing the plan; an ended one's state decides it.
				u.State = ou.Status.State
			}
		}
		h.Unikernels = append(h.Unikernels, u)
	}
	for d := range o.Images {
		h.Images = append(h.Images, d)
	}
	sort.Strings(h.Images)
	return Digest(h)
}
