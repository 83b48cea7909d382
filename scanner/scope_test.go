package scanner

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestNewScope(t *testing.T) {
	tests := []struct {
		name     string
		targets  []string
		excludes []string
		public   bool
		want     []string // all addresses, when small
		size     uint64
		err      string
	}{
		{name: "cidr", targets: []string{"10.0.0.0/30"}, want: []string{"10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3"}, size: 4},
		{name: "unmasked cidr", targets: []string{"10.0.0.5/30"}, want: []string{"10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7"}, size: 4},
		{name: "range", targets: []string{"192.168.1.250-192.168.2.1"}, want: []string{"192.168.1.250", "192.168.1.251", "192.168.1.252", "192.168.1.253", "192.168.1.254", "192.168.1.255", "192.168.2.0", "192.168.2.1"}, size: 8},
		{name: "short range", targets: []string{"10.1.1.1-3"}, want: []string{"10.1.1.1", "10.1.1.2", "10.1.1.3"}, size: 3},
		{name: "single", targets: []string{"127.0.0.1"}, want: []string{"127.0.0.1"}, size: 1},
		{name: "overlap scanned once", targets: []string{"10.0.0.0/31", "10.0.0.1-2"}, want: []string{"10.0.0.0", "10.0.0.1", "10.0.0.2"}, size: 3},
		{name: "exclusion wins", targets: []string{"10.0.0.0/29"}, excludes: []string{"10.0.0.2-4", "10.0.0.7"}, want: []string{"10.0.0.0", "10.0.0.1", "10.0.0.5", "10.0.0.6"}, size: 4},
		{name: "exclusion of everything", targets: []string{"10.0.0.0/30"}, excludes: []string{"10.0.0.0/24"}, want: nil, size: 0},
		{name: "slash 8 is lazy", targets: []string{"10.0.0.0/8"}, size: 1 << 24},
		{name: "ipv6 small", targets: []string{"fd00::1-fd00::2"}, want: []string{"fd00::1", "fd00::2"}, size: 2},
		{name: "public refused", targets: []string{"8.8.8.0/24"}, err: "public addresses"},
		{name: "public straddling refused", targets: []string{"10.255.255.0-11.0.0.5"}, err: "public addresses"},
		{name: "public allowed", targets: []string{"198.51.100.0/30"}, public: true, want: []string{"198.51.100.0", "198.51.100.1", "198.51.100.2", "198.51.100.3"}, size: 4},
		{name: "garbage", targets: []string{"10.0.0.0/33"}, err: "CIDR"},
		{name: "reversed range", targets: []string{"10.0.0.9-10.0.0.1"}, err: "before its start"},
		{name: "bad short range", targets: []string{"10.0.0.1-300"}, err: "last octet"},
		{name: "mixed family", targets: []string{"10.0.0.1-fd00::1"}, err: "mixes"},
		{name: "huge ipv6", targets: []string{"fd00::/64"}, err: "IPv6 range larger"},
		{name: "no targets", targets: nil, err: "no targets"},
		{name: "hostname", targets: []string{"camera.local"}, err: "not an IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewScope(tt.targets, tt.excludes, tt.public)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Size(); got != tt.size {
				t.Errorf("Size = %d, want %d", got, tt.size)
			}
			if tt.size > 1000 {
				return
			}
			var got []string
			for a := range s.Addrs() {
				got = append(got, a.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Addrs = %v, want %v", got, tt.want)
			}
			for _, w := range tt.want {
				if !s.Contains(netip.MustParseAddr(w)) {
					t.Errorf("Contains(%s) = false", w)
				}
			}
		})
	}
}

func TestScopeContainsExcluded(t *testing.T) {
	s, err := NewScope([]string{"10.20.8.0/22"}, []string{"10.20.9.0/24"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"10.20.8.1": true, "10.20.9.1": false, "10.20.10.1": true, "10.20.11.255": true,
		"10.20.12.0": false, "10.20.7.255": false, "fd00::1": false,
	} {
		if got := s.Contains(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Contains(%s) = %v, want %v", addr, got, want)
		}
	}
	if got := len(s.Prefixes()); got != 2 {
		t.Errorf("Prefixes = %v, want two /24s", s.Prefixes())
	}
}

func TestParsePorts(t *testing.T) {
	ports, err := ParsePorts([]string{"80,443", "10554/rtsp", "8000-8001", "80"})
	if err != nil {
		t.Fatal(err)
	}
	got := PortSpecs(ports)
	want := []string{"80/http", "443/https", "10554/rtsp", "8000/hik-sdk", "8001"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"0", "65536", "80-70", "http", "80/ht tp"} {
		if _, err := ParsePorts([]string{bad}); err == nil {
			t.Errorf("ParsePorts(%q) succeeded", bad)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "10.0.0.1-20", "fd00::1-fd00::ff", "1.2.3.4", "-", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		r, err := ParseRange(spec)
		if err != nil {
			return
		}
		if r.To.Less(r.From) {
			t.Fatalf("%q: range end %v before start %v", spec, r.To, r.From)
		}
		if !r.Contains(r.From) || !r.Contains(r.To) {
			t.Fatalf("%q: range does not contain its ends", spec)
		}
	})
}

func TestScopeOverlap(t *testing.T) {
	tests := []struct {
		name        string
		a, b        []string
		aEx         []string
		want        string
		wantOverlap bool
	}{
		{"disjoint", []string{"10.20.8.0/22"}, []string{"10.20.12.0/22"}, nil, "", false},
		{"nested", []string{"10.20.0.0/16"}, []string{"10.20.8.0/22"}, nil, "10.20.8.0-10.20.11.255", true},
		{"touching ranges", []string{"10.0.0.1-10.0.0.10"}, []string{"10.0.0.10-10.0.0.20"}, nil, "10.0.0.10", true},
		{"excluded from one", []string{"10.20.0.0/16"}, []string{"10.20.8.0/22"}, []string{"10.20.8.0/22"}, "", false},
		{"second range overlaps", []string{"10.1.0.0/24", "10.2.0.0/24"}, []string{"10.2.0.128/25"}, nil, "10.2.0.128-10.2.0.255", true},
		{"v4 and v6", []string{"10.0.0.0/24"}, []string{"fd00::/120"}, nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewScope(tt.a, tt.aEx, false)
			if err != nil {
				t.Fatal(err)
			}
			b, err := NewScope(tt.b, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, pair := range [][2]*Scope{{a, b}, {b, a}} {
				r, ok := pair[0].Overlap(pair[1])
				if ok != tt.wantOverlap || (ok && r.String() != tt.want) {
					t.Errorf("Overlap = %v, %v; want %s, %v", r, ok, tt.want, tt.wantOverlap)
				}
			}
		})
	}
}
