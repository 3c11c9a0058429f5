package simtender_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/roostd/roost/internal/simtender"
	"github.com/roostd/roost/internal/solo5test"
	"github.com/roostd/roost/platform/solo5"
)

func hvtUsage(prog string) string {
	return "usage: " + prog + ` [ CORE OPTIONS ] [ MODULE OPTIONS ] [ -- ] KERNEL [ ARGS ]
KERNEL is the filename of the unikernel to run.
ARGS are optional arguments passed to the unikernel.
Core options:
  [ --mem=512 ] (guest memory in MB)
    --help (display this help)
    --version (display version information)
Compiled-in modules: core block net 
Compiled-in module options:
    --block:NAME=PATH (attach block device/file at PATH as block storage NAME)
  [ --block-sector-size:NAME=SECTORSIZE ] (set sector size for block device NAME; must be a power of two greater than or equal 512)
    --net:NAME=IFACE | @NN (attach tap at IFACE or at fd @NN as network NAME)
  [ --net-mac:NAME=HWADDR ] (set HWADDR for network NAME)
`
}

func sptUsage(prog string) string {
	return "usage: " + prog + ` [ CORE OPTIONS ] [ -- ] KERNEL [ ARGS ]
KERNEL is the filename of the unikernel to run.
ARGS are optional arguments passed to the unikernel.
Core options:
  [ --mem=512 ] (guest memory in MB)
    --help (display this help)
Compiled-in modules: core net block 
Compiled-in module options:
    --x-exec-heap (make the heap executable). WARNING: This option is dangerous and not recommended as it makes the heap and stack executable.
    --net:NAME=IFACE | @NN (attach tap at IFACE or at fd @NN as network NAME)
  [ --net-mac:NAME=HWADDR ] (set HWADDR for network NAME)
    --block:NAME=PATH (attach block device/file at PATH as block storage NAME)
  [ --block-sector-size:NAME=SECTORSIZE ] (set sector size for block device NAME; must be a power of two greater than or equal 512)
`
}

// banner is what the bindings print before the application starts, for an
// image written by solo5test and memMiB of memory.
func banner(memMiB int) string {
	return `            |      ___|
  __|  _ \  |  _ \ __ \
\__ \ (   | | (   |  ) |
____/\___/ _|\___/____/
Solo5: Bindings version v0.9.0-roost-simulator
Solo5: Memory map: ` + strconv.Itoa(memMiB) + ` MB addressable:
Solo5:   reserved @ (0x0 - 0xfffff)
Solo5:       text @ (0x100000 - 0x100fff)
Solo5:     rodata @ (0x101000 - 0x101fff)
Solo5:       data @ (0x102000 - 0x102fff)
Solo5:       heap >= 0x103000 < stack < 0x` + strconv.FormatInt(int64(memMiB)<<20, 16) + "\n"
}

