package solo5_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roostd/roost/internal/regfile"
	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/platform/solo5"
	"golang.org/x/sys/unix"
)

func TestParseNotes(t *testing.T) {
	many := make([]solo5.Device, 63)
	for i := range many {
		many[i] = solo5test.Net("n" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
	}
	long := solo5test.Block("b234567890123456789012345678901234567890123456789012345678901234567")
	tests := []struct {
		name string
		spec solo5test.Spec
		want solo5.Notes
	}{
		{"hvt-no-devices", solo5test.Spec{}, solo5.Notes{Machine: solo5.X86_64, Target: solo5.HVT, ABIVersion: 2}},
		{"spt-net-block", solo5test.Spec{Target: solo5.SPT, Devices: []solo5.Device{solo5test.Net("service"), solo5test.Block("storage")}},
			solo5.Notes{Machine: solo5.X86_64, Target: solo5.SPT, ABIVersion: 2, Devices: []solo5.Device{{"service", solo5.NetBasic}, {"storage", solo5.BlockBasic}}}},
		{"abi-7-arm64", solo5test.Spec{ABIVersion: 7, Machine: solo5.AArch64}, solo5.Notes{Machine: solo5.AArch64, Target: solo5.HVT, ABIVersion: 7}},
		{"63-devices", solo5test.Spec{Devices: many}, solo5.Notes{Machine: solo5.X86_64, Target: solo5.HVT, ABIVersion: 2, Devices: many}},
		{"67-char-name", solo5test.Spec{Devices: []solo5.Device{long}}, solo5.Notes{Machine: solo5.X86_64, Target: solo5.HVT, ABIVersion: 2, Devices: []solo5.Device{long}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := solo5test.Build(tt.spec)
			got, err := solo5.ParseNotes(tt.name, bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatalf("ParseNotes = %v", err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("ParseNotes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseNotesBroken(t *testing.T) {
	for _, tt := range solo5test.Broken() {
		t.Run(tt.Name, func(t *testing.T) {
			_, err := solo5.ParseNotes(tt.Name, bytes.NewReader(tt.Data), int64(len(tt.Data)))
			if !errors.Is(err, tt.Want) {
				t.Fatalf("ParseNotes = %v, want %v", err, tt.Want)
			}
			var pe *os.PathError
			if !errors.As(err, &pe) || pe.Op != "parse" || pe.Path != tt.Name {
				t.Errorf("ParseNotes error = %#v, want *os.PathError{Op: parse, Path: %q}", err, tt.Name)
			}
		})
	}
}

func TestReadImage(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.hvt")
	if err := solo5test.Write(p, solo5test.Spec{Behaviour: "exit 0"}); err != nil {
		t.Fatal(err)
	}
	q := filepath.Join(dir, "b.hvt")
	if err := solo5test.Write(q, solo5test.Spec{Behaviour: "exit 1"}); err != nil {
		t.Fatal(err)
	}
	a, err := solo5.ReadImage(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := solo5.ReadImage(q)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.SHA256) != 64 || a.SHA256 == b.SHA256 {
		t.Errorf("digests %q and %q: want two distinct SHA-256 hex strings", a.SHA256, b.SHA256)
	}
	if _, err := solo5.ReadImage(dir); !errors.Is(err, regfile.ErrNotRegular) {
		t.Errorf("ReadImage(dir) = %v, want ErrNotRegular", err)
	}
	// A named pipe without a writer: the open must not block (issue 8,
	// finding 8), and the error says what the file is.
	fifo := filepath.Join(dir, "fifo.hvt")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := solo5.ReadImage(fifo); err == nil || err.Error() != "open "+fifo+": not a regular file (a named pipe)" {
		t.Errorf("ReadImage(fifo) = %v, want not a regular file (a named pipe)", err)
	}
	if _, err := solo5.ReadImage(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadImage(missing) = %v, want ErrNotExist", err)
	}
}

func FuzzParseNotes(f *testing.F) {
	b, _ := solo5test.Build(solo5test.Spec{Devices: []solo5.Device{solo5test.Net("service"), solo5test.Block("storage")}})
	f.Add(b)
	for _, tt := range solo5test.Broken() {
		f.Add(tt.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := solo5.ParseNotes("fuzz", bytes.NewReader(data), int64(len(data)))
		if err == nil && len(n.Devices) >= solo5.MaxDevices {
			t.Fatalf("%d devices accepted", len(n.Devices))
		}
	})
}
