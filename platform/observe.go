package platform

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"

	// The implementation of encoding/json from Go 1.27 on: the same
	// contract, decoding the two files of each unikernel in half the
	// time (issue 9).
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/proc"
)

// Observe reads the host as it is: boot id, resources, bridges, roost's
// taps (orphans included), and the blocks, images and unikernel
// directories of the data directory. A data directory that does not exist
// yet is an empty host. Tenders is left empty for the caller to fill.
func (h *Host) Observe(ctx context.Context) (*plan.Observed, error) {
	o := &plan.Observed{
		Blocks:     map[string]plan.ObservedBlock{},
		Unikernels: map[string]plan.ObservedUnikernel{},
		Images:     map[string]bool{},
		Tenders:    map[string]plan.TenderLookup{},
	}
	if err := h.dbdir.Check(); err != nil {
		return nil, fmt.Errorf("observe host: %w", err)
	}
	var err error
	if o.BootID, err = proc.BootID(); err != nil {
		return nil, fmt.Errorf("observe host: %w", err)
	}
	if o.Host, err = readHostInfo(h.dbdir); err != nil {
		return nil, fmt.Errorf("observe host: %w", err)
	}
	h.observeTenderUsers(&o.Host)
	// The interfaces are dumped while the data directory is read: with
	// a thousand taps the dump is a tenth of a plan.
	type linksResult struct {
		l   *hostLinks
		err error
	}
	var owner string
	owner, o.LegacyLinks = h.dbdir.Identity()
	lc := make(chan linksResult, 1)
	go func() {
		l, err := h.os.links(ctx, owner)
		lc <- linksResult{l, err}
	}()
	err = h.observeDataDir(ctx, o)
	lr := <-lc
	if err != nil {
		return nil, err
	}
	if lr.err != nil {
		return nil, fmt.Errorf("observe network interfaces: %w", lr.err)
	}
	o.Bridges, o.Taps, o.Foreign = lr.l.bridges, lr.l.taps, lr.l.foreign
	h.warnStaleVMs()
	return o, nil
}

// observeDataDir reads the blocks, images and unikernels of the data
// directory into o.
func (h *Host) observeDataDir(ctx context.Context, o *plan.Observed) error {
	if err := h.observeBlocks(o); err != nil {
		return err
	}
	if err := h.observeImages(o); err != nil {
		return err
	}
	return h.observeUnikernels(ctx, o)
}

// entryRule is what roost makes in a directory of the data directory:
// what, for messages ("block"); the names it gives (valid) and what to
// call another ("has a name roost never gives a block"); and what is
// wrong with an entry of that name ("" when nothing).
type entryRule struct {
	what        string
	valid       func(name string) bool
	invalidName string
	problem     func(fs.FileInfo) string
}

// ownEntries reads the directory dir (rel, as conflicts name it) and
// returns the entries that rule says roost made, reporting every other
// one as a conflict of o. Hidden entries (roost's temporaries) and
// entries gone since the directory was read are left out.
func (h *Host) ownEntries(o *plan.Observed, dir, rel string, rule entryRule) ([]fs.FileInfo, error) {
	entries, err := h.dbdir.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("observe %ss: %w", rule.what, err)
	}
	var own []fs.FileInfo
	for _, e := range entries {
		if datadir.Hidden(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since ReadDir
		}
		if err != nil {
			return nil, fmt.Errorf("observe %s %s: %w", rule.what, e.Name(), err)
		}
		if !rule.valid(e.Name()) {
			conflict(o, rel+"/"+e.Name(), rule.invalidName)
			continue
		}
		if p := rule.problem(fi); p != "" {
			conflict(o, rel+"/"+e.Name(), p)
			continue
		}
		own = append(own, fi)
	}
	return own, nil
}

// observeBlocks reads block/: each block file's size, and a conflict for
// any entry roost did not make.
func (h *Host) observeBlocks(o *plan.Observed) error {
	blocks, err := h.ownEntries(o, h.dbdir.BlockDir(), "block", entryRule{
		what: "block", valid: plan.ValidName, invalidName: "has a name roost never gives a block",
		problem: h.blockProblem,
	})
	for _, fi := range blocks {
		o.Blocks[fi.Name()] = plan.ObservedBlock{Name: fi.Name(), SizeBytes: fi.Size()}
	}
	return err
}

