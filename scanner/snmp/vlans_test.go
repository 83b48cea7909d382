package snmp_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/snmp"
)

// printer sits in VLAN 1, the default instance's.
var printer = mac("00:00:aa:10:00:10") // Xerox

// catalystAccess is an access Catalyst of the wing: cameras in VLAN 120,
// a PC in 130 behind a phone in voice VLAN 140, a printer in VLAN 1, a
// silent Axis heard only in LLDP, and a trunk up to the distribution
// switch. Its VTP domain knows VLANs 200 and 300 too, which only the
// trunk carries.
func catalystAccess() scantest.EmulatedSwitch {
	return scantest.EmulatedSwitch{
		SysName: "noh-b2-asw07", SysDescr: "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E8",
		PerVLAN: true, Own: []net.HardwareAddr{asw}, ExtraVLANs: []int{200, 300},
		Ports: []scantest.SwitchPort{
			{IfIndex: 10101, Name: "Gi1/0/1", Alias: "Gang ved akutmodtagelse", MACs: []scantest.LearntMAC{{MAC: camDahua, VLAN: 120}}},
			{IfIndex: 10102, Name: "Gi1/0/2", Alias: "Indgang syd", MACs: []scantest.LearntMAC{{MAC: camHik, VLAN: 120}},
				LLDP: []scantest.LLDPRemote{{ChassisMAC: camHik, PortID: "eth0", SystemName: "DS-2CD2143G2-I", Capabilities: scantest.CapStationOnly}}},
			{IfIndex: 10103, Name: "Gi1/0/3", Alias: "Kontor 12", VLAN: 130, VoiceVLAN: 140,
				MACs: []scantest.LearntMAC{{MAC: pc, VLAN: 130}, {MAC: phone, VLAN: 140}},
				LLDP: []scantest.LLDPRemote{{ChassisMAC: phone, PortID: "WAN", SystemName: "SEP-phone", Capabilities: scantest.CapBridge | scantest.CapTelephone}}},
			{IfIndex: 10104, Name: "Gi1/0/4", Alias: "Loft, trappe C", VLAN: 120,
				LLDP: []scantest.LLDPRemote{{ChassisMAC: silent, PortID: "eth0", SystemName: "axis-accc8e10000e", Capabilities: scantest.CapOther}}},
			{IfIndex: 10105, Name: "Gi1/0/5", Alias: "Printerrum", MACs: []scantest.LearntMAC{{MAC: printer, VLAN: 1}}},
			{IfIndex: 10149, Name: "Gi1/0/49", Alias: "uplink noh-b2-dsw01", Trunk: true,
				MACs: []scantest.LearntMAC{{MAC: router, VLAN: 120}, {MAC: dist, VLAN: 1}},
				LLDP: []scantest.LLDPRemote{{ChassisMAC: dist, PortID: "Te1/0/1", SystemName: "noh-b2-dsw01", Capabilities: scantest.CapBridge | scantest.CapRouter}}},
		},
	}
}

// catalystDistribution learns every access MAC on its downlink trunk, and
// a dozen more on another.
func catalystDistribution() scantest.EmulatedSwitch {
	var many []scantest.LearntMAC
	for i := range 12 {
		many = append(many, scantest.LearntMAC{MAC: net.HardwareAddr{0x02, 0, 0, 0, 0x78, byte(i)}, VLAN: 120})
	}
	return scantest.EmulatedSwitch{
		SysName: "noh-b2-dsw01", SysDescr: "Cisco IOS Software [Gibraltar], Catalyst L3 Switch Software (CAT9K_IOSXE)",
		PerVLAN: true, Own: []net.HardwareAddr{dist},
		Ports: []scantest.SwitchPort{
			{IfIndex: 1, Name: "Te1/0/1", Trunk: true, MACs: []scantest.LearntMAC{
				{MAC: camDahua, VLAN: 120}, {MAC: camHik, VLAN: 120}, {MAC: pc, VLAN: 130}, {MAC: phone, VLAN: 140}, {MAC: printer, VLAN: 1}, {MAC: asw, VLAN: 1}}},
			{IfIndex: 2, Name: "Te1/0/2", Trunk: true, MACs: many},
			{IfIndex: 3, Name: "Gi0/3", VLAN: 120, MACs: []scantest.LearntMAC{{MAC: router, VLAN: 120}},
				LLDP: []scantest.LLDPRemote{{ChassisMAC: router, PortID: "Gi0/0/1", SystemName: "noh-core1", Capabilities: scantest.CapRouter}}},
		},
	}
}

