package platform

import (
	"github.com/roostd/roost/plan"
	"github.com/roostd/roost/platform/datadir"
	"github.com/roostd/roost/platform/solo5"
)

// plan's types are plain data and the data directory's are its file
// formats; these functions are the one place that maps between them, and
// where a spec gets the paths and the tender argv that plan knows nothing
// of.

// specFile is spec.json for s: s with the stored image, the block files and
// the tender's argv filled in.
func (h *Host) specFile(s *plan.Spec) *datadir.Spec {
	f := &datadir.Spec{
		Name:          s.Name,
		Image:         s.Image,
		ImageFile:     h.dbdir.Image(s.ImageSHA256),
		ImageSHA256:   s.ImageSHA256,
		Target:        s.Target,
		ABIVersion:    s.ABIVersion,
		Tender:        s.Tender,
		TenderVersion: s.TenderVersion,
		MemoryMiB:     s.MemoryMiB,
		CPUs:          s.CPUs,
		Argv:          s.Argv,
		Restart: datadir.Restart{
			Policy:     s.Restart.Policy,
			ExitCodes:  s.Restart.ExitCodes,
			Backoff:    datadir.Duration(s.Restart.Backoff),
			MaxBackoff: datadir.Duration(s.Restart.MaxBackoff),
		},
		StopTimeout: datadir.Duration(s.StopTimeout),
		DependsOn:   s.DependsOn,
		Source:      s.Source,
		UID:         s.UID, // writeSpec sets the user it runs as
		GID:         s.UID,
	}
	for _, n := range s.Nets {
		f.Nets = append(f.Nets, datadir.SpecNet{Device: n.Device, Bridge: n.Bridge, MAC: n.MAC, Tap: n.Tap})
	}
	for _, b := range s.Blocks {
		f.Blocks = append(f.Blocks, datadir.SpecBlock{Device: b.Device, Block: b.Block, Path: h.dbdir.Block(b.Block), SectorSize: b.SectorSize, SizeMiB: b.SizeMiB})
	}
	f.Command = tenderArgv(f, h.tapHostName)
	return f
}

// tapHostName is osHost.tapHostName, or name for a Host without one
// (tests build such Hosts).
func (h *Host) tapHostName(name string) string {
	if h.os == nil {
		return name
	}
	return h.os.tapHostName(name)
}

// tenderArgv is the command line that starts the tender of f. hostName
// gives the name the host knows a tap by, for its plan name (SpecNet.Tap):
// the same on Linux, where roost names its taps, and the kernel's tapN on
// FreeBSD, where the kernel does (osHost.tapHostName). spec.json keeps
// the plan name in Nets and the host name in Command.
func tenderArgv(f *datadir.Spec, hostName func(tap string) string) []string {
	l := solo5.Launch{Tender: f.Tender, Image: f.ImageFile, MemoryMiB: f.MemoryMiB, Args: f.Argv}
	for _, n := range f.Nets {
		l.Nets = append(l.Nets, solo5.NetArg{Device: n.Device, Tap: hostName(n.Tap), MAC: n.MAC})
	}
	for _, b := range f.Blocks {
		l.Blocks = append(l.Blocks, solo5.BlockArg{Device: b.Device, Path: b.Path, SectorSize: b.SectorSize})
	}
	return l.Argv()
}

// planSpec is what plan sees of a spec.json.
func planSpec(f *datadir.Spec) *plan.Spec {
	s := &plan.Spec{
		Name:          f.Name,
		Image:         f.Image,
		ImageSHA256:   f.ImageSHA256,
		Target:        f.Target,
		ABIVersion:    f.ABIVersion,
		Tender:        f.Tender,
		TenderVersion: f.TenderVersion,
		MemoryMiB:     f.MemoryMiB,
		CPUs:          f.CPUs,
		Argv:          f.Argv,
		Restart: plan.Restart{
			Policy:     f.Restart.Policy,
			ExitCodes:  f.Restart.ExitCodes,
			Backoff:    plan.Duration(f.Restart.Backoff),
			MaxBackoff: plan.Duration(f.Restart.MaxBackoff),
		},
		StopTimeout: plan.Duration(f.StopTimeout),
		DependsOn:   f.DependsOn,
		Source:      f.Source,
		// uid 0 is root: unprivileged = false, or a spec written before
		// tenders had users, which plan replaces.
		RunAsRoot: tenderUsers && f.UID == 0,
		UID:       f.UID,
	}
	for _, n := range f.Nets {
		s.Nets = append(s.Nets, plan.SpecNet{Device: n.Device, Bridge: n.Bridge, MAC: n.MAC, Tap: n.Tap})
	}
	for _, b := range f.Blocks {
		s.Blocks = append(s.Blocks, plan.SpecBlock{Device: b.Device, Block: b.Block, SectorSize: b.SectorSize, SizeMiB: b.SizeMiB})
	}
	return s
}

// planStatus is what plan sees of a status.json.
func planStatus(f *datadir.Status) *plan.Status {
	return &plan.Status{
		State:       plan.State(f.State),
		ShimPID:     f.ShimPID,
		BootID:      f.BootID,
		TenderPID:   f.TenderPID,
		TenderStart: f.TenderStart,
		StartedAt:   f.StartedAt,
		Restarts:    f.Restarts,
		LastExit:    planExit(f.LastExit),
		NextStart:   f.NextStart,
		Message:     f.Message,
		UpdatedAt:   f.UpdatedAt,
	}
}

func planExit(e *datadir.Exit) *plan.Exit {
	if e == nil {
		return nil
	}
	return &plan.Exit{Code: e.Code, Signal: e.Signal, At: e.At, Stopped: e.Stopped}
}