// observeImages reads images/: the digests stored, each verified against
// its content, and a conflict for any entry roost did not make.
func (h *Host) observeImages(o *plan.Observed) error {
	images, err := h.ownEntries(o, h.dbdir.ImagesDir(), "images", entryRule{
		what: "image", valid: digestPattern.MatchString, invalidName: "has a name that is no SHA-256 digest",
		problem: func(fi fs.FileInfo) string { return entryProblem(fi, false, datadir.ImageNotMode) },
	})
	if err != nil {
		return err
	}
	for _, fi := range images {
		if ok, err := h.storedImageOK(fi.Name()); err != nil {
			return fmt.Errorf("observe image %s: %w", fi.Name(), err)
		} else if !ok {
			o.ImagesAltered = append(o.ImagesAltered, fi.Name())
			continue
		}
		o.Images[fi.Name()] = true
	}
	return nil
}

// observeUnikernels reads unikernels/: each unikernel's directory, and a
// conflict for any entry roost did not make. The directories are read by
// several goroutines: with a thousand unikernels, reading and decoding
// two thousand files and probing two thousand processes is most of a
// plan, and it keeps every core busy rather than one.
func (h *Host) observeUnikernels(ctx context.Context, o *plan.Observed) error {
	dirs, err := h.ownEntries(o, h.dbdir.UnikernelsDir(), "unikernels", entryRule{
		what: "unikernel", valid: plan.ValidName, invalidName: "has a name roost never gives a unikernel",
		problem: func(fi fs.FileInfo) string { return entryProblem(fi, true, 0o077) },
	})
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return nil
	}
	names := make([]string, len(dirs))
	for i, fi := range dirs {
		names[i] = fi.Name()
	}
	us := make([]plan.ObservedUnikernel, len(names))
	// The directory is held for the pass: each unikernel's is opened
	// beneath it, and its files beneath that, not from the data
	// directory's path each time.
	top, err := h.dbdir.OpenDir(h.dbdir.UnikernelsDir())
	if err != nil {
		return fmt.Errorf("observe unikernels: %w", err)
	}
	defer top.Close()
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(len(names), observeWorkers()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				us[i] = h.observeUnikernel(top, names[i], o.BootID)
			}
		}()
	}
	for i := range names {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("observe unikernels: %w", err)
	}
	for _, u := range us {
		o.Unikernels[u.Name] = u
	}
	return nil
}

// observeWorkers is how many goroutines read unikernel directories: twice
// the CPUs, since half the time goes to waiting on files.
func observeWorkers() int { return 2 * runtime.GOMAXPROCS(0) }

// observeUnikernel reads what the directory of unikernel name in top (the
// unikernels directory) says. What it cannot read is a Problem, not an
// error: a broken directory must still show up in the plan, to be
// replaced or destroyed.
func (h *Host) observeUnikernel(top *datadir.Subdir, name, boot string) plan.ObservedUnikernel {
	dir, err := top.Sub(name)
	if err != nil {
		// Gone since the listing, or no longer a directory: what each of
		// its files would have said.
		u := plan.ObservedUnikernel{Name: name, StatusProblem: describe(err)}
		u.Problem = "spec.json: " + describe(err) + "; status.json: " + describe(err)
		if !errors.Is(err, fs.ErrNotExist) {
			u.Problem += "; shim: " + err.Error()
		}
		return u
	}
	defer dir.Close()
	return h.observeUnikernelIn(dir, name, boot)
}

