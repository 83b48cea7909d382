package serve

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
)

// TestPassiveClone: a device heard between sweeps that answers with the
// serial of the registered Axis the latest sweep found at its registered
// address is judged against that sweep: unregistered (critical, it pages)
// and a duplicate identity, as the next sweep would say, not a registered
// camera that moved.
func TestPassiveClone(t *testing.T) {
	fl := newFakeLink()
	clone := nohAxis
	clone.MAC = "02:00:00:00:00:66"
	fl.more = map[string]inventory.Device{clone.MAC: clone}
	sweep := newFakeSweep()
	sweep.devs["NOH"] = []inventory.Device{nohAxis}
	h := startHarnessOpts(t, "", sweep, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel),
		WithPassive(Passive{Listen: fl.listen, Look: fl.look}))
	h.waitFor("NOH listening", func() bool { return strings.Contains(h.metrics(), `camsweep_passive_listening{site="NOH"} 1`) })
	h.idle()

	fl.announce(netip.MustParseAddr("10.20.8.66"), clone.MAC)
	h.waitFor("the clone looked at", func() bool {
		return strings.Contains(h.metrics(), `camsweep_triggered_probes_total{outcome="ok",site="NOH"} 1`)
	})
	m := h.metrics()
	for _, want := range []string{
		`camsweep_unregistered_camera_info{brand="Axis",ip="10.20.8.66",mac="02:00:00:00:00:66"`,
		`camsweep_duplicate_identity_info{identity="serial=ACCC8E000020"`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(m, `kind="address_changed"`) {
		t.Errorf("the clone took the registered row as a moved camera:\n%s", grepLines(m, "finding_info"))
	}
}
