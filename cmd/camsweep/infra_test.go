package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/docs"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/scantest"
)

const infraCommunity = "noh-r0-c0mmunity"

// nohInfrastructure emulates the NOH network's own infrastructure around
// the demo hosts: a core router whose neighbour table holds every host's
// true MAC (the persona's), and an access switch with each host on a port
// of its own plus an uplink to the router. It returns the infrastructure
// file and, per host address, the port the test put it on. perVLAN makes
// the switch a Catalyst that serves its VLAN 120 bridge only at
// community@120 (no Q-BRIDGE forwarding table).
func nohInfrastructure(t *testing.T, n *scantest.Network, perVLAN bool) (string, map[string]string) {
	t.Helper()
	router := scantest.EmulatedRouter{SysName: "noh-core1", SysDescr: "Cisco IOS XE Software, Catalyst 9500"}
	sw := scantest.EmulatedSwitch{SysName: "noh-b1-asw03", SysDescr: "Cisco IOS Software, C2960X", Own: []net.HardwareAddr{{0x00, 0x1b, 0x54, 0, 0, 0x33}}, PerVLAN: perVLAN}
	ports := map[string]string{}
	for i, h := range n.Hosts {
		mac, err := net.ParseMAC(h.MAC())
		if err != nil {
			t.Fatalf("%s: persona MAC %q: %v", h.Addr, h.MAC(), err)
		}
		router.Neighbours = append(router.Neighbours, scantest.RouterNeighbour{IfIndex: 120, Addr: h.Addr.As4(), MAC: mac})
		name := fmt.Sprintf("Gi1/0/%d", i+1)
		sw.Ports = append(sw.Ports, scantest.SwitchPort{IfIndex: 10101 + i, Name: name, Alias: fmt.Sprintf("Rum %d", 100+i), MACs: []scantest.LearntMAC{{MAC: mac, VLAN: 120}}})
		ports[h.Addr.String()] = name
	}
	sw.Ports = append(sw.Ports, scantest.SwitchPort{IfIndex: 10148, Name: "Gi1/0/48", Alias: "uplink noh-core1",
		MACs:  []scantest.LearntMAC{{MAC: net.HardwareAddr{0x00, 0x1b, 0x54, 0, 0, 1}, VLAN: 120}},
		Trunk: perVLAN, LLDP: []scantest.LLDPRemote{{ChassisMAC: net.HardwareAddr{0x00, 0x1b, 0x54, 0, 0, 1}, PortID: "Te1/0/7", SystemName: "noh-core1", Capabilities: scantest.CapBridge | scantest.CapRouter}}})
	ra := scantest.StartSNMPAgent(t, router.MIB(), scantest.SNMPAgentOptions{Community: infraCommunity})
	sa := scantest.StartSNMPAgent(t, sw.MIB(), scantest.SNMPAgentOptions{Community: infraCommunity, Contexts: sw.Contexts()})
	t.Setenv("NOH_SNMP_COMMUNITY", infraCommunity)
	file := filepath.Join(t.TempDir(), "infrastructure.yaml")
	body := fmt.Sprintf(`credentials:
  noh-ro:
    version: 2c
    community_env: NOH_SNMP_COMMUNITY
devices:
  - name: noh-core1
    address: %s
    port: %d
    roles: [router]
    credentials: noh-ro
  - address: %s
    port: %d
    roles: [switch]
    credentials: noh-ro
`, ra.Addr.Addr(), ra.Addr.Port(), sa.Addr.Addr(), sa.Addr.Port())
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return file, ports
}

// TestScanWithInfrastructure: the demo network has no layer 2 (loopback),
// so without SNMP no MAC is known; with the router and switch configured
// every live host has its true MAC, learnt from the router, and its switch
// port, and the findings carry both; from a Q-BRIDGE switch and from a
// Catalyst whose VLAN 120 bridge is read per VLAN alike.
func TestScanWithInfrastructure(t *testing.T) {
	for _, perVLAN := range []bool{false, true} {
		t.Run(fmt.Sprintf("per_vlan=%v", perVLAN), func(t *testing.T) { testScanWithInfrastructure(t, perVLAN) })
	}
}

func testScanWithInfrastructure(t *testing.T, perVLAN bool) {
	n := startNOH(t)
	infra, ports := nohInfrastructure(t, n, perVLAN)
	reconcile := []string{"--registry", examplesDir + "registry.csv", "--columns", examplesDir + "registry-columns.yaml",
		"--policy", examplesDir + "policy.yaml", "--now", "2026-11-28", "-o", "json", "--fail-on", "none", "--log-level", "debug"}
	stdout, stderr, code := camsweep(t, "", nohScanArgs(n, append(reconcile, "--infrastructure", infra)...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, out := range []string{stdout, stderr} {
		if strings.Contains(out, infraCommunity) {
			t.Fatal("the community reached the report or the log")
		}
	}
	var rep inventory.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Infrastructure) != 2 || !rep.Infrastructure[0].OK || !rep.Infrastructure[1].OK {
		t.Fatalf("infrastructure %+v", rep.Infrastructure)
	}
	if err := docs.ValidateReport([]byte(stdout)); err != nil {
		t.Errorf("report: %v", err)
	}
	if sw := rep.Infrastructure[1]; perVLAN != (sw.VLANIndexing == "community") || perVLAN != slices.ContainsFunc(sw.VLANs, func(v inventory.InfraVLAN) bool { return v.VLAN == 120 && v.Entries > 0 }) {
		t.Errorf("switch read per VLAN: indexing %q, VLANs %+v", sw.VLANIndexing, sw.VLANs)
	}
	if rep.Stats.SNMPRequests == 0 || rep.Stats.PacketsSent < rep.Stats.SNMPRequests || rep.Stats.SNMPSeconds <= 0 {
		t.Errorf("snmp_requests %d, packets_sent %d", rep.Stats.SNMPRequests, rep.Stats.PacketsSent)
	}
	truth := map[string]string{}
	for _, h := range n.Hosts {
		truth[h.Addr.String()] = h.MAC()
	}
	if len(rep.Devices) == 0 {
		t.Fatal("no devices")
	}
	for _, d := range rep.Devices {
		ip := d.IP.String()
		if d.MAC != truth[ip] {
			t.Errorf("%s: MAC %q, want its true MAC %q", ip, d.MAC, truth[ip])
		}
		if d.MACSource != "snmp router noh-core1" && !strings.HasPrefix(d.MACSource, "snmp") {
			// A persona may state its own MAC (ONVIF, SADP); the router's
			// must agree with it either way.
			if d.MAC != truth[ip] {
				t.Errorf("%s: mac_source %q", ip, d.MACSource)
			}
		}
		if d.Location == nil || d.Location.Switch != "noh-b1-asw03" || d.Location.Port != ports[ip] || d.Location.VLAN != 120 {
			t.Errorf("%s: location %v, want noh-b1-asw03 %s VLAN 120", ip, d.Location, ports[ip])
		}
	}
	located := 0
	for _, f := range rep.Findings {
		if f.Kind == inventory.KindUnregisteredCamera {
			if f.Location == nil || f.Location.Port != ports[f.IP] || f.MAC != truth[f.IP] {
				t.Errorf("finding %s: location %v, MAC %q", f.Key, f.Location, f.MAC)
			}
			located++
		}
	}
	if located < 7 {
		t.Errorf("%d unregistered cameras located, want the seven Dahua at least", located)
	}
}
