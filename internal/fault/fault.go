package fault

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// The environment variables that arm points; see the package comment.
const (
	Env           = "ROOST_FAULT"
	EnvRandom     = "ROOST_FAULT_RANDOM"
	ShimEnv       = "ROOST_SHIM_FAULT"
	ShimEnvRandom = "ROOST_SHIM_FAULT_RANDOM"
	EnvTrace      = "ROOST_FAULT_TRACE"
)

// armed is what the environment asked for, read once.
type armed struct {
	mu     sync.Mutex     // guards the fields below
	at     map[string]int // point name -> the reach that kills (1 = first)
	counts map[string]int // point name -> reaches so far
	random map[bool]*chance
	trace  *os.File
}

// chance kills at a point with probability percent/100.
type chance struct {
	rng     *rand.Rand
	percent int
}

var (
	once  sync.Once
	state *armed // nil when nothing is armed
)

// Point is a named fault point: it kills the process with SIGKILL if the
// environment arms this point for this reach, and returns otherwise.
func Point(name string) {
	once.Do(load)
	if state == nil {
		return
	}
	state.reach(name)
}

func (a *armed) reach(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.trace != nil {
		fmt.Fprintf(a.trace, "%d %s\n", os.Getpid(), name)
	}
	if n, ok := a.at[name]; ok {
		a.counts[name]++
		if a.counts[name] == n {
			kill()
		}
	}
	if c := a.random[strings.HasPrefix(name, "shim.")]; c != nil && c.rng.Intn(100) < c.percent {
		kill()
	}
}

// kill is the crash: SIGKILL to the process itself, which does not
// return.
func kill() {
	unix.Kill(os.Getpid(), unix.SIGKILL)
	select {} // the signal is on its way
}

// load reads the environment. A malformed value is reported on stderr and
// arms nothing: only tests set these variables.
func load() {
	a := &armed{at: map[string]int{}, counts: map[string]int{}, random: map[bool]*chance{}}
	on := false
	for _, v := range []struct {
		env  string
		shim bool
	}{{Env, false}, {ShimEnv, true}} {
		s := os.Getenv(v.env)
		if s == "" {
			continue
		}
		for _, p := range strings.Split(s, ",") {
			name, n, err := parsePoint(p)
			if err != nil || strings.HasPrefix(name, "shim.") != v.shim {
				fmt.Fprintf(os.Stderr, "roost: %s: ignoring %q\n", v.env, p)
				continue
			}
			a.at[name] = n
			on = true
		}
	}
	for _, v := range []struct {
		env  string
		shim bool
	}{{EnvRandom, false}, {ShimEnvRandom, true}} {
		s := os.Getenv(v.env)
		if s == "" {
			continue
		}
		c, err := parseChance(s, v.shim)
		if err != nil {
			fmt.Fprintf(os.Stderr, "roost: %s: %v\n", v.env, err)
			continue
		}
		a.random[v.shim] = c
		on = true
	}
	if path := os.Getenv(EnvTrace); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			fmt.Fprintf(os.Stderr, "roost: %s: %v\n", EnvTrace, err)
		} else {
			a.trace = f // kept open for the process's life
			on = true
		}
	}
	if on {
		state = a
	}
}

// parsePoint parses "name" or "name:N".
func parsePoint(s string) (string, int, error) {
	name, count, ok := strings.Cut(strings.TrimSpace(s), ":")
	if name == "" {
		return "", 0, fmt.Errorf("no point name")
	}
	if !ok {
		return name, 1, nil
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		return "", 0, fmt.Errorf("count %q: want a number from 1", count)
	}
	return name, n, nil
}

// parseChance parses "seed:percent". A shim mixes its pid into the seed,
// so that the shims of one apply do not all die at the same reach.
func parseChance(s string, shim bool) (*chance, error) {
	seed, pct, ok := strings.Cut(s, ":")
	if !ok {
		return nil, fmt.Errorf("%q: want seed:percent", s)
	}
	sd, err := strconv.ParseInt(seed, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("seed %q: %w", seed, err)
	}
	p, err := strconv.Atoi(pct)
	if err != nil || p < 0 || p > 100 {
		return nil, fmt.Errorf("percent %q: want 0 to 100", pct)
	}
	if shim {
		sd ^= int64(os.Getpid()) << 20
	}
	return &chance{rng: rand.New(rand.NewSource(sd)), percent: p}, nil
}

// Environ is the process's environment without the variables of this
// package, for children that must not crash at points (tenders).
func Environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == Env || k == EnvRandom || k == ShimEnv || k == ShimEnvRandom || k == EnvTrace {
			continue
		}
		env = append(env, kv)
	}
	return env
}
