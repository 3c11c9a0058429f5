package albatross

import (
	"bufio"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"reflect"
	"strings"
	"testing"
)

// vectors reads testdata/albatross-tests.txt: albatross's own state dumps.
func vectors(t testing.TB) map[string][]byte {
	t.Helper()
	f, err := os.Open("testdata/albatross-tests.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, b64, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = b
	}
	return out
}

// The expected values are albatross's, from test/tests.ml: u1_3, u2_3 and
// the variants for config versions 2 (u1_2) and 1 (u1_1, u2_1).
func expected() (u13, u23, u12, u11, u21 Unikernel) {
	u13 = Unikernel{
		Typ: "solo5", Image: []byte{}, AddName: true, CPUIDs: []int{0}, Memory: 1, NumCPUs: 1,
		Blocks:  []BlockDevice{{Name: "block"}, {Name: "secondblock", Device: "second-data"}},
		Bridges: []Bridge{{Name: "service"}, {Name: "other-net", Bridge: "second-bridge"}},
		Argv:    []string{"-l *:debug"},
	}
	u23 = Unikernel{
		Typ: "solo5", Image: []byte{}, AddName: true, CPUIDs: []int{2}, Memory: 10, NumCPUs: 1,
		Bridges: []Bridge{{Name: "service", Bridge: "bridge-interface"}},
	}
	u12 = u13
	u12.Blocks = []BlockDevice{{Name: "block"}, {Name: "second-data"}}
	u11 = u13
	u11.Blocks = []BlockDevice{{Name: "block"}, {Name: "secondblock"}}
	u11.Bridges = []Bridge{{Name: "service"}, {Name: "other-net"}}
	u21 = u23
	u21.Bridges = []Bridge{{Name: "service"}}
	return
}

func TestDecodeAlbatrossVectors(t *testing.T) {
	u13, u23, u12, u11, u21 := expected()
	mac := u23
	mac.Bridges = []Bridge{{Name: "service", Bridge: "bridge-interface", MAC: net.HardwareAddr{0x00, 0xde, 0xad, 0xbe, 0xef, 0x00}}}
	dotted := func(foo, bar Unikernel) map[string]Unikernel {
		return map[string]Unikernel{":foo.hello": foo, ":bar.hello": bar, ":foo.my.nice.unikernel": foo, ":bar.my.nice.unikernel": bar}
	}
	path := func(foo, bar Unikernel) map[string]Unikernel {
		return map[string]Unikernel{"foo:hello": foo, "bar:hello": bar, "foo:my.nice.unikernel": foo, "bar:my.nice.unikernel": bar}
	}
	tests := []struct {
		name    string
		version int
		want    map[string]Unikernel
	}{
		{"wire4_unikernel3", 3, dotted(u13, u23)},
		{"wire4_unikernel2", 2, dotted(u12, u23)},
		{"wire4_unikernel1", 1, dotted(u11, u21)},
		{"wire5_unikernel3", 3, dotted(u13, u23)},
		{"wire5_unikernel2", 2, dotted(u12, u23)},
		{"wire5_unikernel1", 1, dotted(u11, u21)},
		{"wire5_unikernel3_path", 3, path(u13, u23)},
		{"wire5_unikernel2_path", 2, path(u12, u23)},
		{"wire5_unikernel1_path", 1, path(u11, u21)},
		{"wire5_unikernel3_with_mac", 3, path(u13, mac)},
	}
	vs := vectors(t)
	if len(vs) != len(tests) {
		t.Fatalf("testdata has %d vectors, the test knows %d", len(vs), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := DecodeState(vs[tt.name])
			if err != nil {
				t.Fatal(err)
			}
			if st.ConfigVersion != tt.version {
				t.Errorf("config version %d, want %d", st.ConfigVersion, tt.version)
			}
			got := map[string]Unikernel{}
			for _, u := range st.Unikernels {
				n := u.Name.String()
				u.Name = Name{}
				got[n] = u
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestDecodeErrorsNameOffset(t *testing.T) {
	v := vectors(t)["wire5_unikernel3_with_mac"]
	tests := []struct {
		name string
		in   []byte
		off  int
		is   error
	}{
		{"empty", nil, 0, ErrMalformed},
		{"unknown version", []byte{0xa7, 0x02, 0x05, 0x00}, 0, ErrUnsupported},
		{"not a choice", []byte{0x30, 0x00}, 0, ErrMalformed},
		{"truncated", v[:len(v)-10], 1, ErrMalformed},
		{"indefinite", []byte{0xa0, 0x80}, 1, ErrMalformed},
		{"trailing", append(append([]byte{}, v...), 0), len(v), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeState(tt.in)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a *DecodeError", err)
			}
			if de.Offset != tt.off || !errors.Is(err, tt.is) {
				t.Errorf("error %v (offset %d), want offset %d and %v", err, de.Offset, tt.off, tt.is)
			}
		})
	}
}

func TestParseName(t *testing.T) {
	for in, want := range map[string]Name{
		"foo.hello":  {Label: "foo.hello"},
		":foo.hello": {Label: "foo.hello"},
		"foo:Hello":  {Path: []string{"foo"}, Label: "hello"},
		"foo:bar:":   {Path: []string{"foo", "bar"}},
	} {
		got, err := ParseName(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseName(%q) = %+v, %v, want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", ":", "foo::bar", "-x", "a_b", strings.Repeat("a", 64)} {
		if _, err := ParseName(in); err == nil && in != ":" {
			t.Errorf("ParseName(%q) succeeded", in)
		}
	}
	if got := (Name{Path: []string{"foo"}, Label: "x"}).BlockFile("data"); got != "foo:data" {
		t.Errorf("BlockFile = %q", got)
	}
}

func FuzzDecodeState(f *testing.F) {
	for _, v := range vectors(f) {
		f.Add(v)
	}
	f.Add([]byte{0xa6, 0x06, 0x30, 0x04, 0x30, 0x00, 0x30, 0x00})
	f.Add([]byte{0xa1, 0x02, 0x30, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := DecodeState(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Offset < 0 || de.Offset > len(b) {
				t.Fatalf("error %v is no *DecodeError within the input", err)
			}
			return
		}
		_ = st
	})
}

func TestMAC(t *testing.T) {
	// At the root, albatross's derivation is roost's DefaultMAC:
	// MD5("service" ":hello").
	n, _ := ParseName("hello")
	sum := md5.Sum([]byte("service:hello"))
	want := net.HardwareAddr{0, 0x80, 0x41, sum[0], sum[1], sum[2]}
	if got := n.MAC("service"); got.String() != want.String() {
		t.Errorf("MAC = %s, want %s", got, want)
	}
	p, _ := ParseName("foo:hello")
	sum = md5.Sum([]byte("servicefoo:hello"))
	if got := p.MAC("service"); got[3] != sum[0] || got[5] != sum[2] {
		t.Errorf("MAC of a path = %s", got)
	}
}
