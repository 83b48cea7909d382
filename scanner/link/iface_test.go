package link

import (
	"net"
	"net/netip"
	"strings"
	"testing"
)

func TestChooseInterface(t *testing.T) {
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	up := net.FlagUp | net.FlagBroadcast | net.FlagMulticast
	lo := ifaceInfo{Name: "lo", Index: 1, Flags: net.FlagUp | net.FlagLoopback, Prefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}}
	eth0 := ifaceInfo{Name: "eth0", Index: 2, MAC: mac, Flags: up, MTU: 1500, Prefixes: []netip.Prefix{
		netip.MustParsePrefix("fe80::1/64"), netip.MustParsePrefix("10.20.8.5/22"), netip.MustParsePrefix("10.30.0.5/24")}}
	eth1 := ifaceInfo{Name: "eth1", Index: 3, MAC: mac, Flags: up, Prefixes: []netip.Prefix{netip.MustParsePrefix("172.16.4.2/24")}}
	down := ifaceInfo{Name: "eth2", Index: 4, MAC: mac, Flags: net.FlagBroadcast, Prefixes: []netip.Prefix{netip.MustParsePrefix("10.20.8.9/22")}}
	v6only := ifaceInfo{Name: "eth3", Index: 5, MAC: mac, Flags: up, Prefixes: []netip.Prefix{netip.MustParsePrefix("2001:db8::2/64")}}
	tun := ifaceInfo{Name: "tun0", Index: 6, Flags: up, Prefixes: []netip.Prefix{netip.MustParsePrefix("10.99.0.2/24")}}
	twin := ifaceInfo{Name: "eth4", Index: 7, MAC: mac, Flags: up, Prefixes: []netip.Prefix{netip.MustParsePrefix("172.16.4.3/24")}}
	all := []ifaceInfo{lo, eth0, eth1, down, v6only, tun}
	tests := []struct {
		name     string
		ifname   string
		targets  []string
		infos    []ifaceInfo
		wantName string
		wantAddr string
		wantErr  string
	}{
		{"default: the subnet holding the targets", "", []string{"10.20.9.0/24"}, all, "eth0", "10.20.8.5", ""},
		{"default: source address in the targets' subnet", "", []string{"10.30.0.0/24"}, all, "eth0", "10.30.0.5", ""},
		{"default: other interface", "", []string{"172.16.4.10/32"}, all, "eth1", "172.16.4.2", ""},
		{"default: routed targets", "", []string{"10.50.0.0/16"}, all, "", "", "no up, non-loopback IPv4 interface"},
		{"default: no targets", "", nil, all, "", "", "name one with --interface"},
		{"default: ambiguous", "", []string{"172.16.4.0/24"}, append(all, twin), "", "", "several interfaces (eth1, eth4)"},
		{"named", "eth1", []string{"10.20.8.0/22"}, all, "eth1", "172.16.4.2", ""},
		{"named: missing", "wlan0", nil, all, "", "", `no interface named "wlan0"`},
		{"named: loopback", "lo", nil, all, "", "", "lo is a loopback interface"},
		{"named: down", "eth2", nil, all, "", "", "eth2 is down"},
		{"named: no IPv4", "eth3", nil, all, "", "", "eth3 has no IPv4 address"},
		{"named: no Ethernet", "tun0", nil, all, "", "", "tun0 has no Ethernet address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var targets []netip.Prefix
			for _, s := range tt.targets {
				targets = append(targets, netip.MustParsePrefix(s))
			}
			got, err := chooseInterface(tt.ifname, targets, tt.infos)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "scanner: ") {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tt.wantName || got.Addr.String() != tt.wantAddr {
				t.Errorf("got %s %s, want %s %s", got.Name, got.Addr, tt.wantName, tt.wantAddr)
			}
			if got.Requested != (tt.ifname != "") {
				t.Errorf("Requested = %v", got.Requested)
			}
			for _, p := range got.Prefixes {
				if p != p.Masked() || !p.Addr().Is4() {
					t.Errorf("prefix %v not a masked IPv4 subnet", p)
				}
			}
		})
	}
}

func TestNeighbourMAC(t *testing.T) {
	table := `IP address       HW type     Flags       HW address            Mask     Device
10.20.8.1        0x1         0x2         52:54:00:AB:cd:01     *        eth0
10.20.8.64       0x1         0x2         44:47:cc:00:00:64     *        eth0
10.20.8.99       0x1         0x0         00:00:00:00:00:00     *        eth0
10.20.8.7        0x1         0x2         garbage               *        eth0
short line
`
	tests := []struct {
		addr string
		want string
		ok   bool
	}{
		{"10.20.8.1", "52:54:00:ab:cd:01", true},
		{"10.20.8.64", "44:47:cc:00:00:64", true},
		{"10.20.8.99", "", false},
		{"10.20.8.7", "", false},
		{"10.20.8.200", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got, ok := neighbourMAC(strings.NewReader(table), netip.MustParseAddr(tt.addr))
			if got != tt.want || ok != tt.ok {
				t.Errorf("neighbourMAC = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzNeighbourMAC(f *testing.F) {
	f.Add("IP address HW type Flags HW address Mask Device\n10.0.0.1 0x1 0x2 52:54:00:12:34:56 * eth0\n", "10.0.0.1")
	f.Fuzz(func(t *testing.T, table, addr string) {
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return
		}
		if mac, ok := neighbourMAC(strings.NewReader(table), a); ok {
			if _, err := net.ParseMAC(mac); err != nil {
				t.Fatalf("returned unparsable MAC %q", mac)
			}
		}
	})
}
