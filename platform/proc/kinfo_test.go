package proc

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// kinfo builds a struct kinfo_proc of a 64-bit FreeBSD with the fields
// ParseKinfoProc reads, at the offsets of sys/sys/user.h.
func kinfo(size int32, pid int32, stat byte, comm string) []byte {
	b := make([]byte, KinfoProcSize)
	le := binary.LittleEndian
	le.PutUint32(b[kiStructsize:], uint32(size))
	le.PutUint32(b[kiPid:], uint32(pid))
	le.PutUint64(b[kiRssize:], 300)
	le.PutUint64(b[kiStart:], 1700000000)
	le.PutUint64(b[kiStart+8:], 250000)
	b[kiStat] = stat
	copy(b[kiComm:kiComm+19], comm)
	le.PutUint64(b[kiRusage:], 2)       // ru_utime.tv_sec
	le.PutUint64(b[kiRusage+8:], 5e5)   // ru_utime.tv_usec
	le.PutUint64(b[kiRusage+16:], 1)    // ru_stime.tv_sec
	le.PutUint64(b[kiRusage+24:], 25e4) // ru_stime.tv_usec
	return b
}

func TestParseKinfoProc(t *testing.T) {
	got, err := ParseKinfoProc(kinfo(KinfoProcSize, 4242, SZOMB, "solo5-hvt"))
	if err != nil {
		t.Fatalf("ParseKinfoProc = %v", err)
	}
	want := KinfoProc{PID: 4242, Comm: "solo5-hvt", Stat: SZOMB, StartSec: 1700000000, StartUsec: 250000,
		RSSPages: 300, UserUsec: 2500000, SysUsec: 1250000}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseKinfoProc mismatch (-want +got):\n%s", diff)
	}
	if s := stateLetter(got.Stat); s != "Z" {
		t.Errorf("stateLetter(SZOMB) = %q, want Z", s)
	}
	for name, b := range map[string][]byte{
		"short":      kinfo(KinfoProcSize, 1, 2, "x")[:KinfoProcSize-1],
		"other-size": kinfo(816, 1, 2, "x"), // a 32-bit layout
		"no-pid":     kinfo(KinfoProcSize, 0, 2, "x"),
	} {
		if got, err := ParseKinfoProc(b); err == nil {
			t.Errorf("ParseKinfoProc(%s) = %+v, want an error", name, got)
		}
	}
}
