//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/scantest/netlab"
)

// TestLabRoutedHarvestBenchmark measures what the SNMP harvest adds to a
// sweep of a routed /16: the same scope swept twice in one run, without
// and with --infrastructure, by the built binary in a routed lab (the
// router runs Debian's snmpd over its real neighbour table, SNMPv3
// authPriv; each camera leg has an access switch agent). It logs wall
// time, packets and peak RSS side by side; docs/infrastructure.md and
// docs/BENCHMARKS.md keep the figures.
//
//	CAMSWEEP_SNMP_BENCH=1 go test -run TestLabRoutedHarvestBenchmark -v -timeout 60m ./cmd/camsweep/
//
// CAMSWEEP_SNMP_BENCH_HOSTS (200, over four /24 legs), _RATE (1000) and
// _SCOPE (10.91.0.0/16, holding the legs) change the set-up.
func TestLabRoutedHarvestBenchmark(t *testing.T) {
	if os.Getenv("CAMSWEEP_SNMP_BENCH") == "" {
		t.Skip("routed harvest benchmark: set CAMSWEEP_SNMP_BENCH=1 (needs root and snmpd; about ten minutes)")
	}
	if why := netlab.Skip(); why != "" {
		t.Skip(why)
	}
	if why := netlab.SNMPDSkip(); why != "" {
		t.Skip(why)
	}
	scope := netip.MustParsePrefix(envOr("CAMSWEEP_SNMP_BENCH_SCOPE", "10.91.0.0/16"))
	nHosts, _ := strconv.Atoi(envOr("CAMSWEEP_SNMP_BENCH_HOSTS", "200"))
	rate := envOr("CAMSWEEP_SNMP_BENCH_RATE", "1000")
	legNets := []string{"10.91.10.0/24", "10.91.60.0/24", "10.91.120.0/24", "10.91.200.0/24"}
	var legs []netlab.Leg
	var specsByLeg [][]scantest.HostSpec
	mgmt := map[string]netlab.Host{}
	for i, n := range legNets {
		p := netip.MustParsePrefix(n)
		hosts, specs := benchHosts(t, p, nHosts/len(legNets))
		// benchHosts numbers MACs from 1 in every call: make them unique
		// across legs, as a network's are.
		for j := range hosts {
			hosts[j].MAC = labMAC(specs[j].Persona.MAC, 1000*(i+1)+j)
			specs[j].MAC = hosts[j].MAC.String()
		}
		// Placed from .10 on, every other address: .2 is free for the
		// switch's management address.
		m := netlab.Host{Addr: p.Addr().Next().Next(), MAC: net.HardwareAddr{0x02, 0x1b, 0x54, 0, byte(i), 0x02}}
		mgmt[fmt.Sprint(i)] = m
		legs = append(legs, netlab.Leg{Name: fmt.Sprint(i), Prefix: p, Hosts: append(hosts, m)})
		specsByLeg = append(specsByLeg, specs)
	}
	setup := time.Now()
	r := netlab.NewRouted(t, netlab.RoutedConfig{ScannerPrefix: netip.MustParsePrefix("10.92.0.0/24"), Legs: legs, Routes: []netip.Prefix{scope}})
	routerAt := r.StartSNMPD(t, netlab.SNMPDConfig{Users: []netlab.SNMPDUser{{Name: "camsweep-ro", Auth: "SHA-256", AuthPass: routedAuth, Priv: "AES", PrivPass: routedPriv}}})
	devices := fmt.Sprintf("  - {name: core, address: %s, roles: [router], credentials: core}\n", routerAt.Addr())
	for i, leg := range legs {
		serveInLeg(t, r, leg.Name, specsByLeg[i])
		sw := scantest.EmulatedSwitch{SysName: "asw" + leg.Name, SysDescr: "bench access switch", Own: []net.HardwareAddr{mgmt[leg.Name].MAC}}
		for j, h := range leg.Hosts[:len(leg.Hosts)-1] {
			sw.Ports = append(sw.Ports, scantest.SwitchPort{IfIndex: 100 + j, Name: fmt.Sprintf("Gi1/0/%d", j+1), MACs: []scantest.LearntMAC{{MAC: h.MAC, VLAN: 100 + i}}})
		}
		rl := r.Leg(leg.Name)
		sw.Ports = append(sw.Ports, scantest.SwitchPort{IfIndex: 1000, Name: "Te1/1/1", MACs: []scantest.LearntMAC{{MAC: rl.RouterMAC, VLAN: 100 + i}},
			LLDP: []scantest.LLDPRemote{{ChassisMAC: rl.RouterMAC, SystemName: "core", Capabilities: scantest.CapRouter}}})
		startSwitch(t, r, leg.Name, sw, mgmt[leg.Name].Addr)
		devices += fmt.Sprintf("  - {name: asw%s, address: %s, roles: [switch], credentials: access}\n", leg.Name, mgmt[leg.Name].Addr)
	}
	infra := filepath.Join(t.TempDir(), "infrastructure.yaml")
	body := "credentials:\n  core: {version: \"3\", username: camsweep-ro, auth_protocol: SHA256, auth_password_env: LAB_SNMP_AUTH, priv_protocol: AES, priv_password_env: LAB_SNMP_PRIV}\n" +
		"  access: {version: 2c, community_env: LAB_SNMP_COMMUNITY}\ndevices:\n" + devices
	if err := os.WriteFile(infra, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"LAB_SNMP_AUTH=" + routedAuth, "LAB_SNMP_PRIV=" + routedPriv, "LAB_SNMP_COMMUNITY=" + routedComm}
	t.Logf("routed lab: scope %s, %d hosts on %d legs behind the router, 5 infrastructure devices; set up in %v; rate %s/s",
		scope, nHosts, len(legs), time.Since(setup).Round(time.Millisecond), rate)
	bin := buildBinary(t)
	type row struct {
		name string
		run  *childRun
		rep  inventory.Report
	}
	var rows []row
	for _, withSNMP := range []bool{false, true} {
		args := []string{"scan", "--site", "BENCH", "-o", "json", "--rate", rate, "--connect-timeout", "500ms", "--probe-timeout", "2s",
			"--host-timeout", "20s", "--log-level", "warn", "--no-progress"}
		name := "sweep"
		if withSNMP {
			args, name = append(args, "--infrastructure", infra), "sweep + SNMP harvest"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
		run := runIn(ctx, r, r.ScannerNS, env, bin, append(args, scope.String())...)
		cancel()
		if run.err != nil {
			t.Fatalf("%s: %v\n%s", name, run.err, run.stderr.String())
		}
		rows = append(rows, row{name, run, decodeReport(t, run)})
	}
	for _, rw := range rows {
		withMAC, located := 0, 0
		for _, d := range rw.rep.Devices {
			if d.MAC != "" {
				withMAC++
			}
			if d.Location != nil {
				located++
			}
		}
		harvest := time.Duration(rw.rep.Stats.SNMPSeconds * float64(time.Second))
		for _, d := range rw.rep.Infrastructure {
			if !d.OK {
				t.Errorf("%s: %s failed: %s", rw.name, d.Name, d.Error)
			}
		}
		for _, d := range rw.rep.Infrastructure {
			t.Logf("  %s: ok %v, %d requests, tables %v, %d neighbours, %d located, uplinks %v, %.3f s", d.Name, d.OK, d.Requests, d.Tables, d.Neighbours, d.Located, d.Uplinks, d.DurationSeconds)
		}
		t.Logf("| %s | %v | %d | %d | %d of %d | %d | %v | %.1f MB |", rw.name, rw.run.wall.Round(time.Millisecond), rw.rep.Stats.PacketsSent,
			rw.rep.Stats.SNMPRequests, withMAC, len(rw.rep.Devices), located, harvest.Round(time.Millisecond), rw.run.maxRSSMB)
	}
	base, with := rows[0], rows[1]
	harvest := time.Duration(with.rep.Stats.SNMPSeconds * float64(time.Second))
	t.Logf("the harvest phase took %v after the probes (%.4fx the sweep's %v); %d SNMP datagrams (%.5fx its %d packets); wall %v without, %v with (%.3fx, sweep noise included)",
		harvest.Round(time.Millisecond), harvest.Seconds()/with.run.wall.Seconds(), with.run.wall.Round(time.Second),
		with.rep.Stats.SNMPRequests, float64(with.rep.Stats.SNMPRequests)/float64(with.rep.Stats.PacketsSent), with.rep.Stats.PacketsSent,
		base.run.wall.Round(time.Second), with.run.wall.Round(time.Second), with.run.wall.Seconds()/base.run.wall.Seconds())
	if len(with.rep.Devices) < nHosts*9/10 {
		t.Errorf("found %d of %d hosts", len(with.rep.Devices), nHosts)
	}
	for _, d := range with.rep.Devices {
		if d.MAC == "" || d.Location == nil {
			t.Errorf("%s: MAC %q, location %v after the harvest", d.IP, d.MAC, d.Location)
		}
	}
}
