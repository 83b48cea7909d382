package sense

import (
	"time"

	"github.com/camsweep/camsweep/inventory"
)

// Judge holds one device a triggered probe looked at against the registry
// and policy, and returns the device (its registry id set) and its
// findings. It is a partial judgement: no missing_camera (one host says
// nothing about the others), and none of the findings the registry earns
// on its own (conflicting rows, overclaimed dispensations), which are the
// sweep's to report and are not about this device.
func Judge(dev inventory.Device, reg *inventory.Registry, pol *inventory.Policy, scope inventory.Scope, now time.Time) (inventory.Device, []inventory.Finding) {
	scope.Partial = true
	res := inventory.Reconcile([]inventory.Device{dev}, reg, pol, scope, now)
	own := map[string]bool{}
	for _, f := range inventory.Reconcile(nil, reg, pol, scope, now).Findings {
		own[f.Key] = true
	}
	fs := []inventory.Finding{}
	for _, f := range res.Findings {
		if !own[f.Key] {
			fs = append(fs, f)
		}
	}
	return res.Devices[0], fs
}
