package inventory

import "net/netip"

// Scope is what a sweep covered, as Reconcile needs it: a registered camera
// can only be reported missing if the sweep could have seen it, and a site's
// camera policy applies to the site that was scanned.
type Scope struct {
	// Site is the scanned site as the registry names it (e.g. "NOH"),
	// compared without regard to case. Empty means "all sites": every
	// registry row is then in play, which suits a one-off sweep.
	Site string
	// Prefixes and Exclude are the scanned address space; exclusions win.
	Prefixes []netip.Prefix
	Exclude  []netip.Prefix
	// Partial marks a sweep that did not finish (interrupted, cancelled):
	// a registered camera it did not see may simply not have been reached,
	// so Reconcile reports no missing_camera. What it did find still counts.
	Partial bool
}

// Contains reports whether the sweep covered addr.
func (s Scope) Contains(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	addr = addr.Unmap()
	for _, p := range s.Exclude {
		if p.Contains(addr) {
			return false
		}
	}
	for _, p := range s.Prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