// fixture writes the images and files the tests run, into a temporary
// directory, and returns their paths by name.
func fixture(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{"dir": dir, "missing": filepath.Join(dir, "missing.hvt")}
	images := map[string]solo5test.Spec{
		"plain":   {Behaviour: "exit 0"},
		"hello":   {Behaviour: "print hello; exit 3"},
		"devices": {Devices: []solo5.Device{solo5test.Net("service"), solo5test.Block("storage")}, Behaviour: "exit 0"},
		"net":     {Devices: []solo5.Device{solo5test.Net("service")}, Behaviour: "exit 0"},
		"block":   {Devices: []solo5.Device{solo5test.Block("storage")}, Behaviour: "exit 0"},
		"spt":     {Target: solo5.SPT, Behaviour: "exit 0"},
		"abi1":    {ABIVersion: 1},
	}
	for name, spec := range images {
		p := filepath.Join(dir, name+".hvt")
		if err := solo5test.Write(p, spec); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	for _, b := range solo5test.Broken() {
		p := filepath.Join(dir, "broken-"+b.Name)
		if err := os.WriteFile(p, b.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths["broken-"+b.Name] = p
	}
	for name, size := range map[string]int64{"disk": 4096, "disk1000": 1000, "disk0": 0} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, size); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

func TestMainCommandLine(t *testing.T) {
	p := fixture(t)
	hvtUsage, sptUsage := hvtUsage("solo5-hvt"), sptUsage("solo5-spt")
	tests := []struct {
		name   string
		args   []string
		abi    string // ROOST_SIM_ABI
		code   int
		stderr string
	}{
		{"version", []string{"solo5-hvt", "--version"}, "", 0,
			"solo5-hvt tender, version v0.9.0-roost-simulator\nABI version 2\n"},
		{"version-after-options", []string{"/opt/solo5/bin/solo5-spt.2", "--mem=64", "--bogus", "--version", p["plain"]}, "", 0,
			"solo5-spt.2 tender, version v0.9.0-roost-simulator\nABI version 2\n"},
		{"version-abi-env", []string{"roost-simtender", "--version"}, "3", 0,
			"roost-simtender tender, version v0.9.0-roost-simulator\nABI version 3\n"},
		{"help", []string{"solo5-hvt", "--help"}, "", 1, hvtUsage},
		{"help-spt", []string{"solo5-spt", "--help"}, "", 1, sptUsage},
		{"help-before-version", []string{"solo5-hvt", "--help", "--version"}, "", 1, hvtUsage},
		{"no-arguments", []string{"solo5-hvt"}, "", 1, "solo5-hvt: Missing KERNEL operand\n" + hvtUsage},
		{"options-only", []string{"solo5-hvt", "--mem=64", "--"}, "", 1, "solo5-hvt: Missing KERNEL operand\n" + hvtUsage},
		{"cannot-open", []string{"solo5-hvt", p["missing"]}, "", 1,
			"solo5-hvt: " + p["missing"] + ": Could not open: No such file or directory\n"},
		{"not-elf", []string{"solo5-hvt", p["broken-text"]}, "", 1,
			"solo5-hvt: " + p["broken-text"] + ": invalid executable: elf header does not match the expected size (21 != 64)\n"},
		{"empty", []string{"solo5-hvt", p["broken-empty"]}, "", 1,
			"solo5-hvt: " + p["broken-empty"] + ": invalid executable: elf header does not match the expected size (0 != 64)\n"},
		{"elf32", []string{"solo5-hvt", p["broken-elf32"]}, "", 1,
			"solo5-hvt: " + p["broken-elf32"] + ": invalid executable: invalid or unsupported executable (elf header invalid while loading note)\n"},
		{"no-abi-note", []string{"solo5-hvt", p["broken-no-abi-note"]}, "", 1,
			"solo5-hvt: " + p["broken-no-abi-note"] + ": No Solo5 ABI information found in executable\n"},
		{"spt-image-on-hvt", []string{"solo5-hvt", p["spt"]}, "", 1,
			"solo5-hvt: " + p["spt"] + ": Executable is not for the solo5-hvt target\n"},
		{"hvt-image-on-spt", []string{"solo5-spt", p["plain"]}, "", 1,
			"solo5-spt: " + p["plain"] + ": Executable is not for the solo5-spt target\n"},
		{"target-checked-before-manifest", []string{"solo5-spt", p["broken-mft-version"]}, "", 1,
			"solo5-spt: " + p["broken-mft-version"] + ": Executable is not for the solo5-spt target\n"},
		{"image-abi-1", []string{"solo5-hvt", p["abi1"]}, "", 1,
			"solo5-hvt: " + p["abi1"] + ": Executable requests unsupported ABI version 1\n"},
		{"tender-abi-3", []string{"solo5-hvt.3", p["plain"]}, "3", 1,
			"solo5-hvt.3: " + p["plain"] + ": Executable requests unsupported ABI version 2\n"},
		{"no-manifest", []string{"solo5-hvt", p["broken-no-manifest"]}, "", 1,
			"solo5-hvt: " + p["broken-no-manifest"] + ": No Solo5 manifest found in executable\n"},
		{"invalid-manifest", []string{"solo5-hvt", p["broken-mft-attached"]}, "", 1,
			"solo5-hvt: " + p["broken-mft-attached"] + ": Solo5 manifest is invalid\n"},
		{"malformed-mem", []string{"solo5-hvt", "--mem=lots", p["plain"]}, "", 1, "solo5-hvt: Malformed argument to --mem\n"},
		{"zero-mem", []string{"solo5-hvt", "--mem=0", p["plain"]}, "", 1, "solo5-hvt: Malformed argument to --mem\n"},
		{"unknown-option", []string{"solo5-hvt", "--bogus", p["plain"]}, "", 1, "solo5-hvt: Invalid option: `--bogus'\n" + hvtUsage},
		{"option-after-dash-dash-is-kernel", []string{"solo5-hvt", "--", "--bogus"}, "", 1,
			"solo5-hvt: --bogus: Could not open: No such file or directory\n"},
		{"net-undeclared", []string{"solo5-hvt", "--net:bogus=tap0", p["net"]}, "", 1,
			"solo5-hvt: Resource not declared in manifest: 'bogus'\nsolo5-hvt: Invalid option: `--net:bogus=tap0'\n" + hvtUsage},
		{"net-is-a-block", []string{"solo5-hvt", "--net:storage=tap0", p["devices"]}, "", 1,
			"solo5-hvt: Resource not declared in manifest: 'storage'\nsolo5-hvt: Invalid option: `--net:storage=tap0'\n" + hvtUsage},
		{"net-bad-name", []string{"solo5-hvt", "--net:my-net=tap0", p["net"]}, "", 1,
			"solo5-hvt: Invalid option: `--net:my-net=tap0'\n" + hvtUsage},
		{"net-no-iface", []string{"solo5-hvt", "--net:service=", p["net"]}, "", 1,
			"solo5-hvt: Invalid option: `--net:service='\n" + hvtUsage},
		{"net-iface-too-long", []string{"solo5-hvt", "--net:service=abcdefghijklmnop", p["net"]}, "", 1,
			"solo5-hvt: Could not attach interface: abcdefghijklmnop: File name too long\nsolo5-hvt: Invalid option: `--net:service=abcdefghijklmnop'\n" + hvtUsage},
		{"net-bad-fd", []string{"solo5-hvt", "--net:service=@x", p["net"]}, "", 1,
			"solo5-hvt: Could not attach interface: @x: Invalid argument\nsolo5-hvt: Invalid option: `--net:service=@x'\n" + hvtUsage},
		{"net-closed-fd", []string{"solo5-hvt", "--net:service=@1000000", p["net"]}, "", 1,
			"solo5-hvt: Could not attach interface: @1000000: Bad file descriptor\nsolo5-hvt: Invalid option: `--net:service=@1000000'\n" + hvtUsage},
		{"net-mac-undeclared", []string{"solo5-hvt", "--net-mac:bogus=02:00:00:00:00:01", p["net"]}, "", 1,
			"solo5-hvt: Resource not declared in manifest: 'bogus'\nsolo5-hvt: Invalid option: `--net-mac:bogus=02:00:00:00:00:01'\n" + hvtUsage},
		{"net-mac-malformed", []string{"solo5-hvt", "--net-mac:service=02:00:00:00:00", p["net"]}, "", 1,
			"solo5-hvt: Invalid option: `--net-mac:service=02:00:00:00:00'\n" + hvtUsage},
		{"mem-then-undeclared", []string{"solo5-hvt", "--mem=64", "--net:bogus=tap0", p["net"]}, "", 1,
			// hvt_main.c offers the argument after --mem to the modules
			// twice, so the warning comes twice.
			"solo5-hvt: Resource not declared in manifest: 'bogus'\nsolo5-hvt: Resource not declared in manifest: 'bogus'\nsolo5-hvt: Invalid option: `--net:bogus=tap0'\n" + hvtUsage},
		{"block-undeclared", []string{"solo5-hvt", "--block:bogus=" + p["disk"], p["block"]}, "", 1,
			"solo5-hvt: Resource not declared in manifest: 'bogus'\nsolo5-hvt: Invalid option: `--block:bogus=" + p["disk"] + "'\n" + hvtUsage},
		{"block-missing-file", []string{"solo5-hvt", "--block:storage=" + p["missing"], p["block"]}, "", 1,
			"solo5-hvt: Could not open block device: " + p["missing"] + ": No such file or directory\n"},
		{"block-directory", []string{"solo5-hvt", "--block:storage=" + p["dir"], p["block"]}, "", 1,
			"solo5-hvt: Could not open block device: " + p["dir"] + ": Is a directory\n"},
		{"block-sector-size-not-power-of-two", []string{"solo5-hvt", "--block-sector-size:storage=1000", p["block"]}, "", 1,
			"solo5-hvt: Block size must be a multiple of 2 greater than or equal 512\nsolo5-hvt: Invalid option: `--block-sector-size:storage=1000'\n" + hvtUsage},
		{"block-sector-size-too-small", []string{"solo5-hvt", "--block-sector-size:storage=256", p["block"]}, "", 1,
			"solo5-hvt: Block size must be a multiple of 2 greater than or equal 512\nsolo5-hvt: Invalid option: `--block-sector-size:storage=256'\n" + hvtUsage},
		{"block-sector-size-undeclared", []string{"solo5-hvt", "--block-sector-size:bogus=4096", p["block"]}, "", 1,
			"solo5-hvt: Resource not declared in manifest: 'bogus'\nsolo5-hvt: Invalid option: `--block-sector-size:bogus=4096'\n" + hvtUsage},
		{"block-unaligned", []string{"solo5-hvt", "--block:storage=" + p["disk1000"], p["block"]}, "", 1,
			"solo5-hvt: storage: Backing storage size must be block aligned (512 bytes)\n"},
		{"block-unaligned-to-sector", []string{"solo5-hvt", "--block:storage=" + p["disk"], "--block-sector-size:storage=8192", p["block"]}, "", 1,
			"solo5-hvt: storage: Backing storage size must be block aligned (8192 bytes)\n"},
		{"block-empty", []string{"solo5-hvt", "--block:storage=" + p["disk0"], p["block"]}, "", 1,
			"solo5-hvt: storage: Backing storage must be at least 1 block (512 bytes) in size\n"},
		{"not-attached", []string{"solo5-hvt", p["devices"]}, "", 1,
			"solo5-hvt: Device 'service' of type NET_BASIC declared but not attached.\n" +
				"solo5-hvt: Device 'storage' of type BLOCK_BASIC declared but not attached.\n" +
				"solo5-hvt: All declared devices must be attached. See --help for syntax.\n"},
		{"one-not-attached", []string{"solo5-hvt", "--block:storage=" + p["disk"], p["devices"]}, "", 1,
			"solo5-hvt: Device 'service' of type NET_BASIC declared but not attached.\n" +
				"solo5-hvt: All declared devices must be attached. See --help for syntax.\n"},
		{"cmdline-too-long", []string{"solo5-hvt", p["plain"], strings.Repeat("x", 8192)}, "", 1,
			"solo5-hvt: Guest command line too long (max=8191 characters)\n"},
		{"spt-x-exec-heap", []string{"solo5-spt", "--x-exec-heap", "--bogus", p["spt"]}, "", 1,
			"solo5-spt: WARNING: The use of --x-exec-heap is dangerous and not recommended as it makes the heap and stack executable.\n" +
				"solo5-spt: Invalid option: `--bogus'\n" + sptUsage},
	}
	if runtime.GOOS == "linux" {
		tests = append(tests, struct {
			name   string
			args   []string
			abi    string
			code   int
			stderr string
		}{"net-missing-tap", []string{"solo5-hvt", "--net:service=roostnone0", p["net"]}, "", 1,
			"solo5-hvt: Could not attach interface: roostnone0: No such file or directory\nsolo5-hvt: Invalid option: `--net:service=roostnone0'\n" + hvtUsage})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(simtender.ABIEnv, tt.abi)
			var stdout, stderr bytes.Buffer
			code := simtender.Main(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("Main(%q) = %d, want %d", tt.args, code, tt.code)
			}
			if diff := cmp.Diff(tt.stderr, stderr.String()); diff != "" {
				t.Errorf("Main(%q) stderr mismatch (-want +got):\n%s", tt.args, diff)
			}
			if stdout.Len() != 0 {
				t.Errorf("Main(%q) stdout = %q, want nothing", tt.args, stdout.String())
			}
		})
	}
}

