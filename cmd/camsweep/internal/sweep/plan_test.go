package sweep

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner/link"
	"github.com/camsweep/camsweep/scanner/snmp"
)

// tcpMaxPerHost is the most TCP attempts the plan allows an address with
// the default 10 ports: each port, a second try of all but one, the probes.
const tcpMaxPerHost = 10 + 9 + 16

// TestPlanListsEverySend: the dry-run plan lists, and counts in its totals,
// every kind of packet a sweep sends: ARP on the segment, ARP for the
// factory-default addresses outside the scope, the multicast queries on
// the interface (which reach every device on the segment), TCP, and the
// unicast UDP probes.
func TestPlanListsEverySend(t *testing.T) {
	lab := link.Interface{Name: "lab0", Index: 2, Addr: netip.MustParseAddr("10.20.8.1"),
		Prefixes: []netip.Prefix{netip.MustParsePrefix("10.20.8.0/24")}}
	home := link.Interface{Name: "lab1", Index: 3, Addr: netip.MustParseAddr("192.168.1.2"),
		Prefixes: []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24")}}
	multicast := []string{"wsd multicast", "sadp multicast", "dhip multicast", "ssdp multicast", "mdns multicast"}
	tests := []struct {
		name    string
		cfg     Config
		ifc     link.Interface
		ifcErr  error
		raw     bool
		want    map[string][2]uint64 // send (What prefix) -> min, max
		absent  []string
		wantErr bool
	}{
		{
			name: "gentle on-link /24", cfg: Config{Targets: []string{"10.20.8.0/24"}}, ifc: lab, raw: true,
			want: map[string][2]uint64{
				"ARP who-has, broadcast (":  {253, 506},
				"ARP who-has, broadcast, f": {12, 24},
				"wsd multicast":             {2, 2},
				"sadp multicast":            {1, 1},
				"dhip multicast":            {1, 1},
				"ssdp multicast":            {1, 1},
				"mdns multicast":            {9, 73},
				"TCP":                       {0, 256 * tcpMaxPerHost},
				"wsd unicast":               {0, 256 * 2},
				"mdns unicast":              {0, 256 * 73},
			},
		},
		{
			name: "factory defaults on the segment are scope addresses, and exclusions hold",
			cfg:  Config{Targets: []string{"192.168.1.0/24"}, Exclude: []string{"192.168.0.90"}}, ifc: home, raw: true,
			// 12 defaults, 4 on 192.168.1.0/24, 1 excluded.
			want: map[string][2]uint64{"ARP who-has, broadcast, f": {7, 14}, "ARP who-has, broadcast (": {253, 506}, "ssdp multicast": {1, 1}},
		},
		{
			name: "arp profile: ARP only", cfg: Config{Targets: []string{"10.20.8.0/24"}, Profile: ProfileARP}, ifc: lab, raw: true,
			want:   map[string][2]uint64{"ARP who-has, broadcast (": {253, 506}, "ARP who-has, broadcast, f": {12, 24}},
			absent: append([]string{"TCP", "wsd unicast"}, multicast...),
		},
		{
			name: "no CAP_NET_RAW: no ARP, multicast still", cfg: Config{Targets: []string{"10.20.8.0/24"}}, ifc: lab, raw: false,
			want:   map[string][2]uint64{"mdns multicast": {9, 73}, "TCP": {256 * 3, 256 * tcpMaxPerHost}},
			absent: []string{"ARP"},
		},
		{
			name: "routed targets: no link level", cfg: Config{Targets: []string{"10.30.0.0/24"}}, ifcErr: errors.New("no interface holds the targets"),
			want:   map[string][2]uint64{"TCP": {256 * 3, 256 * tcpMaxPerHost}},
			absent: append([]string{"ARP"}, multicast...),
		},
		{
			name: "passive: nothing", cfg: Config{Targets: []string{"10.20.8.0/24"}, Profile: ProfilePassive}, ifc: lab, raw: true,
			absent: append([]string{"ARP", "TCP"}, multicast...),
		},
		{
			name: "named interface unusable", cfg: Config{Targets: []string{"10.20.8.0/24"}, Interface: "nope"}, ifcErr: errors.New("no such interface"),
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			planInterface = func(string, []netip.Prefix) (link.Interface, error) { return tt.ifc, tt.ifcErr }
			planRawSocket = func() bool { return tt.raw }
			t.Cleanup(func() { planInterface, planRawSocket = link.ChooseInterface, link.CanRawSocket })
			p, err := MakePlan(tt.cfg)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			find := func(prefix string) (PlanSend, bool) {
				for _, s := range p.Sends {
					if strings.HasPrefix(s.What, prefix) {
						return s, true
					}
				}
				return PlanSend{}, false
			}
			for what, n := range tt.want {
				s, ok := find(what)
				if !ok {
					t.Errorf("plan lacks %q: %+v", what, p.Sends)
					continue
				}
				if s.Min != n[0] || s.Max != n[1] {
					t.Errorf("%s: %d to %d, want %d to %d", s.What, s.Min, s.Max, n[0], n[1])
				}
				if s.To == "" {
					t.Errorf("%s: says not to whom", s.What)
				}
			}
			for _, what := range tt.absent {
				if s, ok := find(what); ok {
					t.Errorf("plan lists %q, which this sweep does not send", s.What)
				}
			}
			var lo, hi uint64
			for _, s := range p.Sends {
				lo, hi = lo+s.Min, hi+s.Max
			}
			if p.PacketsMin != lo || p.PacketsMax != hi {
				t.Errorf("totals %d to %d, the sends add up to %d to %d", p.PacketsMin, p.PacketsMax, lo, hi)
			}
		})
	}
}

