package sense

import (
	"context"
	"net/netip"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// Kinds of event.
const (
	// NewDevice: a MAC the site's history has never seen, or (for a host
	// heard only through a router) an address it has never seen.
	NewDevice = "new_device"
	// MACChanged: an address last seen with another MAC (a device swapped,
	// or an address taken over). When the new MAC was never seen either,
	// the event is NewDevice with PrevMAC set.
	MACChanged = "mac_changed"
)

// Event is a device the sensor noticed.
type Event struct {
	Site string
	Kind string
	Addr netip.Addr // invalid for a host heard before it had an address
	MAC  string     // "" for a host heard only through a router
	// PrevMAC is the MAC last seen at Addr when it was another.
	PrevMAC    string
	FirstHeard time.Time
	Heard      []string // what was heard (passive.heard values)
	// Foreign: on this link with another subnet's address (a camera on its
	// factory default). Routed: behind a router, MAC unknown.
	Foreign, Routed bool
	Evidence        []evidence.Evidence
}

// Target is one host a triggered probe looks at.
type Target struct {
	Site       string
	Reason     string // NewDevice or MACChanged
	Addr       netip.Addr
	MAC        string
	FirstHeard time.Time
	Foreign    bool
	// Evidence is what was heard from the host so far; the probe adds to
	// it what the host answers.
	Evidence []evidence.Evidence
}

// ProbeFunc looks at one host, and publishes what it makes of it (the
// daemon: reconciliation, history, metrics; watch: a printed line). It
// decides from the site's profile and scope what, if anything, may be
// sent; an error means the look could not be done.
type ProbeFunc func(ctx context.Context, t Target) error
