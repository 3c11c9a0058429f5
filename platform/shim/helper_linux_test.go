package shim

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// helperEnv makes the test binary a fake tender: the TestHelperProcess
// pattern (containerd pkg/sys/reaper). The shim under test starts the
// tender with its own environment, so tenderCommand sets the variable
// through env(1), which execs in place: the tender keeps env's pid.
const helperEnv = "GO_WANT_HELPER_PROCESS"

// TestHelperProcess is no test: started with GO_WANT_HELPER_PROCESS=1 by
// a shim under test, the test binary is its tender and acts out the
// directives after "--" (see fakeTender).
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		return
	}
	args := os.Args
	for len(args) > 0 && args[0] != "--" {
		args = args[1:]
	}
	if len(args) > 0 {
		args = args[1:]
	}
	os.Exit(fakeTender(args))
}

// tenderCommand returns a spec command that runs the test binary as a
// fake tender acting out directives.
func tenderCommand(t *testing.T, directives ...string) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env, err := exec.LookPath("env")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{env, helperEnv + "=1", exe, "-test.run=^TestHelperProcess$", "--"}, directives...)
}

// fakeTender acts out directives in order and returns the exit code:
//
//	print TEXT        a line on stdout
//	printn TEXT       TEXT on stdout, no newline
//	stderr TEXT       a line on stderr
//	spam N            N numbered lines on stdout
//	sleep DURATION    wait
//	exit N            exit with N
//	die SIGNAL        die by SIGNAL (SIGSEGV: as spt does on a guest fault)
//	hvt               on SIGTERM print "Exiting on signal 15" and exit 1, as solo5-hvt does
//	ignore-term       ignore SIGTERM
//	usr1-exit N       wait for SIGUSR1, then exit with N
//	spawn             start a child (a fake tender that waits) in the same
//	                  process group, print "grandchild PID", and leave it
//	wait              wait forever
//	attempt FILE A|B  count the runs in FILE and act out the run's item
//	                  (the last one for later runs); an item is directives
//	                  separated by ";"
//
// Without a handler, SIGTERM kills it, as it kills solo5-spt.
func fakeTender(directives []string) int {
	for _, d := range directives {
		verb, arg, _ := strings.Cut(d, " ")
		switch verb {
		case "print":
			fmt.Println(arg)
		case "printn":
			fmt.Print(arg)
		case "stderr":
			fmt.Fprintln(os.Stderr, arg)
		case "spam":
			n, _ := strconv.Atoi(arg)
			for i := range n {
				fmt.Printf("line %03d\n", i)
			}
		case "sleep":
			d, err := time.ParseDuration(arg)
			if err != nil {
				return fail(err)
			}
			time.Sleep(d)
		case "exit":
			n, err := strconv.Atoi(arg)
			if err != nil {
				return fail(err)
			}
			return n
		case "die":
			sig := unix.SignalNum(arg)
			if sig == 0 {
				return fail(fmt.Errorf("unknown signal %q", arg))
			}
			return fail(dieBySignal(sig))
		case "hvt":
			c := make(chan os.Signal, 1)
			signal.Notify(c, unix.SIGTERM)
			go func() {
				<-c
				fmt.Println("solo5-hvt: Exiting on signal 15")
				os.Exit(1)
			}()
		case "ignore-term":
			signal.Ignore(unix.SIGTERM)
		case "usr1-exit":
			n, err := strconv.Atoi(arg)
			if err != nil {
				return fail(err)
			}
			c := make(chan os.Signal, 1)
			signal.Notify(c, unix.SIGUSR1)
			fmt.Println("waiting for SIGUSR1")
			<-c
			return n
		case "spawn":
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "--", "wait")
			if err := cmd.Start(); err != nil {
				return fail(err)
			}
			fmt.Printf("grandchild %d\n", cmd.Process.Pid)
		case "wait":
			time.Sleep(time.Hour)
		case "attempt":
			file, list, _ := strings.Cut(arg, " ")
			b, _ := os.ReadFile(file)
			n, _ := strconv.Atoi(string(b))
			if err := os.WriteFile(file, []byte(strconv.Itoa(n+1)), 0o600); err != nil {
				return fail(err)
			}
			items := strings.Split(list, "|")
			return fakeTender(strings.Split(items[min(n, len(items)-1)], ";"))
		default:
			return fail(fmt.Errorf("unknown directive %q", d))
		}
	}
	return 0
}

// fail reports a broken directive: exit code 99, which no test expects.
func fail(err error) int {
	fmt.Fprintln(os.Stderr, "fake tender:", err)
	return 99
}

// dieBySignal ends the process by sig, so that its parent sees
// WIFSIGNALED. Go's runtime handles SIGSEGV itself and ignores one sent by
// kill(2), so the default action is restored with a raw rt_sigaction
// first (as internal/simtender does); core dumps are off. It returns only
// if the process survived.
func dieBySignal(sig unix.Signal) error {
	runtime.LockOSThread()
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return fmt.Errorf("disable core dumps: %w", err)
	}
	var act [8]uint64 // a zero struct sigaction: SIG_DFL, no flags, empty mask
	const sigsetSize = 8
	if _, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, sigsetSize, 0, 0); errno != 0 {
		return fmt.Errorf("reset action of %s: %w", unix.SignalName(sig), errno)
	}
	if err := unix.Tgkill(unix.Getpid(), unix.Gettid(), sig); err != nil {
		return fmt.Errorf("raise %s: %w", unix.SignalName(sig), err)
	}
	time.Sleep(time.Second)
	return fmt.Errorf("raise %s: the process survived it", unix.SignalName(sig))
}