func startCatalyst(t *testing.T, sw scantest.EmulatedSwitch, respond func(req, resp *gosnmp.SnmpPacket) *gosnmp.SnmpPacket) *scantest.SNMPAgent {
	t.Helper()
	return scantest.StartSNMPAgent(t, sw.MIB(), scantest.SNMPAgentOptions{Community: community, Contexts: sw.Contexts(), Respond: respond})
}

func switchConfig(tune snmp.Tuning, agents ...*scantest.SNMPAgent) *snmp.Config {
	cfg := &snmp.Config{Credentials: map[string]snmp.CredentialSpec{"v2": {Version: "2c", CommunityEnv: "T_COMM"}}}
	for _, a := range agents {
		cfg.Devices = append(cfg.Devices, snmp.Device{Address: a.Addr.Addr(), Port: a.Addr.Port(), Roles: []string{snmp.RoleSwitch}, Credentials: "v2", Tuning: tune})
	}
	return cfg
}

func vlanNumbers(rs []snmp.VLANReport, read bool) []int {
	var out []int
	for _, r := range rs {
		if (r.Skipped == "") == read {
			out = append(out, r.VLAN)
		}
	}
	return out
}

// TestHarvestCatalystPerVLAN: two Catalysts with no Q-BRIDGE forwarding
// table. The harvest finds their VLANs in vtpVlanTable, reads the bridge
// of each VLAN an access port is in with community@VLAN, places every
// device on its access port with its VLAN, never on a trunk, and asks no
// VLAN that only trunks carry, nor the reserved 1002-1005.
func TestHarvestCatalystPerVLAN(t *testing.T) {
	access := startCatalyst(t, catalystAccess(), nil)
	distribution := startCatalyst(t, catalystDistribution(), nil)
	var logs bytes.Buffer
	cfg := switchConfig(snmp.Tuning{}, access, distribution)
	if p := cfg.Validate(); len(p) > 0 {
		t.Fatal(p)
	}
	creds, err := snmp.ResolveCredentials(cfg, func(string) string { return community })
	if err != nil {
		t.Fatal(err)
	}
	res := snmp.Harvest(context.Background(), cfg, snmp.Options{InScope: func(netip.Addr) bool { return true }, Credentials: creds, Log: zerolog.New(zerolog.SyncWriter(&logs))})

	want := map[string]struct {
		port string
		vlan int
	}{
		camDahua.String(): {"Gi1/0/1", 120},
		camHik.String():   {"Gi1/0/2", 120},
		pc.String():       {"Gi1/0/3", 130},
		phone.String():    {"Gi1/0/3", 140},
		printer.String():  {"Gi1/0/5", 1},
	}
	for m, w := range want {
		l, ok := res.Locations[m]
		if !ok {
			t.Errorf("%s not located, want %s VLAN %d", m, w.port, w.vlan)
			continue
		}
		if l.Switch != "noh-b2-asw07" || l.Port != w.port || l.VLAN != w.vlan || l.Source != "snmp "+snmp.TableVLANFdb {
			t.Errorf("%s located at %s (%s), want noh-b2-asw07 %s VLAN %d", m, l, l.Source, w.port, w.vlan)
		}
	}
	if l := res.Locations[silent.String()]; l.Port != "Gi1/0/4" {
		t.Errorf("the LLDP-only Axis at %s, want Gi1/0/4", l)
	}
	for m, l := range res.Locations {
		if l.Switch == "noh-b2-dsw01" || l.Port == "Gi1/0/49" {
			t.Errorf("%s located on an uplink or the distribution switch: %s", m, l)
		}
	}
	if len(res.Locations) != len(want)+1 {
		t.Errorf("located %d MACs, want %d: %v", len(res.Locations), len(want)+1, res.Locations)
	}

	a, d := res.Devices[0], res.Devices[1]
	for _, dev := range res.Devices {
		if !dev.OK || dev.VLANIndexing != snmp.VLANByCommunity || dev.VLANSource != snmp.VLANListVTP {
			t.Errorf("%s: ok %v (%s), indexing %q from %q", dev.Name, dev.OK, dev.Error, dev.VLANIndexing, dev.VLANSource)
		}
	}
	if got := vlanNumbers(a.VLANs, true); !slices.Equal(got, []int{1, 120, 130, 140}) {
		t.Errorf("access switch VLANs read %v, want those of its access ports [1 120 130 140]", got)
	}
	if got := vlanNumbers(d.VLANs, true); !slices.Equal(got, []int{120}) {
		t.Errorf("distribution switch VLANs read %v, want [120], its one access port's", got)
	}
	if len(a.Notes) == 0 || !strings.Contains(strings.Join(a.Notes, " "), "2 of 6 operational VLANs") {
		t.Errorf("notes %q: want the two trunk-only VLANs counted", a.Notes)
	}
	asked := access.ContextRequests()
	for _, ctx := range []string{"vlan-120", "vlan-130", "vlan-140", "vlan-1"} {
		if asked[ctx] == 0 {
			t.Errorf("context %s never asked: %v", ctx, asked)
		}
	}
	for ctx := range asked {
		if ctx == "vlan-200" || ctx == "vlan-300" || strings.HasPrefix(ctx, "vlan-100") {
			t.Errorf("context %s asked: %v", ctx, asked)
		}
	}
	if a.Tables[snmp.TableDot1qTpFdb] != 0 || a.Tables[snmp.TableVLANFdb] == 0 {
		t.Errorf("tables %v", a.Tables)
	}
	uplinks := map[string]bool{}
	for _, dev := range res.Devices {
		for _, u := range dev.Uplinks {
			uplinks[dev.Name+" "+u.Port] = true
		}
	}
	for _, p := range []string{"noh-b2-asw07 Gi1/0/49", "noh-b2-dsw01 Te1/0/1", "noh-b2-dsw01 Te1/0/2", "noh-b2-dsw01 Gi0/3"} {
		if !uplinks[p] {
			t.Errorf("%s not an uplink: %v", p, uplinks)
		}
	}
	if strings.Contains(logs.String(), community) {
		t.Error("the community reached the log")
	}
}

