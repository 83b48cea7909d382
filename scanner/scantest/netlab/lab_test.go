//go:build linux

package netlab_test

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/scanner/link"
	"github.com/camsweep/camsweep/scanner/scantest/netlab"
)

// TestMain fails the run if any lab of this process survived its test:
// after the lab tests, `ip netns list` and `ip link` show nothing of ours.
func TestMain(m *testing.M) {
	code := m.Run()
	if netlab.Skip() == "" {
		left, err := netlab.Leftovers()
		if err != nil || len(left) > 0 {
			fmt.Fprintf(os.Stderr, "netlab: left behind after the tests: %v (err %v)\n", left, err)
			code = 1
		}
	}
	os.Exit(code)
}

func TestVendorOUIs(t *testing.T) {
	if _, err := os.Stat(netlab.IEEEOUIFile); err != nil {
		t.Skipf("no IEEE registry (apt-get install ieee-data): %v", err)
	}
	want := map[string]string{
		"Hikvision": "Hikvision", "Dahua": "Dahua", "Axis": "Axis Communications", "Uniview": "Uniview",
		"Bosch": "Bosch Security", "Vivotek": "Vivotek", "Reolink": "Reolink", "Samsung": "SAMSUNG TECHWIN",
		"Dell": "Dell", "HP": "Hewlett Packard",
	}
	for vendor := range netlab.VendorOUIs {
		t.Run(vendor, func(t *testing.T) {
			org, err := netlab.OUIOrg(netlab.VendorMAC(vendor, 1))
			if err != nil {
				t.Fatal(err)
			}
			if w, ok := want[vendor]; !ok || !strings.Contains(strings.ToLower(org), strings.ToLower(w)) {
				t.Errorf("OUI of %s is registered to %q, want %q", vendor, org, w)
			}
		})
	}
}

func smallLab(t *testing.T, n int) *netlab.Lab {
	t.Helper()
	prefix := netip.MustParsePrefix("10.78.0.0/24")
	return netlab.New(t, netlab.Config{Prefix: prefix, Hosts: netlab.Hosts(prefix, n, "Hikvision", "Dahua", "Axis")})
}

func TestTeardownLeavesNothing(t *testing.T) {
	if why := netlab.Skip(); why != "" {
		t.Skip(why)
	}
	var lab *netlab.Lab
	t.Run("lab", func(t *testing.T) { lab = smallLab(t, 3) })
	if lab == nil {
		t.Fatal("no lab was built")
	}
	names, err := netlab.Namespaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{lab.ScannerNS, lab.DeviceNS} {
		if slices.Contains(names, ns) {
			t.Errorf("namespace %s survived teardown", ns)
		}
	}
	links, err := netlab.Links()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if strings.Contains(l, lab.ID) {
			t.Errorf("link %s survived teardown", l)
		}
	}
	// Close after teardown is harmless.
	if err := lab.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestGuard(t *testing.T) {
	lab := smallLab(t, 1)
	if err := netlab.Guard(); err == nil {
		t.Error("Guard allowed a raw socket in the test's own namespace")
	}
	// A named interface in the host namespace: the guard must refuse
	// before any socket exists.
	_, err := link.OpenFrameConn(link.Interface{Name: "lo", Index: 1, Requested: true}, link.FrameOptions{Guard: netlab.Guard})
	if err == nil || !strings.Contains(err.Error(), "guard") {
		t.Errorf("OpenFrameConn outside the lab = %v, want the guard's refusal", err)
	}
	for name, in := range map[string]func(func() error) error{"scanner": lab.InScanner, "device": lab.InDevice} {
		if err := in(netlab.Guard); err != nil {
			t.Errorf("Guard inside the %s namespace: %v", name, err)
		}
	}
}

func TestNeighbourFallback(t *testing.T) {
	lab := smallLab(t, 2)
	h := lab.Hosts[1]
	var mac string
	var ok bool
	err := lab.InScanner(func() error {
		if !link.CanRawSocket() {
			return fmt.Errorf("CanRawSocket = false as root")
		}
		if _, ok := link.NeighbourMAC(h.Addr); ok {
			return fmt.Errorf("neighbour entry for %s before any contact", h.Addr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// One datagram to the host makes the kernel resolve its MAC, as a
	// TCP connect would.
	if err := udpPoke(lab, h.Addr); err != nil {
		t.Fatal(err)
	}
	err = lab.InScanner(func() error {
		mac, ok = waitNeighbour(h.Addr)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !ok || mac != h.MAC.String() {
		t.Errorf("NeighbourMAC(%s) = %q, %v; want %s", h.Addr, mac, ok, h.MAC)
	}
}
