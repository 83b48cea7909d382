package snmp_test

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/snmp"
)

const community = "c0mmunity-do-not-print"

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// A small hospital wing: a core router, a distribution switch and an
// access switch, with two cameras, a PC behind an IP phone, and the
// links between them. The test gives every MAC its true port; the
// harvest must find it from the tables alone.
var (
	camDahua = mac("3c:ef:8c:10:00:0a") // Dahua OUI
	camHik   = mac("44:47:cc:10:00:0b") // Hikvision OUI
	pc       = mac("d4:be:d9:10:00:0c") // Dell
	phone    = mac("00:04:f2:10:00:0d") // Polycom
	silent   = mac("ac:cc:8e:10:00:0e") // an Axis that only speaks LLDP
	router   = mac("00:1b:54:00:00:01")
	asw      = mac("00:1b:54:00:00:33")
	dist     = mac("00:1b:54:00:00:02")
)

func loopbackAgent(t *testing.T, addr string, mib *scantest.MIB) *scantest.SNMPAgent {
	t.Helper()
	return scantest.StartSNMPAgent(t, mib, scantest.SNMPAgentOptions{Community: community, Addr: addr + ":0"})
}

type wing struct {
	core, access, distribution *scantest.SNMPAgent
	cfg                        *snmp.Config
	creds                      map[string]snmp.Credential
}

