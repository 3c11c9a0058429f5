package shim

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/roostd/roost/platform/datadir"
)

// TestImageCache checks what a restart reads of the stored image: a file
// verified by the last start is not hashed again (here it could not be:
// the test overwrites the cache's record of it with the identity of a
// corrupt file), an altered file is hashed and refused, and each start
// gets a descriptor of its own at offset 0.
func TestImageCache(t *testing.T) {
	for _, uid := range []int{0, 2000000123} {
		dbdir := datadir.Dir(t.TempDir())
		if err := dbdir.Init(); err != nil {
			t.Fatal(err)
		}
		good := []byte(strings.Repeat("unikernel", 1000))
		sum := sha256.Sum256(good)
		spec := &datadir.Spec{Name: "web", UID: uid, ImageSHA256: hex.EncodeToString(sum[:])}
		spec.ImageFile = dbdir.Image(spec.ImageSHA256)
		if err := os.WriteFile(spec.ImageFile, good, 0o400); err != nil {
			t.Fatal(err)
		}
		var c imageCache
		read := func() (string, error) {
			f, err := c.open(dbdir, spec)
			if err != nil {
				return "", err
			}
			defer f.Close()
			b, err := io.ReadAll(f)
			return string(b), err
		}
		for i := range 2 {
			if got, err := read(); err != nil || got != string(good) {
				t.Fatalf("uid %d, start %d: image %.20q..., %v; want the stored image", uid, i+1, got, err)
			}
		}

		// Altered: another change time.
		os.Chmod(spec.ImageFile, 0o600)
		bad := append([]byte(nil), good...)
		bad[0] ^= 0xff
		if err := os.WriteFile(spec.ImageFile, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chmod(spec.ImageFile, 0o400)

		// Were it the file verified last, it would not be hashed again:
		// root's tender would get it as it is, another user's the copy
		// made of the file verified.
		f, err := os.Open(spec.ImageFile)
		if err != nil {
			t.Fatal(err)
		}
		id, err := identify(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		verified := c.verified
		c.verified = id
		want := string(bad)
		if uid != 0 {
			want = string(good)
		}
		if got, err := read(); err != nil || got != want {
			t.Errorf("uid %d: start with the file taken as verified = %.20q..., %v; want %.20q... without hashing", uid, got, err, want)
		}

		// It is not: it is hashed, and refused.
		c.verified = verified
		if _, err := read(); err == nil || !strings.Contains(err.Error(), "was altered") {
			t.Errorf("uid %d: start after the stored image was altered = %v, want it refused as altered", uid, err)
		}
	}
}
