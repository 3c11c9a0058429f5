package albatross_test

import (
	"net"
	"reflect"
	"testing"

	"github.com/roostd/roost/internal/albatross"
	"github.com/roostd/roost/internal/albatross/albatrosstest"
)

func TestEncodeRoundTrip(t *testing.T) {
	prio, sector := 10, 4096
	name, _ := albatross.ParseName("foo:web")
	want := []albatross.Unikernel{{
		Name: name, Typ: "solo5", Image: []byte("image"), Startup: &prio, AddName: false,
		Fail:   albatross.FailBehaviour{Restart: true, ExitCodes: []int{2, 255, 300}},
		CPUIDs: []int{0, 3}, Memory: 1 << 20, NumCPUs: 1,
		Blocks:  []albatross.BlockDevice{{Name: "storage", Device: "data", SectorSize: &sector}},
		Bridges: []albatross.Bridge{{Name: "service", Bridge: "br0", MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}}},
		Argv:    []string{"--ipv4=192.0.2.2/24"},
	}}
	st, err := albatross.DecodeState(albatrosstest.Encode(want))
	if err != nil {
		t.Fatal(err)
	}
	if st.ConfigVersion != 5 || !reflect.DeepEqual(st.Unikernels, want) {
		t.Errorf("got %+v, want %+v", st.Unikernels, want)
	}
}
