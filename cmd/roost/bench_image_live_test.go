//go:build integration && linux

package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/roostd/roost/internal/solo5test"
)

// imageUnikernels and imagePadMiB shape BenchmarkLiveImageMemory: that
// many unikernels of one image padded to about that size (a MirageOS
// image with its TLS stack is of that order).
const (
	imageUnikernels = 20
	imagePadMiB     = 10
)

// BenchmarkLiveImageMemory measures the memory each running unikernel
// costs for its image, besides its shim and its tender: 20 unikernels of
// one 10 MiB image (simulated tender, each under a user of its own), the
// growth of the host's Shmem (/proc/meminfo) from before the apply to
// when all run, divided by 20. A tender handed a copy of its own (a
// sealed memfd, which it holds for its life) costs the image's size; one
// that reads the stored file costs nothing there, the page cache holding
// the file once. Each iteration destroys what it applied.
//
//	go test -tags integration -run '^$' -bench LiveImageMemory -benchtime 5x ./cmd/roost
func BenchmarkLiveImageMemory(b *testing.B) {
	h := newBenchHost(b)
	h.image("big.hvt", solo5test.Spec{Behaviour: "tick 30s"})
	pad(b, filepath.Join(h.dir, "big.hvt"), imagePadMiB<<20)
	var cfg strings.Builder
	for i := range imageUnikernels {
		fmt.Fprintf(&cfg, "unikernel \"big%d\" {\n  image  = \"big.hvt\"\n  memory = 8\n}\n", i)
	}
	h.write("main.hcl", cfg.String())
	var per []float64
	for b.Loop() {
		before := shmem(b)
		h.timed("apply", "-auto-approve")
		per = append(per, (shmem(b)-before)/imageUnikernels)
		h.timed("destroy", "-auto-approve")
	}
	record(b, "image.shmem", fmt.Sprintf("Shmem each of %d running unikernels of a %d MiB image adds", imageUnikernels, imagePadMiB), "MiB", per)
}

// pad appends n random bytes to the image at path: past its ELF
// contents, which its notes and headers do not reach.
func pad(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, n)
	rand.Read(buf)
	if _, err := f.Write(buf); err != nil {
		tb.Fatal(err)
	}
}

// shmem returns the host's Shmem of /proc/meminfo in MiB.
func shmem(tb testing.TB) float64 {
	tb.Helper()
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Shmem:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				tb.Fatalf("/proc/meminfo: %q: %v", l, err)
			}
			return kb / 1024
		}
	}
	tb.Fatal("/proc/meminfo has no Shmem")
	return 0
}