// foreignSpec says how the spec.json of unikernel directory name claims
// what is not its own, or "" when it does not: another unikernel's name
// (but for a move that stopped between renaming the directory and writing
// spec.json again: no directory has the spec's name then), or a tap that
// is not the one roost gives its net (plan.TapName of the spec's
// unikernel and device). spec.json is read back from the data directory,
// so it is untrusted, and plan stops and deletes the taps a spec names.
func (h *Host) foreignSpec(name string, spec *datadir.Spec) string {
	if spec.Name != name {
		if checkName("unikernel", spec.Name) != nil {
			return fmt.Sprintf("names unikernel %q, not %q", spec.Name, name)
		}
		if _, err := os.Lstat(h.dbdir.Unikernel(spec.Name)); !errors.Is(err, fs.ErrNotExist) {
			return fmt.Sprintf("names unikernel %q, which has a directory of its own, not %q", spec.Name, name)
		}
	}
	for _, n := range spec.Nets {
		if want := plan.TapName(spec.Name, n.Device); n.Tap != want {
			return fmt.Sprintf("net %q names tap %q, not its own %s", n.Device, n.Tap, want)
		}
	}
	return ""
}

// observeUnikernelIn is observeUnikernel once its directory is open.
func (h *Host) observeUnikernelIn(dir *datadir.Subdir, name, boot string) plan.ObservedUnikernel {
	u := plan.ObservedUnikernel{Name: name}
	var problems []string
	var spec datadir.Spec
	var fileDigest string // of spec.json as read, for SpecStale
	decode := func(b []byte, v any) error {
		if err := jsonv1.Unmarshal(b, v); err != nil {
			return err
		}
		fileDigest = datadir.FileDigest(b)
		return nil
	}
	if err := dir.ReadJSONWith("spec.json", &spec, decode); err != nil {
		problems = append(problems, "spec.json: "+describe(err))
	} else if bad := h.foreignSpec(name, &spec); bad != "" {
		// Plan deletes the taps a spec names: only its own.
		problems = append(problems, "spec.json: "+bad)
	} else {
		u.Spec = planSpec(&spec)
		u.Command, u.CommandNow = spec.Command, h.specFile(u.Spec).Command
	}
	var status datadir.Status
	if err := dir.ReadJSONWith("status.json", &status, jsonv1.Unmarshal); err != nil {
		problems = append(problems, "status.json: "+describe(err))
		u.StatusProblem = describe(err)
	} else {
		u.Status = planStatus(&status)
		// A spec.json as roost writes it proves itself the shim's by its
		// file's digest; only another shows whether it is by encoding it.
		u.SpecStale = u.Spec != nil && status.SpecDigest != "" && status.SpecDigest != fileDigest && status.SpecDigest != datadir.Digest(&spec)
	}
	alive, pid, err := h.shims.Alive(dir)
	if err != nil {
		problems = append(problems, "shim: "+err.Error())
	}
	u.ShimAlive = alive
	// The process states, so that plan and status can tell a stopped
	// (SIGSTOP) shim or tender from a running one (issue 8, finding 13).
	// One read of /proc/PID/stat says whether the tender lives and how.
	u.TenderAlive, u.TenderProcState = tenderState(u.Status, boot)
	if alive && pid > 0 {
		u.ShimPID = pid
		u.ShimProcState = procState(pid)
	}
	u.Problem = strings.Join(problems, "; ")
	return u
}

// describe says briefly what is wrong with a file.
func describe(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "missing"
	}
	return err.Error()
}

// tenderState reports whether the tender that s names still runs (same
// boot, and a process with its pid that started at the recorded time, so
// a reused pid is not mistaken for it), and its state letter if it does.
func tenderState(s *plan.Status, boot string) (alive bool, state string) {
	if s == nil || s.TenderPID <= 0 || s.BootID != boot {
		return false, ""
	}
	return proc.Probe(s.TenderPID, s.TenderStart)
}

// shimAlive reports whether a shim holds the lock of unikernel name; with
// no directory, none does.
func (h *Host) shimAlive(name string) (bool, error) {
	u, err := h.dbdir.OpenUnikernel(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("probe shim of %s: %w", name, err)
	}
	defer u.Close()
	alive, _, err := h.shims.Alive(u)
	return alive, err
}

// procState is the state letter of process pid, "" if unreadable.
func procState(pid int) string {
	st, err := proc.ReadStat(pid)
	if err != nil {
		return ""
	}
	return st.State
}