func TestMainHello(t *testing.T) {
	p := fixture(t)
	var stdout, stderr bytes.Buffer
	code := simtender.Main([]string{"solo5-hvt", "--mem=64", "--", p["hello"]}, &stdout, &stderr)
	if code != 3 {
		t.Errorf("Main = %d, want 3", code)
	}
	want := banner(64) + "hello\nSolo5: solo5_exit(3) called\n"
	if diff := cmp.Diff(want, stdout.String()); diff != "" {
		t.Errorf("stdout mismatch (-want +got):\n%s", diff)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q, want nothing", stderr.String())
	}
}

func TestMainBehaviour(t *testing.T) {
	p := fixture(t)
	tests := []struct {
		name   string
		args   []string // after the program name
		code   int
		stdout string // after the banner
	}{
		{"exit", []string{p["plain"]}, 0, "Solo5: solo5_exit(0) called\n"},
		{"end-of-directives", []string{p["plain"], "--sim=print a\nprint  b c "}, 0, "a\nb c\nSolo5: solo5_exit(0) called\n"},
		{"sim-overrides-image", []string{p["hello"], "--sim=exit 7"}, 7, "Solo5: solo5_exit(7) called\n"},
		{"exit-wraps", []string{p["plain"], "--sim=exit 300"}, 44, "Solo5: solo5_exit(300) called\n"},
		{"abort", []string{p["plain"], "--sim=print x;abort;print y"}, 255, "x\nSolo5: solo5_abort() called\n"},
		{"sleep", []string{p["plain"], "--sim=sleep 1ms; exit 2"}, 2, "Solo5: solo5_exit(2) called\n"},
		{"spin", []string{p["plain"], "--sim=spin 1ms; exit 3"}, 3, "Solo5: solo5_exit(3) called\n"},
		{"args", []string{p["plain"], "--ipv4=192.0.2.2/24", "--sim=args", "-l", "*:debug"}, 0,
			"--ipv4=192.0.2.2/24 -l *:debug\nSolo5: solo5_exit(0) called\n"},
		{"unknown-directive", []string{p["plain"], "--sim=print a; frobnicate 3"}, 64,
			"roost-sim: unknown directive frobnicate\nSolo5: solo5_exit(64) called\n"},
		{"bad-duration", []string{p["plain"], "--sim=sleep soon"}, 64,
			"roost-sim: sleep: invalid duration \"soon\"\nSolo5: solo5_exit(64) called\n"},
		{"bad-signal", []string{p["plain"], "--sim=signal SIGNOPE"}, 64,
			"roost-sim: signal: unknown signal \"SIGNOPE\"\nSolo5: solo5_exit(64) called\n"},
		{"bad-ipv4", []string{p["plain"], "--ipv4=192.0.2.2"}, 64,
			"roost-sim: invalid --ipv4 \"192.0.2.2\": want an IPv4 address and prefix length\nSolo5: solo5_exit(64) called\n"},
		{"unknown-block", []string{p["plain"], "--sim=block-read storage 0 1"}, 64,
			"roost-sim: block-read: no block device storage in the manifest\nSolo5: solo5_exit(64) called\n"},
		{"block", []string{"--block:storage=" + p["disk"], p["block"], "--sim=block-write storage 512 hello, world; block-read storage 510 9"}, 0,
			"block-read storage 510 9: \"\\x00\\x00hello, \"\nSolo5: solo5_exit(0) called\n"},
		{"block-beyond-capacity", []string{"--block:storage=" + p["disk"], p["block"], "--sim=block-write storage 4090 1234567"}, 255,
			"roost-sim: block-write storage 4090: 7 bytes beyond the capacity (4096 bytes)\nSolo5: solo5_abort() called\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"solo5-hvt"}, tt.args...)
			code := simtender.Main(args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("Main(%q) = %d, want %d", args, code, tt.code)
			}
			out, ok := strings.CutPrefix(stdout.String(), banner(512))
			if !ok {
				t.Fatalf("Main(%q) stdout = %q, want the banner first", args, stdout.String())
			}
			if diff := cmp.Diff(tt.stdout, out); diff != "" {
				t.Errorf("Main(%q) stdout mismatch (-want +got):\n%s", args, diff)
			}
			if stderr.Len() != 0 {
				t.Errorf("Main(%q) stderr = %q, want nothing", args, stderr.String())
			}
		})
	}
}