// TestPlanPricesPerVLANReads: a switch's per-VLAN bridge tables are in
// the plan, and in its upper bound, unless vlan_indexing is off; "on"
// counts them in the lower bound too; a configured VLAN list replaces
// vtpVlanTable and sets how many VLANs are read.
func TestPlanPricesPerVLANReads(t *testing.T) {
	price := func(tune snmp.Tuning, vlans []int) PlanSend {
		t.Helper()
		ic := &snmp.Config{Devices: []snmp.Device{{Name: "asw", Address: netip.MustParseAddr("10.20.0.33"), Port: 161, Roles: []string{snmp.RoleSwitch},
			Credentials: "p", VLANs: vlans, Tuning: tune}}, Credentials: map[string]snmp.CredentialSpec{"p": {Version: "2c", CommunityEnv: "X"}}}
		if p := ic.Validate(); len(p) > 0 {
			t.Fatal(p)
		}
		var p Plan
		p.infraPlan(Config{Infrastructure: ic})
		if len(p.Sends) != 1 {
			t.Fatalf("sends %+v", p.Sends)
		}
		return p.Sends[0]
	}
	// A rate and duration high enough that they do not cap the bound.
	base := snmp.Tuning{Rate: 1000, MaxDuration: time.Hour, MaxEntries: 1000, MaxRepetitions: 10, Retries: new(int)}
	off, auto, on := base, base, base
	off.VLANIndexing, auto.VLANIndexing, on.VLANIndexing = snmp.VLANIndexingOff, snmp.VLANIndexingAuto, snmp.VLANIndexingOn
	pOff, pAuto, pOn := price(off, nil), price(auto, nil), price(on, nil)
	if strings.Contains(pOff.What, "per VLAN") || !strings.Contains(pAuto.What, "per VLAN") || !strings.Contains(pAuto.What, snmp.TableVtpVlan) {
		t.Errorf("off %q\nauto %q", pOff.What, pAuto.What)
	}
	if pAuto.Min != pOff.Min || pAuto.Max <= pOff.Max {
		t.Errorf("auto [%d, %d], off [%d, %d]: want the per-VLAN reads in the upper bound only", pAuto.Min, pAuto.Max, pOff.Min, pOff.Max)
	}
	if pOn.Min <= pOff.Min || pOn.Max != pAuto.Max {
		t.Errorf("on [%d, %d], auto [%d, %d]", pOn.Min, pOn.Max, pAuto.Min, pAuto.Max)
	}
	// 64 VLANs (max_vlans' default) at 2 requests each at least, more
	// than the vtp and membership walks' 3 × (1000/5 + 1).
	if extra := pAuto.Max - pOff.Max; extra < 2*snmp.DefaultMaxVLANs {
		t.Errorf("per-VLAN reads add %d requests at most: fewer than 2 per VLAN", extra)
	}
	listed := price(auto, []int{120, 130})
	if strings.Contains(listed.What, snmp.TableVtpVlan) || !strings.Contains(listed.What, "up to 2 VLANs") || listed.Max >= pAuto.Max {
		t.Errorf("configured VLANs: %q [%d, %d]", listed.What, listed.Min, listed.Max)
	}
}
