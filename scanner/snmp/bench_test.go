package snmp_test

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"testing"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/snmp"
)

// BenchmarkCoreRouterHarvest reads a core router's 100,000-entry neighbour
// table from a loopback agent, side by side: a sweep scope holding 1,000
// of the addresses (what a camera VLAN's sweep keeps) against one holding
// all of them (the baseline: everything kept). It reports the requests a
// harvest costs and the heap it leaves live afterwards; the ratio of the
// two heaps is what keeping only in-scope entries saves.
//
//	go test -run '^$' -bench CoreRouterHarvest -benchtime 3x ./scanner/snmp/
func BenchmarkCoreRouterHarvest(b *testing.B) {
	const entries = 100_000
	r := scantest.EmulatedRouter{SysName: "core", SysDescr: "bench"}
	for i := range entries {
		r.Neighbours = append(r.Neighbours, scantest.RouterNeighbour{IfIndex: 1 + i/4096, Addr: [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)},
			MAC: net.HardwareAddr{0x02, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}})
	}
	agent := scantest.StartSNMPAgent(b, r.MIB(), scantest.SNMPAgentOptions{Community: community})
	cfg := &snmp.Config{
		Credentials: map[string]snmp.CredentialSpec{"v2": {Version: "2c", CommunityEnv: "C"}},
		Devices: []snmp.Device{{Name: "core", Address: agent.Addr.Addr(), Port: agent.Addr.Port(), Roles: []string{snmp.RoleRouter}, Credentials: "v2",
			Tuning: snmp.Tuning{Rate: 1000, MaxRepetitions: 50}}},
	}
	if p := cfg.Validate(); len(p) > 0 {
		b.Fatal(p)
	}
	creds, err := snmp.ResolveCredentials(cfg, func(string) string { return community })
	if err != nil {
		b.Fatal(err)
	}
	for _, sc := range []struct {
		name  string
		scope netip.Prefix
		kept  int
	}{
		{"scope=1k_of_100k", netip.MustParsePrefix("10.0.16.0/22"), 1024},
		{"scope=all_100k", netip.MustParsePrefix("10.0.0.0/8"), entries},
	} {
		b.Run(sc.name, func(b *testing.B) {
			var res *snmp.Result
			var live uint64
			b.ReportAllocs()
			for b.Loop() {
				res = snmp.Harvest(context.Background(), cfg, snmp.Options{InScope: sc.scope.Contains, Credentials: creds, Log: zerolog.Nop()})
				var ms runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms)
				live = ms.HeapAlloc
			}
			if !res.Devices[0].OK || len(res.Neighbours) != sc.kept {
				b.Fatalf("harvest: ok %v, kept %d, want %d (%s)", res.Devices[0].OK, len(res.Neighbours), sc.kept, res.Devices[0].Error)
			}
			b.ReportMetric(float64(res.Requests), "requests/op")
			b.ReportMetric(float64(len(res.Neighbours)), "kept/op")
			b.ReportMetric(float64(live)/(1<<20), "live-heap-MB")
			runtime.KeepAlive(res)
		})
	}
}

// BenchmarkCatalystPerVLANHarvest reads the emulated access Catalyst
// (VLANs 1, 120, 130, 140 on access ports; 200, 300 on the trunk only),
// side by side: vlan_indexing off (the baseline: the default instance,
// VLAN 1's bridge alone) against auto (each access VLAN's bridge read in
// its own instance). It reports the requests each costs and the MACs it
// places; the difference is what the per-VLAN reads add.
//
//	go test -run '^$' -bench CatalystPerVLANHarvest -benchtime 20x ./scanner/snmp/
func BenchmarkCatalystPerVLANHarvest(b *testing.B) {
	agent := scantest.StartSNMPAgent(b, catalystAccess().MIB(), scantest.SNMPAgentOptions{Community: community, Contexts: catalystAccess().Contexts()})
	for _, mode := range []string{snmp.VLANIndexingOff, snmp.VLANIndexingAuto} {
		b.Run("vlan_indexing="+mode, func(b *testing.B) {
			cfg := &snmp.Config{
				Credentials: map[string]snmp.CredentialSpec{"v2": {Version: "2c", CommunityEnv: "C"}},
				Devices: []snmp.Device{{Name: "asw", Address: agent.Addr.Addr(), Port: agent.Addr.Port(), Roles: []string{snmp.RoleSwitch}, Credentials: "v2",
					Tuning: snmp.Tuning{Rate: 1000, VLANIndexing: mode}}},
			}
			if p := cfg.Validate(); len(p) > 0 {
				b.Fatal(p)
			}
			creds, err := snmp.ResolveCredentials(cfg, func(string) string { return community })
			if err != nil {
				b.Fatal(err)
			}
			var res *snmp.Result
			for b.Loop() {
				res = snmp.Harvest(context.Background(), cfg, snmp.Options{InScope: func(netip.Addr) bool { return true }, Credentials: creds, Log: zerolog.Nop()})
			}
			if !res.Devices[0].OK {
				b.Fatal(res.Devices[0].Error)
			}
			b.ReportMetric(float64(res.Requests), "requests/op")
			b.ReportMetric(float64(len(res.Devices[0].VLANs)), "vlans/op")
			b.ReportMetric(float64(len(res.Locations)), "located/op")
		})
	}
}
