package scanner

import (
	"net/netip"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// HostResult is everything the sweep learnt about one live host.
type HostResult struct {
	Addr      netip.Addr
	MAC       string // lower-case colon form, "" when unknown
	Hostnames []string
	OpenPorts []uint16
	Evidence  []evidence.Evidence
	// ProbeErrors counts probes that could not run (not "port closed" or
	// "401": those are evidence), keyed by probe name.
	ProbeErrors map[string]int
	// Connections counts the TCP connections the sweep opened to the host,
	// discovery included: the load a device actually carried.
	Connections int
	// TimedOut is set when the per-host deadline cut the probes short.
	TimedOut bool
}
