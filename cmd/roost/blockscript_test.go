package main

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"io"
	"os"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// cmdCompress writes SRC compressed to DST, or a damaged stream:
//
//	compress gzip|zlib SRC DST
//	compress truncated-gzip SRC DST   the gzip stream cut in half
func cmdCompress(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: compress gzip|zlib|truncated-gzip SRC DST")
	}
	src, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	var buf bytes.Buffer
	var w io.WriteCloser
	switch args[0] {
	case "gzip", "truncated-gzip":
		w = gzip.NewWriter(&buf)
	case "zlib":
		w = zlib.NewWriter(&buf)
	default:
		ts.Fatalf("compress: unknown format %q", args[0])
	}
	_, err = w.Write(src)
	ts.Check(err)
	ts.Check(w.Close())
	out := buf.Bytes()
	if args[0] == "truncated-gzip" {
		out = out[:len(out)/2]
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), out, 0o644))
}

// cmdMksparse writes a sparse file of SIZE bytes with TEXT at each OFFSET,
// or checks a file's allocation:
//
//	mksparse FILE SIZE [OFFSET TEXT]...
//	mksparse -allocated-at-most N FILE
func cmdMksparse(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! mksparse")
	}
	if len(args) == 3 && args[0] == "-allocated-at-most" {
		max, err := strconv.ParseInt(args[1], 10, 64)
		ts.Check(err)
		var st unix.Stat_t
		ts.Check(unix.Stat(ts.MkAbs(args[2]), &st))
		if got := int64(st.Blocks) * 512; got > max {
			ts.Fatalf("%s has %d bytes allocated, want at most %d (holes lost)", args[2], got, max)
		}
		return
	}
	if len(args) < 2 || len(args)%2 != 0 {
		ts.Fatalf("usage: mksparse FILE SIZE [OFFSET TEXT]... | mksparse -allocated-at-most N FILE")
	}
	size, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	ts.Check(f.Truncate(size))
	for i := 2; i < len(args); i += 2 {
		off, err := strconv.ParseInt(args[i], 10, 64)
		ts.Check(err)
		_, err = f.WriteAt([]byte(args[i+1]), off)
		ts.Check(err)
	}
}
