package shim

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/roostd/roost/platform/datadir"
	"golang.org/x/sys/unix"
)

// TestImageCache checks what a restart reads of the stored image: a file
// verified by the last start is not hashed again (here it could not be:
// the test overwrites the cache's record of it with the identity of a
// corrupt file), an altered file is hashed and refused, and each start
// gets a descriptor of its own at offset 0.
func TestImageCache(t *testing.T) {
	for _, c := range []struct {
		uid  int
		mode os.FileMode
		copy bool // the tender gets a sealed copy
	}{{0, datadir.ImageMode, false}, {0, 0o400, false}, {2000000123, datadir.ImageMode, false}, {2000000123, 0o400, true}} {
		uid := c.uid
		dbdir := datadir.Dir(t.TempDir())
		if err := dbdir.Init(); err != nil {
			t.Fatal(err)
		}
		good := []byte(strings.Repeat("unikernel", 1000))
		sum := sha256.Sum256(good)
		spec := &datadir.Spec{Name: "web", UID: uid, ImageSHA256: hex.EncodeToString(sum[:])}
		spec.ImageFile = dbdir.Image(spec.ImageSHA256)
		if err := os.WriteFile(spec.ImageFile, good, c.mode); err != nil {
			t.Fatal(err)
		}
		var cache imageCache
		read := func() (string, error) {
			f, err := cache.open(dbdir, spec)
			if err != nil {
				return "", err
			}
			defer f.Close()
			b, err := io.ReadAll(f)
			return string(b), err
		}
		for i := range 2 {
			if got, err := read(); err != nil || got != string(good) {
				t.Fatalf("uid %d, mode %#o, start %d: image %.20q..., %v; want the stored image", uid, c.mode, i+1, got, err)
			}
		}

		// Altered: another change time.
		os.Chmod(spec.ImageFile, 0o600)
		bad := append([]byte(nil), good...)
		bad[0] ^= 0xff
		if err := os.WriteFile(spec.ImageFile, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chmod(spec.ImageFile, c.mode)

		// Were it the file verified last, it would not be hashed again:
		// a tender that shares the stored file would get it as it is,
		// one that needs a copy the copy made of the file verified.
		f, err := os.Open(spec.ImageFile)
		if err != nil {
			t.Fatal(err)
		}
		id, err := identify(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		verified := cache.verified
		cache.verified = id
		want := string(bad)
		if c.copy {
			want = string(good)
		}
		if got, err := read(); err != nil || got != want {
			t.Errorf("uid %d, mode %#o: start with the file taken as verified = %.20q..., %v; want %.20q... without hashing", uid, c.mode, got, err, want)
		}

		// It is not: it is hashed, and refused.
		cache.verified = verified
		if _, err := read(); err == nil || !strings.Contains(err.Error(), "was altered") {
			t.Errorf("uid %d, mode %#o: start after the stored image was altered = %v, want it refused as altered", uid, c.mode, err)
		}
	}
}

// TestImageShared checks which image a tender of its own user gets: the
// stored file itself when everyone may read it and only roost may enter
// its directory, so that all the tenders of an image share its pages;
// else a sealed copy of its own, the image's size in memory (issue 9).
func TestImageShared(t *testing.T) {
	for _, c := range []struct {
		name          string
		mode, dirMode os.FileMode
		shared        bool
	}{
		{"stored-by-roost", datadir.ImageMode, 0o700, true},
		{"stored-0400-by-an-earlier-roost", 0o400, 0o700, false},
		{"store-others-may-enter", datadir.ImageMode, 0o711, false},
		{"store-others-may-list", datadir.ImageMode, 0o744, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dbdir := datadir.Dir(t.TempDir())
			if err := dbdir.Init(); err != nil {
				t.Fatal(err)
			}
			good := []byte(strings.Repeat("unikernel", 1000))
			sum := sha256.Sum256(good)
			spec := &datadir.Spec{Name: "web", UID: 2000000123, ImageSHA256: hex.EncodeToString(sum[:])}
			spec.ImageFile = dbdir.Image(spec.ImageSHA256)
			if err := os.WriteFile(spec.ImageFile, good, c.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(spec.ImageFile, c.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dbdir.ImagesDir(), c.dirMode); err != nil {
				t.Fatal(err)
			}
			var stored unix.Stat_t
			if err := unix.Stat(spec.ImageFile, &stored); err != nil {
				t.Fatal(err)
			}
			var cache imageCache
			defer cache.forget()
			for i := range 2 {
				f, err := cache.open(dbdir, spec)
				if err != nil {
					t.Fatalf("start %d: %v", i+1, err)
				}
				var st unix.Stat_t
				err = unix.Fstat(int(f.Fd()), &st)
				b, _ := io.ReadAll(f)
				f.Close()
				if err != nil || string(b) != string(good) {
					t.Fatalf("start %d: image %.20q..., %v; want the stored image's bytes", i+1, b, err)
				}
				if got := st.Dev == stored.Dev && st.Ino == stored.Ino; got != c.shared {
					t.Errorf("start %d: the tender's image is the stored file = %v, want %v", i+1, got, c.shared)
				}
			}
		})
	}
}
