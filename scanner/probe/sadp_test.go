package probe_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/probe"
	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/rs/zerolog"
)

// TestVendorUDPProbers: SADP and DHIP unicast probes read model and serial
// from responders on their own loopback addresses; a host without the
// responder gives nothing.
func TestVendorUDPProbers(t *testing.T) {
	sadp := &scantest.SADPService{DeviceType: "138", Description: "DS-2CD2143G2-I", Serial: "DS-2CD2143G2-I20230101AAWRK12345678",
		Firmware: "V5.7.3build 220112", DSPVersion: "V7.3 build 220112"}
	dhip := &scantest.DHIPService{DeviceClass: "IPC", DeviceType: "IPC-HDW2431T-AS-S2", Serial: "7L0A1B2PAZ12345", Vendor: "General", Version: "2.800.0000000.28.R"}
	cases := []struct {
		name  string
		addr  string
		port  int
		serve func(context.Context, net.PacketConn, string)
		probe scanner.Prober
		want  map[string]string
	}{
		{"sadp", "127.77.206.10", 37020, func(ctx context.Context, pc net.PacketConn, ip string) {
			scantest.ServeSADP(ctx, pc, sadp, "44:19:b6:0a:0b:0c", ip)
		}, probe.NewSADPProber(probe.DatagramOptions{Wait: time.Second}, zerolog.Nop()), map[string]string{
			"sadp.model": sadp.Description, "sadp.serial": sadp.Serial, "sadp.firmware": sadp.Firmware,
			"sadp.device_type": "138", "sadp.mac": "44:19:b6:0a:0b:0c", "mac": "44:19:b6:0a:0b:0c",
		}},
		{"dhip", "127.77.206.11", 37810, func(ctx context.Context, pc net.PacketConn, ip string) {
			scantest.ServeDHIP(ctx, pc, dhip, "e0:50:8b:01:02:03", ip)
		}, probe.NewDHIPProber(probe.DatagramOptions{Wait: time.Second}, zerolog.Nop()), map[string]string{
			"dhip.model": dhip.DeviceType, "dhip.serial": dhip.Serial, "dhip.vendor": "General",
			"dhip.firmware": dhip.Version, "dhip.device_class": "IPC", "dhip.mac": "e0:50:8b:01:02:03", "mac": "e0:50:8b:01:02:03",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pc := listenUDP(t, netip.AddrPortFrom(netip.MustParseAddr(tc.addr), uint16(tc.port)).String())
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go tc.serve(ctx, pc, tc.addr)
			a := netip.MustParseAddr(tc.addr)
			got := collect(t, tc.probe, scanner.Target{Addr: a, Dialer: &onlyDialer{addr: a}})
			if len(got) != len(tc.want) {
				t.Errorf("got %d fields %v, want %d", len(got), got, len(tc.want))
			}
			for f, v := range tc.want {
				wantOne(t, got, f, v)
			}
			// Same probe, host without the service: no evidence, no error.
			other := netip.MustParseAddr("127.77.206.99")
			if got := collect(t, tc.probe, scanner.Target{Addr: other, Dialer: &onlyDialer{addr: other}}); len(got) != 0 {
				t.Errorf("host without %s gave %v", tc.name, got)
			}
		})
	}
}
