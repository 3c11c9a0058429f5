package proc

import (
	"encoding/binary"
	"fmt"
)

// The parser of FreeBSD's struct kinfo_proc (sys/sys/user.h), as sysctl
// kern.proc.pid.PID returns it, lives here without a build constraint, so
// that its tests run everywhere. x/sys/unix has no KinfoProc type for
// FreeBSD; the offsets below are those of the LP64 ports (amd64, arm64,
// riscv64), whose KINFO_PROC_SIZE is 1088, and ParseKinfoProc refuses a
// record of any other size instead of misreading it.

// KinfoProcSize is KINFO_PROC_SIZE on FreeBSD's 64-bit ports.
const KinfoProcSize = 1088

// Offsets into struct kinfo_proc (64-bit ports), counted from user.h.
const (
	kiStructsize = 0   // int ki_structsize
	kiPid        = 72  // pid_t ki_pid
	kiRssize     = 264 // segsz_t ki_rssize, pages
	kiStart      = 336 // struct timeval ki_start
	kiStat       = 388 // char ki_stat
	kiComm       = 447 // char ki_comm[COMMLEN+1], COMMLEN 19
	kiRusage     = 608 // struct rusage ki_rusage: ru_utime, ru_stime first
)

// KinfoProc is what roost reads of a struct kinfo_proc.
type KinfoProc struct {
	PID  int
	Comm string
	// Stat is ki_stat: SIDL 1, SRUN 2, SSLEEP 3, SSTOP 4, SZOMB 5,
	// SWAIT 6, SLOCK 7 (sys/sys/proc.h).
	Stat int8
	// StartSec and StartUsec are ki_start: when the process started, in
	// the kernel's current idea of wall-clock time.
	StartSec, StartUsec int64
	// RSSPages is ki_rssize.
	RSSPages int64
	// UserUsec and SysUsec are the CPU time of ki_rusage, in microseconds.
	UserUsec, SysUsec int64
}

// The values of ki_stat that matter here.
const (
	SZOMB = 5
)

// ParseKinfoProc parses one struct kinfo_proc of a 64-bit FreeBSD.
func ParseKinfoProc(b []byte) (KinfoProc, error) {
	var k KinfoProc
	if len(b) < KinfoProcSize {
		return k, fmt.Errorf("kinfo_proc of %d bytes, want %d", len(b), KinfoProcSize)
	}
	le := binary.LittleEndian
	if n := int32(le.Uint32(b[kiStructsize:])); n != KinfoProcSize {
		return k, fmt.Errorf("kinfo_proc says its size is %d, want %d", n, KinfoProcSize)
	}
	k.PID = int(int32(le.Uint32(b[kiPid:])))
	k.RSSPages = int64(le.Uint64(b[kiRssize:]))
	k.StartSec = int64(le.Uint64(b[kiStart:]))
	k.StartUsec = int64(le.Uint64(b[kiStart+8:]))
	k.Stat = int8(b[kiStat])
	comm := b[kiComm : kiComm+20]
	for i, c := range comm {
		if c == 0 {
			comm = comm[:i]
			break
		}
	}
	k.Comm = string(comm)
	tv := func(off int) int64 { return int64(le.Uint64(b[off:]))*1e6 + int64(le.Uint64(b[off+8:])) }
	k.UserUsec = tv(kiRusage)
	k.SysUsec = tv(kiRusage + 16)
	if k.PID <= 0 || k.StartUsec < 0 || k.StartUsec >= 1e6 || k.RSSPages < 0 {
		return k, fmt.Errorf("kinfo_proc of pid %d: fields out of range", k.PID)
	}
	return k, nil
}

// stateLetter is ki_stat as the letter of /proc/PID/stat's state field
// (and of ps(1)'s STAT column), so that Stat means one thing everywhere.
func stateLetter(stat int8) string {
	switch stat {
	case 1:
		return "I" // SIDL: being created
	case 2:
		return "R"
	case 3:
		return "S"
	case 4:
		return "T"
	case SZOMB:
		return "Z"
	case 6:
		return "W" // SWAIT: an interrupt thread waiting
	case 7:
		return "L" // SLOCK: blocked on a lock
	}
	return "?"
}
