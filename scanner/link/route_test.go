package link

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

const routeTable = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	0100140A	0003	0	0	100	00000000	0	0	0
eth0	0008140A	00000000	0001	0	0	100	00FCFFFF	0	0	0
eth1	00000000	FE1E1E0A	0003	0	0	200	00000000	0	0	0
eth1	00000000	00000000	0001	0	0	300	00000000	0	0	0
`

func TestDefaultGateways(t *testing.T) {
	for _, tt := range []struct {
		ifname string
		want   []netip.Addr
	}{
		{"eth0", []netip.Addr{netip.MustParseAddr("10.20.0.1")}},
		{"eth1", []netip.Addr{netip.MustParseAddr("10.30.30.254")}}, // the direct default route has no gateway
		{"eth2", nil},
	} {
		if got := defaultGateways(strings.NewReader(routeTable), tt.ifname); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.ifname, got, tt.want)
		}
	}
}

func FuzzDefaultGateways(f *testing.F) {
	f.Add(routeTable, "eth0")
	f.Fuzz(func(t *testing.T, table, ifname string) {
		for _, a := range defaultGateways(strings.NewReader(table), ifname) {
			if !a.Is4() || a.IsUnspecified() {
				t.Fatalf("gateway %v", a)
			}
		}
	})
}