// TestSpinUsesCPU checks that spin computes for its duration of CPU time,
// not of wall time: the process's CPU time grows by at least as much.
func TestSpinUsesCPU(t *testing.T) {
	p := fixture(t)
	cpu := func() time.Duration {
		var ru unix.Rusage
		if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	before := cpu()
	var stdout, stderr bytes.Buffer
	if code := simtender.Main([]string{"solo5-hvt", p["plain"], "--sim=spin 50ms; exit 3"}, &stdout, &stderr); code != 3 {
		t.Fatalf("spin 50ms; exit 3: exit %d, stderr %q", code, stderr.String())
	}
	if used := cpu() - before; used < 50*time.Millisecond {
		t.Errorf("spin 50ms used %v of CPU, want at least 50ms", used)
	}
}

func TestMainBlockWrite(t *testing.T) {
	p := fixture(t)
	var stdout, stderr bytes.Buffer
	args := []string{"solo5-spt", "--block:storage=" + p["disk"], "--block-sector-size:storage=4096", p["block"], "--sim=block-write storage 0x10 data"}
	// The image is for hvt; make one for spt with the same device.
	img := filepath.Join(p["dir"], "block.spt")
	if err := solo5test.Write(img, solo5test.Spec{Target: solo5.SPT, Devices: []solo5.Device{solo5test.Block("storage")}}); err != nil {
		t.Fatal(err)
	}
	args[3] = img
	if code := simtender.Main(args, &stdout, &stderr); code != 0 {
		t.Fatalf("Main(%q) = %d, stderr %q", args, code, stderr.String())
	}
	b, err := os.ReadFile(p["disk"])
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 4096 || string(b[16:20]) != "data" {
		t.Errorf("disk after block-write: %d bytes, %q at 16, want 4096 bytes, \"data\"", len(b), b[16:20])
	}
}

func TestMainQuiet(t *testing.T) {
	p := fixture(t)
	var stdout, stderr bytes.Buffer
	code := simtender.Main([]string{"solo5-hvt", p["hello"], "--solo5:quiet"}, &stdout, &stderr)
	if code != 3 || stdout.String() != "hello\n" {
		t.Errorf("Main with --solo5:quiet = %d, stdout %q; want 3, %q", code, stdout.String(), "hello\n")
	}
}

// TestSignals runs the simulator as a subprocess: the signal directive
// kills it, and the tender's signal handling is process-wide.
func TestSignals(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		t.Skip("signals are simulated on Linux and FreeBSD")
	}
	p := fixture(t)
	bin := tenders(t)
	spt := filepath.Join(p["dir"], "tick.spt")
	if err := solo5test.Write(spt, solo5test.Spec{Target: solo5.SPT, Behaviour: "print started; tick 20ms"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		tender string
		image  string
		args   []string
		send   unix.Signal // sent once the guest printed "started"; 0: none
		code   int         // exit code, or -1 when killed
		killed unix.Signal // the signal that killed it
		stderr string
	}{
		{"segv", "solo5-hvt", p["plain"], []string{"--sim=print started; signal SEGV"}, 0, -1, unix.SIGSEGV, ""},
		{"abrt", "solo5-hvt", p["plain"], []string{"--sim=signal abrt"}, 0, -1, unix.SIGABRT, ""},
		{"hvt-sigterm", "solo5-hvt", p["plain"], []string{"--sim=print started; tick 20ms"}, unix.SIGTERM, 1, 0, "solo5-hvt: Exiting on signal 15\n"},
		{"hvt-sigint", "solo5-hvt", p["plain"], []string{"--sim=print started; serve"}, unix.SIGINT, 1, 0, "solo5-hvt: Exiting on signal 2\n"},
		// solo5-spt installs no handler: SIGTERM kills it.
		{"spt-sigterm", "solo5-spt", spt, nil, unix.SIGTERM, -1, unix.SIGTERM, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(bin, tt.tender), append([]string{tt.image}, tt.args...)...)
			stderr := helperCommand(cmd)
			started, stdout := startGuest(t, cmd)
			if tt.send != 0 {
				select {
				case <-started:
				case <-ctx.Done():
					t.Fatalf("no \"started\" line; stdout %q", <-stdout)
				}
				if err := cmd.Process.Signal(tt.send); err != nil {
					t.Fatal(err)
				}
			}
			<-stdout
			cmd.Wait()
			st := cmd.ProcessState.Sys().(interface {
				Signaled() bool
				Signal() unix.Signal
			})
			if code := cmd.ProcessState.ExitCode(); code != tt.code {
				t.Errorf("exit code = %d (%v), want %d", code, cmd.ProcessState, tt.code)
			}
			if tt.killed != 0 && (!st.Signaled() || st.Signal() != tt.killed) {
				t.Errorf("process state = %v, want killed by %v", cmd.ProcessState, tt.killed)
			}
			if got := stderr.String(); got != tt.stderr {
				t.Errorf("stderr = %q, want %q", got, tt.stderr)
			}
		})
	}
}
