package scanner

import (
	"net/netip"
)

// Evidence is one fact a device stated on the wire, e.g.
// {Probe: "http", Field: "http.server", Value: "App-webs/"}.
// Field names are a contract with the fingerprint rules; see docs/evidence.md.
type Evidence struct {
	Probe string `json:"probe"`
	Field string `json:"field"`
	Value string `json:"value"`
}

// HostResult is everything the sweep learnt about one live host.
type HostResult struct {
	Addr      netip.Addr
	MAC       string // lower-case colon form, "" when unknown
	Hostnames []string
	OpenPorts []uint16
	Evidence  []Evidence
	// ProbeErrors counts probes that could not run (not "port closed" or
	// "401": those are evidence), keyed by probe name.
	ProbeErrors map[string]int
	// Connections counts the TCP connections the sweep opened to the host,
	// discovery included: the load a device actually carried.
	Connections int
	// TimedOut is set when the per-host deadline cut the probes short.
	TimedOut bool
}
