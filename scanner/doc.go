// Package scanner is the sweep engine: it expands a scope lazily, finds live
// hosts (TCP connect, or the HostDiscovery it is given), runs the probers it
// is given against them under a global rate limit and a per-host connection
// limit, and streams what each host said as Evidence.
//
// The contract is small: a Prober inspects one Target through the Dialer
// the engine hands it (the one place scope, port set, rate and budget are
// enforced), a Discoverer reports Sightings, and both emit evidence and
// nothing else. Package probe holds camsweep's probers and multicast
// discoverers, package link the ARP sweep and the passive listener; the
// engine imports neither, and cmd/camsweep wires them in.
//
// The scanner speaks no vendor's protocol and draws no conclusion about a
// device: turning evidence into a verdict is the fingerprint package's job.
// The only vendor facts here decide where packets may go, never what a
// device is: the service hints of well-known ports (ports.go) and the
// factory-default addresses the ARP sweep also asks (defaults.go).
package scanner
