package sense

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/camsweep/camsweep/inventory"
)

// Judge holds one device a triggered probe looked at against the registry
// and policy, and returns the device (its registry id set) and its
// findings. It is a partial judgement: no missing_camera (one host says
// nothing about the others), and none of the findings the registry earns
// on its own (conflicting rows, overclaimed dispensations), which are the
// sweep's to report and are not about this device.
//
// others are the devices the site's latest sweep found (nil when there is
// none). The device is matched among them, as the sweep would match it: a
// device claiming the MAC or serial of a registered camera found at the
// row's address does not take the row (the camera there keeps it), and two
// devices claiming one identity is duplicate_identity. Judged alone, a
// clone would take the row and look merely moved until the next sweep.
// Of the findings, only those about the device are returned.
func Judge(dev inventory.Device, others []inventory.Device, reg *inventory.Registry, pol *inventory.Policy, scope inventory.Scope, now time.Time) (inventory.Device, []inventory.Finding) {
	scope.Partial = true
	devices := make([]inventory.Device, 1, 1+len(others))
	devices[0] = dev
	for _, o := range others {
		// The device looked at is the news about its MAC and its address:
		// one the sweep saw with its MAC has moved (a new lease looks the
		// same as a clone copying the MAC, and a sweep that sees both at
		// once tells them apart).
		if (dev.MAC != "" && strings.EqualFold(o.MAC, dev.MAC)) || (dev.IP.IsValid() && o.IP == dev.IP) {
			continue
		}
		devices = append(devices, o)
	}
	res := inventory.Reconcile(devices, reg, pol, scope, now)
	own := map[string]bool{}
	for _, f := range inventory.Reconcile(nil, reg, pol, scope, now).Findings {
		own[f.Key] = true
	}
	fs := []inventory.Finding{}
	for _, f := range res.Findings {
		if !own[f.Key] && about(f, dev.IP) {
			fs = append(fs, f)
		}
	}
	return res.Devices[0], fs
}

// about reports whether a finding concerns the device at addr: it is the
// finding's device, or one of the devices it names.
func about(f inventory.Finding, addr netip.Addr) bool {
	if !addr.IsValid() {
		return true // nothing else can be told apart from it
	}
	a := addr.Unmap().String()
	return f.IP == a || slices.Contains(f.IPs, a)
}
