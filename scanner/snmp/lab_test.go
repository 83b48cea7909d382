//go:build linux

package snmp_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner/scantest/netlab"
	"github.com/camsweep/camsweep/scanner/snmp"
)

const (
	labCommunity = "lab-ro-c0mm"
	labAuth      = "lab-auth-pass-1"
	labPriv      = "lab-priv-pass-1"
)

// routedLab is a scanner, a router running Debian's snmpd and two
// routed legs of hosts; the router has met every host (as a sweep's
// connects make it do), so its kernel neighbour table holds them all.
func routedLab(t *testing.T) (*netlab.Routed, netip.AddrPort) {
	t.Helper()
	cams, clinic := netip.MustParsePrefix("10.81.1.0/24"), netip.MustParsePrefix("10.81.2.0/24")
	r := netlab.NewRouted(t, netlab.RoutedConfig{
		ScannerPrefix: netip.MustParsePrefix("10.81.0.0/24"),
		Legs: []netlab.Leg{
			{Name: "cams", Prefix: cams, Hosts: netlab.Hosts(cams, 6, "Dahua", "Hikvision", "Axis")},
			{Name: "clinic", Prefix: clinic, Hosts: netlab.Hosts(clinic, 3, "Dell", "HP")},
		},
	})
	at := r.StartSNMPD(t, netlab.SNMPDConfig{
		Community: labCommunity,
		Users: []netlab.SNMPDUser{
			{Name: "camro", Auth: "SHA-256", AuthPass: labAuth, Priv: "AES", PrivPass: labPriv},
			{Name: "camro1", Auth: "SHA", AuthPass: labAuth, Priv: "AES", PrivPass: labPriv},
		},
	})
	for _, leg := range r.Legs {
		for _, h := range leg.Hosts {
			err := r.InScanner(func() error {
				c, err := net.Dial("udp4", netip.AddrPortFrom(h.Addr, 9).String())
				if err != nil {
					return err
				}
				defer c.Close()
				_, err = c.Write([]byte{0})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		n, err := r.Neighbours()
		if err != nil {
			t.Fatal(err)
		}
		if len(n) >= 9 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the router resolved only %v", n)
		}
	}
	return r, at
}

func labHarvest(t *testing.T, r *netlab.Routed, at netip.AddrPort, spec snmp.CredentialSpec, scope func(netip.Addr) bool) *snmp.Result {
	t.Helper()
	cfg := &snmp.Config{
		Credentials: map[string]snmp.CredentialSpec{"p": spec},
		Devices:     []snmp.Device{{Name: "lab-router", Address: at.Addr(), Roles: []string{snmp.RoleRouter}, Credentials: "p", Tuning: snmp.Tuning{Timeout: 500 * time.Millisecond, Retries: retries(1)}}},
	}
	if p := cfg.Validate(); len(p) > 0 {
		t.Fatal(p)
	}
	env := map[string]string{"C": labCommunity, "A": labAuth, "P": labPriv, "WRONG": "wrong-pass-123"}
	creds, err := snmp.ResolveCredentials(cfg, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return snmp.Harvest(context.Background(), cfg, snmp.Options{
		InScope: scope, Credentials: creds, Log: zerolog.Nop(),
		Open: func(g *gosnmp.GoSNMP) error { return r.InScanner(g.Connect) },
	})
}

// TestLabRouterNeighbourTable reads a real router's real neighbour table
// (Debian's snmpd over the kernel's) with SNMPv2c and SNMPv3 authPriv,
// keeps only the in-scope entries, and reports a refused password and an
// ignored community; a capture on the router's wire shows SNMP went to
// the router alone.
func TestLabRouterNeighbourTable(t *testing.T) {
	r, at := routedLab(t)
	legs := []netip.Prefix{r.Leg("cams").Prefix, r.Leg("clinic").Prefix}
	inScope := func(a netip.Addr) bool { return legs[0].Contains(a) || legs[1].Contains(a) }
	capture := r.StartTcpdump(t, r.RouterNS, r.RouterScannerIf, "udp")

	good := []struct {
		name string
		spec snmp.CredentialSpec
	}{
		{"v2c", snmp.CredentialSpec{Version: "2c", CommunityEnv: "C"}},
		{"v3 SHA-256/AES", snmp.CredentialSpec{Version: "3", Username: "camro", AuthProtocol: "SHA256", AuthPasswordEnv: "A", PrivProtocol: "AES", PrivPasswordEnv: "P"}},
		{"v3 SHA/AES", snmp.CredentialSpec{Version: "3", Username: "camro1", AuthProtocol: "SHA", AuthPasswordEnv: "A", PrivProtocol: "AES", PrivPasswordEnv: "P"}},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			res := labHarvest(t, r, at, tc.spec, inScope)
			d := res.Devices[0]
			if !d.OK {
				t.Fatalf("harvest failed: %s (%s)", d.Error, d.ErrorKind)
			}
			if d.SysName != r.ID+"-router" {
				t.Errorf("sysName %q", d.SysName)
			}
			want := 0
			for _, leg := range r.Legs {
				for _, h := range leg.Hosts {
					want++
					s, ok := res.Neighbours[h.Addr]
					if !ok || s.MAC != h.MAC.String() {
						t.Errorf("%s: harvested %+v, want its true MAC %s", h.Addr, s, h.MAC)
					}
				}
			}
			if len(res.Neighbours) != want {
				t.Errorf("kept %d entries, want the %d in scope (the scanner's own entry is out of scope): %v", len(res.Neighbours), want, res.Neighbours)
			}
			if d.Tables[snmp.TableIPNetToPhysical] < want {
				t.Errorf("read %d rows of ipNetToPhysicalTable", d.Tables[snmp.TableIPNetToPhysical])
			}
		})
	}
	bad := []struct {
		name, kind string
		spec       snmp.CredentialSpec
	}{
		{"v3 wrong password", snmp.ErrorAuth, snmp.CredentialSpec{Version: "3", Username: "camro", AuthProtocol: "SHA256", AuthPasswordEnv: "WRONG", PrivProtocol: "AES", PrivPasswordEnv: "P"}},
		{"v3 unknown user", snmp.ErrorAuth, snmp.CredentialSpec{Version: "3", Username: "nobody", AuthProtocol: "SHA256", AuthPasswordEnv: "A", PrivProtocol: "AES", PrivPasswordEnv: "P"}},
		{"v2c wrong community", snmp.ErrorTimeout, snmp.CredentialSpec{Version: "2c", CommunityEnv: "WRONG"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			res := labHarvest(t, r, at, tc.spec, inScope)
			d := res.Devices[0]
			if d.OK || d.ErrorKind != tc.kind {
				t.Errorf("ok %v kind %q (%s), want %s", d.OK, d.ErrorKind, d.Error, tc.kind)
			}
			for _, s := range []string{labAuth, labPriv, "wrong-pass-123", labCommunity} {
				if strings.Contains(d.Error, s) {
					t.Errorf("error quotes a secret: %s", d.Error)
				}
			}
		})
	}

	pkts, err := capture.Stop()
	if err != nil {
		t.Fatal(err)
	}
	snmpPkts := 0
	for _, p := range pkts {
		if p.Proto != "udp" || (p.Dst.Port() != 161 && p.Src.Port() != 161) {
			continue
		}
		snmpPkts++
		// Every request from the scanner went to the router's agent; every
		// answer came from it.
		if p.Dst.Port() == 161 && (p.Dst != at || p.Src.Addr() != r.Scanner) {
			t.Errorf("SNMP request %v -> %v: only the configured router may be asked", p.Src, p.Dst)
		}
		if p.Src.Port() == 161 && p.Src != at {
			t.Errorf("SNMP answer from %v", p.Src)
		}
	}
	if snmpPkts == 0 {
		t.Fatal("the capture saw no SNMP at all: it witnesses nothing")
	}
	t.Logf("capture: %d SNMP datagrams, all between %s and %s", snmpPkts, r.Scanner, at)
}
