//go:build linux

package netlab

import (
	"testing"
	"time"
)

// setUp is what every lab layout does around its build: skip without
// root, clear what crashed runs left, build, and tear down with t whatever
// happens (a partial lab included). It returns how long the build took.
func setUp(t testing.TB, build func() (closer, error)) time.Duration {
	t.Helper()
	if why := Skip(); why != "" {
		t.Skip(why)
	}
	if err := SweepStale(); err != nil {
		t.Logf("netlab: sweeping stale labs: %v", err)
	}
	start := time.Now()
	l, err := build()
	if l != nil {
		t.Cleanup(func() {
			if err := l.Close(); err != nil {
				t.Errorf("netlab: teardown: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("netlab: setup: %v", err)
	}
	return time.Since(start)
}

// addNamespace creates a named namespace this process owns, quiet and set
// up to hold many hosts: no IPv6 autoconfiguration chatter (so "the
// scanner sent nothing" can be checked frame by frame); each address
// answers ARP only on its own link, as separate boxes would, and accepts
// off-subnet askers as cameras do. forward makes it a router.
func addNamespace(ns string, forward bool) error {
	if err := ip("netns", "add", ns); err != nil {
		return err
	}
	if err := own(ns); err != nil {
		return err
	}
	fwd := "0"
	if forward {
		fwd = "1"
	}
	return do(ns, func() error {
		for _, kv := range [][2]string{
			{"net/ipv6/conf/all/disable_ipv6", "1"}, {"net/ipv6/conf/default/disable_ipv6", "1"},
			{"net/ipv4/conf/all/arp_ignore", "1"}, {"net/ipv4/conf/all/arp_announce", "2"},
			{"net/ipv4/conf/all/rp_filter", "0"}, {"net/ipv4/conf/default/rp_filter", "0"},
			{"net/ipv4/ip_forward", fwd},
		} {
			if err := writeSysctl(kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
}
