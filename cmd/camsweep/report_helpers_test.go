package main

import (
	"net/netip"

	"github.com/camsweep/camsweep/inventory"
)

// devicesByIP is a report's devices by address, for scoring it against
// the hosts a test set up.
func devicesByIP(rep inventory.Report) map[netip.Addr]inventory.Device {
	m := make(map[netip.Addr]inventory.Device, len(rep.Devices))
	for _, d := range rep.Devices {
		m[d.IP] = d
	}
	return m
}