// TestHarvestPerVLANFailures: whatever goes wrong in a VLAN's instance is
// that VLAN's, reported with it; the others, and the device's other
// tables, are read all the same.
func TestHarvestPerVLANFailures(t *testing.T) {
	fast := snmp.Tuning{Timeout: 150 * time.Millisecond, Retries: retries(0), Rate: 1000}
	inVLAN := func(req *gosnmp.SnmpPacket, vlan string) bool { return strings.HasSuffix(req.Community, "@"+vlan) }
	cases := []struct {
		name    string
		tune    snmp.Tuning
		vlans   []int
		respond func(req, resp *gosnmp.SnmpPacket) *gosnmp.SnmpPacket
		// wantRead are the VLANs read (even with an error), wantFailed
		// those with an error, wantKind the device's error kind.
		wantRead, wantFailed []int
		wantKind             string
		// wantLocated are MACs that must still be placed.
		wantLocated []net.HardwareAddr
		check       func(t *testing.T, d snmp.DeviceReport, asked map[string]int)
	}{
		{
			name: "one VLAN answers out of order", tune: fast,
			respond: func(req, resp *gosnmp.SnmpPacket) *gosnmp.SnmpPacket {
				if inVLAN(req, "130") && req.PDUType == gosnmp.GetBulkRequest && len(resp.Variables) > 3 {
					resp.Variables[0], resp.Variables[2] = resp.Variables[2], resp.Variables[0]
				}
				return resp
			},
			wantRead: []int{1, 120, 130, 140}, wantFailed: []int{130}, wantKind: snmp.ErrorProtocol,
			wantLocated: []net.HardwareAddr{camDahua, camHik, phone, printer},
		},
		{
			name: "one VLAN silent", tune: fast,
			respond: func(req, resp *gosnmp.SnmpPacket) *gosnmp.SnmpPacket {
				if inVLAN(req, "120") {
					return nil
				}
				return resp
			},
			wantRead: []int{1, 120, 130, 140}, wantFailed: []int{120}, wantKind: snmp.ErrorTimeout,
			wantLocated: []net.HardwareAddr{pc, phone, printer},
		},
		{
			// Community indexing refused: every VLAN is silent. After three
			// the rest are not asked, and the default instance (VLAN 1)
			// still places the printer; LLDP still places the Axis.
			name: "no VLAN answers", tune: fast,
			respond: func(req, resp *gosnmp.SnmpPacket) *gosnmp.SnmpPacket {
				if strings.Contains(req.Community, "@") {
					return nil
				}
				return resp
			},
			wantRead: []int{1, 120, 130}, wantFailed: []int{1, 120, 130}, wantKind: snmp.ErrorTimeout,
			wantLocated: []net.HardwareAddr{printer, silent},
			check: func(t *testing.T, d snmp.DeviceReport, asked map[string]int) {
				if asked["vlan-140"] != 0 || d.VLANs[3].Skipped == "" {
					t.Errorf("VLAN 140 asked after three silent VLANs: %v %+v", asked, d.VLANs[3])
				}
				if d.Tables[snmp.TableDot1dTpFdb] == 0 {
					t.Errorf("no fallback to the default instance: %v", d.Tables)
				}
			},
		},
		{
			name: "max_vlans", tune: snmp.Tuning{Timeout: time.Second, Rate: 1000, MaxVLANs: 2},
			wantRead: []int{1, 120}, wantKind: snmp.ErrorTruncated,
			wantLocated: []net.HardwareAddr{camDahua, camHik, printer},
			check: func(t *testing.T, d snmp.DeviceReport, asked map[string]int) {
				if asked["vlan-130"]+asked["vlan-140"] != 0 || !strings.Contains(d.VLANs[2].Skipped, "max_vlans") {
					t.Errorf("asked %v, VLAN 130 %+v", asked, d.VLANs[2])
				}
			},
		},
		{
			name: "time budget", tune: snmp.Tuning{Timeout: time.Second, Rate: 20, VLANMaxDuration: 250 * time.Millisecond},
			wantKind: snmp.ErrorDeadline,
			check: func(t *testing.T, d snmp.DeviceReport, asked map[string]int) {
				read := vlanNumbers(d.VLANs, true)
				if len(read) == 0 || len(read) == 4 || !strings.Contains(d.VLANs[len(d.VLANs)-1].Skipped, "vlan_max_duration") {
					t.Errorf("read %v of 4 VLANs in 250 ms at 20 requests/s: want some, not all: %+v", read, d.VLANs)
				}
			},
		},
		{
			// max_entries bounds the rows of all VLANs together: VLAN 1's
			// fill it, the rest are not asked.
			name: "max_entries across VLANs", tune: snmp.Tuning{Timeout: time.Second, Rate: 1000, MaxEntries: 6},
			wantKind: snmp.ErrorTruncated,
			check: func(t *testing.T, d snmp.DeviceReport, asked map[string]int) {
				rows := 0
				for _, r := range d.VLANs {
					rows += r.Entries + r.Ports
				}
				if rows == 0 || rows > 6 {
					t.Errorf("%d rows read from the VLANs' instances, want 1 to max_entries (6): %+v", rows, d.VLANs)
				}
				last := d.VLANs[len(d.VLANs)-1]
				if !strings.Contains(last.Skipped, "max_entries") || asked["vlan-140"] != 0 {
					t.Errorf("VLAN %d %+v, asked %v: want the last VLAN not asked for max_entries", last.VLAN, last, asked)
				}
			},
		},
		{
			name: "configured VLANs", tune: fast, vlans: []int{120},
			wantRead:    []int{120},
			wantLocated: []net.HardwareAddr{camDahua, camHik},
			check: func(t *testing.T, d snmp.DeviceReport, asked map[string]int) {
				if _, walked := d.Tables[snmp.TableVtpVlan]; walked || d.VLANSource != snmp.VLANListConfigure {
					t.Errorf("tables %v, source %q: a configured list needs no vtpVlanTable", d.Tables, d.VLANSource)
				}
				if len(asked) != 2 || asked["vlan-120"] == 0 {
					t.Errorf("asked %v, want the default instance and vlan-120 only", asked)
				}
			},
		},
		{
			name: "off", tune: snmp.Tuning{Timeout: time.Second, Rate: 1000, VLANIndexing: snmp.VLANIndexingOff},
			wantLocated: []net.HardwareAddr{printer},
			check: func(t *testing.T, d snmp.DeviceReport, asked map[string]int) {
				if len(asked) != 1 || d.VLANIndexing != "" {
					t.Errorf("asked %v, indexing %q: want the default instance only", asked, d.VLANIndexing)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := startCatalyst(t, catalystAccess(), tc.respond)
			cfg := switchConfig(tc.tune, a)
			cfg.Devices[0].VLANs = tc.vlans
			res := harvestOne(t, cfg)
			d := res.Devices[0]
			if d.ErrorKind != tc.wantKind || d.OK != (tc.wantKind == "") {
				t.Errorf("kind %q ok %v (%s), want kind %q", d.ErrorKind, d.OK, d.Error, tc.wantKind)
			}
			if tc.wantRead != nil {
				if got := vlanNumbers(d.VLANs, true); !slices.Equal(got, tc.wantRead) {
					t.Errorf("VLANs read %v, want %v", got, tc.wantRead)
				}
			}
			var failed []int
			for _, r := range d.VLANs {
				if r.Error != "" {
					failed = append(failed, r.VLAN)
					if r.ErrorKind == "" {
						t.Errorf("VLAN %d: error without a kind", r.VLAN)
					}
				}
				if strings.Contains(r.Error, community) {
					t.Errorf("VLAN %d: the community reached the error", r.VLAN)
				}
			}
			if tc.wantFailed != nil && !slices.Equal(failed, tc.wantFailed) {
				t.Errorf("VLANs failed %v, want %v: %+v", failed, tc.wantFailed, d.VLANs)
			}
			for _, m := range tc.wantLocated {
				if _, ok := res.Locations[m.String()]; !ok {
					t.Errorf("%s not located: %v", m, res.Locations)
				}
			}
			if strings.Contains(d.Error, community) {
				t.Error("the community reached the error")
			}
			if tc.check != nil {
				tc.check(t, d, a.ContextRequests())
			}
		})
	}
}

// TestHarvestQBridgeSwitchNotPerVLAN: a switch that serves Q-BRIDGE (and
// no CISCO-VTP-MIB) is read in its default instance only.
func TestHarvestQBridgeSwitchNotPerVLAN(t *testing.T) {
	w := startWing(t)
	res := harvestOne(t, switchConfig(snmp.Tuning{}, w.access))
	d := res.Devices[0]
	if d.VLANIndexing != "" || len(d.VLANs) != 0 || !d.OK {
		t.Errorf("indexing %q, VLANs %v, ok %v (%s)", d.VLANIndexing, d.VLANs, d.OK, d.Error)
	}
	if _, walked := d.Tables[snmp.TableVtpVlan]; walked {
		t.Errorf("vtpVlanTable walked on a Q-BRIDGE switch: %v", d.Tables)
	}
}

// TestHarvestCatalystSNMPv3Contexts: with SNMPv3 the VLANs' bridges are
// the contexts vlan-N; a context the agent does not know is that VLAN's
// error (an RFC 3413 snmpUnknownContexts report), not the device's end.
func TestHarvestCatalystSNMPv3Contexts(t *testing.T) {
	sw := catalystAccess()
	a := scantest.StartSNMPAgent(t, sw.MIB(), scantest.SNMPAgentOptions{Contexts: sw.Contexts(), V3: &scantest.SNMPv3User{
		Username: "camsweep-ro", AuthProtocol: gosnmp.SHA256, AuthPassword: community, PrivProtocol: gosnmp.AES, PrivPassword: community}})
	cfg := &snmp.Config{
		Credentials: map[string]snmp.CredentialSpec{"v3": {Version: "3", Username: "camsweep-ro", AuthProtocol: "SHA256", AuthPasswordEnv: "A", PrivProtocol: "AES", PrivPasswordEnv: "P"}},
		Devices:     []snmp.Device{{Address: a.Addr.Addr(), Port: a.Addr.Port(), Roles: []string{snmp.RoleSwitch}, Credentials: "v3", Tuning: snmp.Tuning{Timeout: 2 * time.Second, Retries: retries(1)}}},
	}
	res := harvestOne(t, cfg)
	d := res.Devices[0]
	if !d.OK || d.VLANIndexing != snmp.VLANByContext || !slices.Equal(vlanNumbers(d.VLANs, true), []int{1, 120, 130, 140}) {
		t.Fatalf("ok %v (%s), indexing %q, VLANs %+v", d.OK, d.Error, d.VLANIndexing, d.VLANs)
	}
	for _, m := range []net.HardwareAddr{camDahua, camHik, pc, phone, printer} {
		if l := res.Locations[m.String()]; l.Switch != "noh-b2-asw07" || l.VLAN == 0 {
			t.Errorf("%s at %s", m, l)
		}
	}
	if asked := a.ContextRequests(); asked["vlan-120"] == 0 || asked[""] == 0 {
		t.Errorf("contexts asked %v", asked)
	}

	cfg.Devices[0].VLANs = []int{120, 999}
	res = harvestOne(t, cfg)
	d = res.Devices[0]
	if d.OK || len(d.VLANs) != 2 || d.VLANs[0].Error != "" || d.VLANs[1].Error == "" || d.VLANs[1].ErrorKind != snmp.ErrorAuth {
		t.Errorf("ok %v (%s), VLANs %+v: want VLAN 999's unknown context its own error", d.OK, d.Error, d.VLANs)
	}
	if _, ok := res.Locations[camDahua.String()]; !ok {
		t.Error("VLAN 120 not read beside the unknown context")
	}
}

// quotingConn stands for a transport whose errors quote what was sent:
// a write carrying "@" (a per-VLAN community) fails with the datagram in
// its text, the community@VLAN in clear with it.
type quotingConn struct{ net.Conn }

func (c quotingConn) Write(b []byte) (int, error) {
	if bytes.Contains(b, []byte(community+"@")) {
		return 0, fmt.Errorf("write udp: sendto %q: no buffer space available", b)
	}
	return c.Conn.Write(b)
}

// TestHarvestPerVLANErrorsWithholdTheCommunity: community@VLAN is as
// secret as the community. Whatever a per-VLAN error's text quotes, it
// reaches neither the VLAN's report, the device's, nor the log.
func TestHarvestPerVLANErrorsWithholdTheCommunity(t *testing.T) {
	a := startCatalyst(t, catalystAccess(), nil)
	cfg := switchConfig(snmp.Tuning{Timeout: 150 * time.Millisecond, Retries: retries(0), Rate: 1000}, a)
	if p := cfg.Validate(); len(p) > 0 {
		t.Fatal(p)
	}
	creds, err := snmp.ResolveCredentials(cfg, func(string) string { return community })
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	open := func(g *gosnmp.GoSNMP) error {
		if err := g.Connect(); err != nil {
			return err
		}
		g.Conn = quotingConn{g.Conn}
		return nil
	}
	res := snmp.Harvest(context.Background(), cfg, snmp.Options{InScope: func(netip.Addr) bool { return true }, Credentials: creds,
		Log: zerolog.New(zerolog.SyncWriter(&logs)), Open: open})
	d := res.Devices[0]
	failed := 0
	for _, r := range d.VLANs {
		if r.Error != "" {
			failed++
		}
		if strings.Contains(r.Error, community) {
			t.Errorf("VLAN %d's error quotes the community: %s", r.VLAN, r.Error)
		}
	}
	if failed == 0 || d.OK {
		t.Fatalf("no VLAN failed (ok %v): %+v", d.OK, d.VLANs)
	}
	if strings.Contains(d.Error, community) {
		t.Errorf("the device's error quotes the community: %s", d.Error)
	}
	if strings.Contains(logs.String(), community) {
		t.Errorf("the log quotes the community: %s", logs.String())
	}
	if !strings.Contains(logs.String(), "withheld") {
		t.Errorf("log %s: want the error's text withheld", logs.String())
	}
}