func startWing(t *testing.T) wing {
	t.Helper()
	var w wing
	w.core = loopbackAgent(t, "127.78.0.1", scantest.EmulatedRouter{
		SysName: "noh-core1", SysDescr: "Cisco IOS Software, C9500",
		Neighbours: []scantest.RouterNeighbour{
			{IfIndex: 120, Addr: [4]byte{10, 20, 8, 10}, MAC: camDahua},
			{IfIndex: 120, Addr: [4]byte{10, 20, 8, 11}, MAC: camHik},
			{IfIndex: 130, Addr: [4]byte{10, 20, 9, 12}, MAC: pc},
			{IfIndex: 130, Addr: [4]byte{10, 20, 9, 13}},                               // incomplete
			{IfIndex: 10, Addr: [4]byte{10, 99, 0, 5}, MAC: mac("00:00:5e:00:53:01")},  // out of scope
			{IfIndex: 10, Addr: [4]byte{127, 78, 0, 2}, MAC: asw},                      // the access switch's management address
			{IfIndex: 10, Addr: [4]byte{127, 78, 0, 3}, MAC: mac("00:1b:54:00:00:f3")}, // the distribution switch's
		},
	}.MIB())
	w.access = loopbackAgent(t, "127.78.0.2", scantest.EmulatedSwitch{
		SysName: "noh-b1-asw03", SysDescr: "Cisco IOS Software, C2960X",
		Own: []net.HardwareAddr{asw},
		Ports: []scantest.SwitchPort{
			{IfIndex: 10101, Name: "Gi1/0/1", Alias: "Gang ved akutmodtagelse", MACs: []scantest.LearntMAC{{MAC: camDahua, VLAN: 120}}},
			{IfIndex: 10102, Name: "Gi1/0/2", Alias: "Indgang syd", MACs: []scantest.LearntMAC{{MAC: camHik, VLAN: 120}},
				LLDP: []scantest.LLDPRemote{{ChassisMAC: camHik, PortID: "eth0", SystemName: "DS-2CD2143G2-I", SystemDescription: "Hikvision IP camera", Capabilities: scantest.CapStationOnly}}},
			{IfIndex: 10103, Name: "Gi1/0/3", Alias: "Kontor 12", MACs: []scantest.LearntMAC{{MAC: pc, VLAN: 130}, {MAC: phone, VLAN: 140}},
				LLDP: []scantest.LLDPRemote{{ChassisMAC: phone, PortID: "WAN", SystemName: "SEP-phone", Capabilities: scantest.CapBridge | scantest.CapTelephone}}},
			{IfIndex: 10104, Name: "Gi1/0/4", Alias: "Loft, trappe C",
				LLDP: []scantest.LLDPRemote{{ChassisMAC: silent, PortID: "eth0", SystemName: "axis-accc8e10000e", SystemDescription: "AXIS M3086-V Dome Camera", Capabilities: scantest.CapOther}}},
			// A small switch nobody configured, with a camera behind it: a
			// bridge by its LLDP capabilities, so the port is an uplink.
			{IfIndex: 10105, Name: "Gi1/0/5", Alias: "Teknikrum",
				MACs: []scantest.LearntMAC{{MAC: mac("3c:ef:8c:10:00:0f"), VLAN: 120}, {MAC: mac("00:1b:54:00:00:55"), VLAN: 1}},
				LLDP: []scantest.LLDPRemote{{ChassisMAC: mac("00:1b:54:00:00:55"), PortID: "1", SystemName: "desk-switch", Capabilities: scantest.CapBridge}}},
			{IfIndex: 10148, Name: "Gi1/0/48", Alias: "uplink noh-dist1",
				MACs: []scantest.LearntMAC{{MAC: router, VLAN: 120}, {MAC: dist, VLAN: 1}},
				LLDP: []scantest.LLDPRemote{{ChassisMAC: dist, PortID: "Te1/0/1", SystemName: "noh-dist1", SystemDescription: "Cisco IOS-XE", Capabilities: scantest.CapBridge | scantest.CapRouter}}},
		},
	}.MIB())
	// The distribution switch sees every access MAC on its downlink, and
	// a second access switch with ten devices behind another port.
	var many []scantest.LearntMAC
	for i := range 11 {
		many = append(many, scantest.LearntMAC{MAC: net.HardwareAddr{0x02, 0, 0, 0, 0x77, byte(i)}, VLAN: 120})
	}
	w.distribution = loopbackAgent(t, "127.78.0.3", scantest.EmulatedSwitch{
		SysName: "noh-dist1", SysDescr: "Cisco IOS-XE", Own: []net.HardwareAddr{dist},
		Ports: []scantest.SwitchPort{
			{IfIndex: 1, Name: "Te1/0/1", MACs: []scantest.LearntMAC{{MAC: camDahua, VLAN: 120}, {MAC: camHik, VLAN: 120}, {MAC: pc, VLAN: 130}, {MAC: phone, VLAN: 140}, {MAC: asw, VLAN: 1}}},
			{IfIndex: 2, Name: "Te1/0/2", MACs: many},
			{IfIndex: 3, Name: "Gi0/3", MACs: []scantest.LearntMAC{{MAC: router, VLAN: 120}}},
		},
	}.MIB())
	w.cfg = &snmp.Config{
		Credentials: map[string]snmp.CredentialSpec{"v2": {Version: "2c", CommunityEnv: "T_COMM"}},
		Devices: []snmp.Device{
			{Name: "noh-core1", Address: w.core.Addr.Addr(), Port: w.core.Addr.Port(), Roles: []string{snmp.RoleRouter}, Credentials: "v2"},
			{Address: w.access.Addr.Addr(), Port: w.access.Addr.Port(), Roles: []string{snmp.RoleSwitch}, Credentials: "v2"},
			{Name: "noh-dist1", Address: w.distribution.Addr.Addr(), Port: w.distribution.Addr.Port(), Roles: []string{snmp.RoleSwitch}, Credentials: "v2", Uplinks: []string{"Gi0/3"}},
		},
	}
	if probs := w.cfg.Validate(); len(probs) > 0 {
		t.Fatalf("config: %v", probs)
	}
	creds, err := snmp.ResolveCredentials(w.cfg, func(k string) string {
		if k == "T_COMM" {
			return community
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	w.creds = creds
	return w
}

func scope(t *testing.T, targets ...string) *scanner.Scope {
	t.Helper()
	s, err := scanner.NewScope(targets, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHarvestLocatesEveryDeviceAtItsEdgePort(t *testing.T) {
	w := startWing(t)
	var logs bytes.Buffer
	sc := scope(t, "10.20.8.0/23")
	res := snmp.Harvest(context.Background(), w.cfg, snmp.Options{InScope: sc.Contains, Credentials: w.creds, Log: zerolog.New(zerolog.SyncWriter(&logs))})

	for _, d := range res.Devices {
		if !d.OK {
			t.Errorf("device %s: %s (%s)", d.Name, d.Error, d.ErrorKind)
		}
	}
	if got := res.Devices[1].Name; got != "noh-b1-asw03" {
		t.Errorf("unnamed device takes its sysName: got %q", got)
	}
	wantNeigh := map[string]string{"10.20.8.10": camDahua.String(), "10.20.8.11": camHik.String(), "10.20.9.12": pc.String()}
	if len(res.Neighbours) != len(wantNeigh) {
		t.Errorf("neighbours kept: %v, want only the in-scope, complete ones %v", res.Neighbours, wantNeigh)
	}
	for a, m := range wantNeigh {
		s := res.Neighbours[netip.MustParseAddr(a)]
		if s.MAC != m || s.Router != "noh-core1" || s.Table != snmp.TableIPNetToPhysical {
			t.Errorf("neighbour %s = %+v, want %s from noh-core1", a, s, m)
		}
	}

	want := map[string]evidence.Location{
		camDahua.String(): {Switch: "noh-b1-asw03", Port: "Gi1/0/1", PortDescription: "Gang ved akutmodtagelse", VLAN: 120},
		camHik.String():   {Switch: "noh-b1-asw03", Port: "Gi1/0/2", PortDescription: "Indgang syd", VLAN: 120},
		pc.String():       {Switch: "noh-b1-asw03", Port: "Gi1/0/3", PortDescription: "Kontor 12", VLAN: 130},
		phone.String():    {Switch: "noh-b1-asw03", Port: "Gi1/0/3", PortDescription: "Kontor 12", VLAN: 140},
		silent.String():   {Switch: "noh-b1-asw03", Port: "Gi1/0/4", PortDescription: "Loft, trappe C"},
	}
	for m, wl := range want {
		got, ok := res.Locations[m]
		if !ok {
			t.Errorf("%s: not located, want %s", m, wl)
			continue
		}
		if got.Switch != wl.Switch || got.Port != wl.Port || got.PortDescription != wl.PortDescription || got.VLAN != wl.VLAN {
			t.Errorf("%s located at %s, want %s", m, got, wl)
		}
	}
	// Nothing is ever placed on an uplink: not the router behind the
	// access uplink, not the distribution switch's downlinks.
	for m, l := range res.Locations {
		if l.Switch == "noh-dist1" || l.Port == "Gi1/0/48" {
			t.Errorf("%s located on an uplink: %s", m, l)
		}
	}
	if len(res.Locations) != len(want) {
		t.Errorf("located %d MACs, want %d: %v", len(res.Locations), len(want), res.Locations)
	}
	uplinks := map[string][]string{}
	for _, d := range res.Devices {
		for _, u := range d.Uplinks {
			uplinks[d.Name+" "+u.Port] = u.Reasons
		}
	}
	for _, p := range []string{"noh-b1-asw03 Gi1/0/48", "noh-b1-asw03 Gi1/0/5", "noh-dist1 Te1/0/1", "noh-dist1 Te1/0/2", "noh-dist1 Gi0/3"} {
		if len(uplinks[p]) == 0 {
			t.Errorf("%s not recognised as an uplink; uplinks: %v", p, uplinks)
		}
	}
	if len(uplinks) != 5 {
		t.Errorf("uplinks %v, want exactly the five", uplinks)
	}

	ev := res.LLDP[camHik.String()]
	for _, f := range []string{"lldp.system_name=DS-2CD2143G2-I", "lldp.system_description=Hikvision IP camera", "lldp.chassis_id=" + camHik.String(), "lldp.port_id=eth0", "lldp.capabilities=station-only"} {
		field, val, _ := strings.Cut(f, "=")
		found := false
		for _, e := range ev {
			found = found || (e.Field == field && e.Value == val && e.Probe == "snmp")
		}
		if !found {
			t.Errorf("LLDP evidence of the Hikvision lacks %s: %v", f, ev)
		}
	}
	if len(res.LLDP) != 3 { // the Hikvision, the phone, the Axis; never the uplink's neighbour
		t.Errorf("LLDP evidence for %d MACs, want 3: %v", len(res.LLDP), res.LLDP)
	}
	if res.Requests == 0 {
		t.Error("no requests counted")
	}
	for _, a := range []*scantest.SNMPAgent{w.core, w.access, w.distribution} {
		if strings.Contains(logs.String(), community) {
			t.Errorf("the community reached the log")
		}
		for src := range a.Sources() {
			if !src.IsLoopback() {
				t.Errorf("agent asked from %s", src)
			}
		}
	}
}
