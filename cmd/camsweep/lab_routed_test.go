//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/scantest/netlab"
)

const (
	routedAuth = "noh-lab-auth-secret"
	routedPriv = "noh-lab-priv-secret"
	routedComm = "noh-lab-switch-comm"
)

// serveInLeg starts personas on a routed lab's leg, every socket opened
// inside the leg's namespace.
func serveInLeg(t testing.TB, r *netlab.Routed, leg string, specs []scantest.HostSpec) *scantest.Network {
	t.Helper()
	return serveIn(t, r, r.Leg(leg).NS, r.Leg(leg).Prefix, specs)
}

// startSwitch serves switch sw's MIB on at:161 (community routedComm)
// inside the routed lab's leg, until the test ends.
func startSwitch(t testing.TB, r *netlab.Routed, leg string, sw scantest.EmulatedSwitch, at netip.Addr) *scantest.SNMPAgent {
	t.Helper()
	a, err := scantest.NewSNMPAgent(sw.MIB(), scantest.SNMPAgentOptions{Community: routedComm, Addr: netip.AddrPortFrom(at, 161).String(),
		ListenPacket: func(network, address string) (pc net.PacketConn, err error) {
			err = r.InLeg(leg, func() error { pc, err = net.ListenPacket(network, address); return err })
			return pc, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

type routedHost struct {
	host    netlab.Host
	persona scantest.Persona
	port    string // the access switch port it is plugged into; "" for the office leg (no switch configured)
}

// TestLabRoutedSweepWithSNMP: a scanner that sees its cameras only across
// a router. The router is a namespace running Debian's snmpd (SNMPv3
// authPriv) over its real neighbour table; the camera leg's access switch
// is an SNMP agent of scantest serving the forwarding table and LLDP of
// the leg as the test wired it. Without SNMP the sweep finds every host and
// knows no MAC beyond what devices state themselves; with SNMP every live
// routed host has its true MAC, the unregistered Dahua is found with its
// MAC and maker and located at its port, the Hikvision swapped in at a
// registered address is an identity_mismatch, nothing is located on the
// uplink, and tcpdump on the router's wire sees SNMP only to the two
// configured devices.
func TestLabRoutedSweepWithSNMP(t *testing.T) {
	if why := netlab.Skip(); why != "" {
		t.Skip(why)
	}
	if why := netlab.SNMPDSkip(); why != "" {
		t.Skip(why)
	}
	cams, office := netip.MustParsePrefix("10.82.8.0/24"), netip.MustParsePrefix("10.82.20.0/24")
	pick := func(name string) scantest.Persona {
		p, err := scantest.PersonaByName(name)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	var hosts []routedHost
	add := func(prefix netip.Prefix, octet byte, persona, port string) {
		p := pick(persona)
		a := prefix.Addr().As4()
		a[3] = octet
		hosts = append(hosts, routedHost{host: netlab.Host{Addr: netip.AddrFrom4(a), MAC: labMAC(p.MAC, len(hosts)+1), Vendor: p.Truth.Manufacturer}, persona: p, port: port})
	}
	add(cams, 11, "dahua-ipc-hdw2431t-as-s2", "Gi1/0/11") // never registered
	add(cams, 12, "dahua-ipc-hfw2431s-s-s2", "Gi1/0/12")  // never registered
	add(cams, 21, "hikvision-ds-2cd2143g2-i", "Gi1/0/21") // registered here with another MAC: swapped
	add(cams, 31, "axis-p3245-lve", "Gi1/0/31")           // registered, as it is
	add(office, 50, "windows-pc", "")
	add(office, 51, "hp-laserjet-m404dn", "")
	swMgmt := netlab.Host{Addr: netip.MustParseAddr("10.82.8.2"), MAC: net.HardwareAddr{0x02, 0x1b, 0x54, 0, 0, 0x33}, Vendor: "switch management"}

	var camHosts, officeHosts []netlab.Host
	var camSpecs, officeSpecs []scantest.HostSpec
	for _, h := range hosts {
		spec := scantest.HostSpec{Persona: h.persona, Addr: h.host.Addr, MAC: h.host.MAC.String()}
		if cams.Contains(h.host.Addr) {
			camHosts, camSpecs = append(camHosts, h.host), append(camSpecs, spec)
		} else {
			officeHosts, officeSpecs = append(officeHosts, h.host), append(officeSpecs, spec)
		}
	}
	r := netlab.NewRouted(t, netlab.RoutedConfig{
		ScannerPrefix: netip.MustParsePrefix("10.82.0.0/24"),
		Legs: []netlab.Leg{
			{Name: "cams", Prefix: cams, Hosts: append(camHosts, swMgmt)},
			{Name: "office", Prefix: office, Hosts: officeHosts},
		},
	})
	routerAt := r.StartSNMPD(t, netlab.SNMPDConfig{Users: []netlab.SNMPDUser{{Name: "camsweep-ro", Auth: "SHA-256", AuthPass: routedAuth, Priv: "AES", PrivPass: routedPriv}}})
	serveInLeg(t, r, "cams", camSpecs)
	serveInLeg(t, r, "office", officeSpecs)

	// The access switch of the camera leg: each camera on its own port,
	// the router behind the uplink, which LLDP says is a router.
	routerMAC := r.Leg("cams").RouterMAC
	sw := scantest.EmulatedSwitch{SysName: "noh-b1-asw03", SysDescr: "Cisco IOS Software, C2960X", Own: []net.HardwareAddr{swMgmt.MAC}}
	for i, h := range hosts {
		if h.port == "" {
			continue
		}
		sw.Ports = append(sw.Ports, scantest.SwitchPort{IfIndex: 10100 + i, Name: h.port, Alias: fmt.Sprintf("Gang %d", i+1), MACs: []scantest.LearntMAC{{MAC: h.host.MAC, VLAN: 120}}})
	}
	sw.Ports = append(sw.Ports, scantest.SwitchPort{IfIndex: 10148, Name: "Gi1/0/48", Alias: "uplink noh-core1",
		MACs: []scantest.LearntMAC{{MAC: routerMAC, VLAN: 120}},
		LLDP: []scantest.LLDPRemote{{ChassisMAC: routerMAC, PortID: r.Leg("cams").RouterIf, SystemName: "noh-core1", Capabilities: scantest.CapBridge | scantest.CapRouter}}})
	swAgent := startSwitch(t, r, "cams", sw, swMgmt.Addr)

	dir := t.TempDir()
	infra := scantest.WriteFile(t, dir, "infrastructure.yaml", fmt.Sprintf(`credentials:
  core:
    version: "3"
    username: camsweep-ro
    auth_protocol: SHA256
    auth_password_env: LAB_SNMP_AUTH
    priv_protocol: AES
    priv_password_env: LAB_SNMP_PRIV
  access:
    version: 2c
    community_env: LAB_SNMP_COMMUNITY
defaults:
  timeout: 1s
devices:
  - name: noh-core1
    address: %s
    roles: [router]
    credentials: core
  - name: noh-b1-asw03
    address: %s
    roles: [switch]
    credentials: access
`, routerAt.Addr(), swMgmt.Addr))
	env := []string{"LAB_SNMP_AUTH=" + routedAuth, "LAB_SNMP_PRIV=" + routedPriv, "LAB_SNMP_COMMUNITY=" + routedComm}
	hik := hosts[2]
	registry := scantest.WriteFile(t, dir, "registry.csv", "id,site,ip,mac,serial,vendor,model,category,owner,vms,dispensation_id\n"+
		fmt.Sprintf("NOH-H21,NOH,%s,44:19:b6:00:21:21,,Hikvision,DS-2CD2143G2-I,facility,CEJ,milestone,\n", hik.host.Addr)+
		fmt.Sprintf("NOH-A31,NOH,%s,%s,,Axis,P3245-LVE,facility,CEJ,milestone,\n", hosts[3].host.Addr, hosts[3].host.MAC))
	policy := scantest.WriteFile(t, dir, "policy.yaml", "banned_manufacturers: [Hikvision, Dahua]\n")
	bin := buildBinary(t)
	scan := func(t *testing.T, extra ...string) inventory.Report {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		args := append([]string{"scan", "--site", "NOH", "-o", "json", "--registry", registry, "--policy", policy, "--fail-on", "none",
			"--rate", "500", "--connect-timeout", "500ms", "--probe-timeout", "2s", "--host-timeout", "20s", "--log-level", "info", "--no-progress"}, extra...)
		run := runIn(ctx, r, r.ScannerNS, env, bin, append(args, cams.String(), office.String())...)
		if run.err != nil {
			t.Fatalf("scan: %v\n%s", run.err, run.stderr.String())
		}
		for _, s := range []string{routedAuth, routedPriv, routedComm} {
			if strings.Contains(run.stdout.String(), s) || strings.Contains(run.stderr.String(), s) {
				t.Fatal("a secret reached the report or the log")
			}
		}
		rep := decodeReport(t, run)
		t.Logf("wall %v, %d devices, %d packets (%d SNMP)", run.wall.Round(time.Millisecond), len(rep.Devices), rep.Stats.PacketsSent, rep.Stats.SNMPRequests)
		return rep
	}
	t.Run("without SNMP", func(t *testing.T) {
		rep := scan(t)
		devs := devicesByIP(rep)
		for _, h := range hosts {
			d, ok := devs[h.host.Addr]
			if !ok {
				t.Errorf("%s (%s) not found", h.host.Addr, h.persona.Name)
				continue
			}
			// Across a router only what a device states itself gives a MAC.
			if d.Location != nil || strings.HasPrefix(d.MACSource, "snmp") || d.MACSource == "arp" || d.MACSource == "neigh" {
				t.Errorf("%s: MAC %q from %q, location %v, without SNMP", h.host.Addr, d.MAC, d.MACSource, d.Location)
			}
		}
		if len(rep.Infrastructure) != 0 || rep.Stats.SNMPRequests != 0 {
			t.Errorf("infrastructure asked without --infrastructure: %+v", rep.Infrastructure)
		}
	})

	t.Run("with SNMP", func(t *testing.T) {
		capture := r.StartTcpdump(t, r.RouterNS, r.RouterScannerIf, "udp port 161")
		rep := scan(t, "--infrastructure", infra)
		pkts, err := capture.Stop()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range rep.Infrastructure {
			if !d.OK {
				t.Errorf("harvest of %s failed: %s (%s)", d.Name, d.Error, d.ErrorKind)
			}
		}
		devs := devicesByIP(rep)
		for _, h := range hosts {
			d := devs[h.host.Addr]
			if d.MAC != h.host.MAC.String() {
				t.Errorf("%s (%s): MAC %q, want its true MAC %s", h.host.Addr, h.persona.Name, d.MAC, h.host.MAC)
			}
			fromRouter := false
			for _, e := range d.Evidence {
				fromRouter = fromRouter || (e.Probe == "snmp" && e.Field == "mac" && e.Value == h.host.MAC.String())
			}
			if !fromRouter {
				t.Errorf("%s: no snmp mac evidence: %v", h.host.Addr, d.Evidence)
			}
			switch {
			case h.port == "" && d.Location != nil:
				t.Errorf("%s: located %s, but no switch of its leg is configured", h.host.Addr, d.Location)
			case h.port != "" && (d.Location == nil || d.Location.Switch != "noh-b1-asw03" || d.Location.Port != h.port || d.Location.VLAN != 120):
				t.Errorf("%s: located %v, want noh-b1-asw03 %s VLAN 120", h.host.Addr, d.Location, h.port)
			}
			if d.Location != nil && d.Location.Port == "Gi1/0/48" {
				t.Errorf("%s located on the uplink", h.host.Addr)
			}
		}
		kinds := map[string]inventory.Finding{}
		for _, f := range rep.Findings {
			kinds[f.Kind+" "+f.IP] = f
		}
		dahua := kinds[inventory.KindUnregisteredCamera+" "+hosts[0].host.Addr.String()]
		if dahua.Manufacturer != "Dahua" || dahua.MAC != hosts[0].host.MAC.String() || dahua.Location == nil || dahua.Location.Port != "Gi1/0/11" {
			t.Errorf("routed unregistered Dahua: %+v", dahua)
		}
		swap, ok := kinds[inventory.KindIdentityMismatch+" "+hik.host.Addr.String()]
		if !ok || !strings.Contains(swap.Detail, "MAC 44:19:b6:00:21:21 registered, "+hik.host.MAC.String()+" found") {
			t.Errorf("swapped Hikvision at a registered address: %+v (findings %v)", swap, findingKeys(rep.Findings))
		}
		if _, ok := kinds[inventory.KindIdentityMismatch+" "+hosts[3].host.Addr.String()]; ok {
			t.Errorf("the registered Axis, unchanged, is a mismatch")
		}

		// The witness: every SNMP datagram on the router's scanner-side
		// wire went to, or came from, one of the two configured devices.
		allowed := map[netip.Addr]bool{routerAt.Addr(): true, swMgmt.Addr: true}
		asked := map[netip.Addr]int{}
		for _, p := range pkts {
			if p.Dst.Port() == 161 {
				asked[p.Dst.Addr()]++
				if !allowed[p.Dst.Addr()] || p.Src.Addr() != r.Scanner {
					t.Errorf("SNMP request %v -> %v", p.Src, p.Dst)
				}
			}
		}
		if asked[routerAt.Addr()] == 0 || asked[swMgmt.Addr] == 0 {
			t.Logf("captured %d packets: %v", len(pkts), pkts)
			t.Fatalf("the capture saw SNMP to %v: it witnesses nothing", asked)
		}
		if n := uint64(asked[routerAt.Addr()] + asked[swMgmt.Addr]); n != rep.Stats.SNMPRequests {
			t.Errorf("the wire saw %d SNMP requests, the report counts %d", n, rep.Stats.SNMPRequests)
		}
		if src := swAgent.Sources(); len(src) != 1 || src[r.Scanner] == 0 {
			t.Errorf("the switch agent was asked by %v", src)
		}
		t.Logf("capture: SNMP requests %v; report snmp_requests %d", asked, rep.Stats.SNMPRequests)
	})

	t.Run("dry run prices the harvest", func(t *testing.T) {
		var out bytes.Buffer
		cmd := r.Command(context.Background(), r.ScannerNS, bin, "scan", "--dry-run", "--infrastructure", infra, cams.String())
		cmd.Stdout = &out
		cmd.Env = os.Environ() // no secrets: the reviewer need not hold them
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"SNMP GET/GETBULK, read-only", "noh-core1 " + routerAt.Addr().String() + ":161 (router)", "noh-b1-asw03 10.82.8.2:161 (switch)", "credentials not resolved"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("plan lacks %q:\n%s", want, out.String())
			}
		}
	})
}
