// Package snmp harvests what the network itself knows about the hosts a
// sweep finds, read-only, from the infrastructure a site configures: the
// routers' neighbour tables (a MAC for every routed address), the access
// switches' forwarding tables (the switch port behind which each MAC was
// learnt), their LLDP neighbours (what the device on a port says about
// itself) and each device's sysName and sysDescr.
//
// It is a source beside the probers: it never sends a packet to a scanned
// host, only to the infrastructure devices named in its Config, with the
// credentials the site gave it (SNMP v2c or v3 authPriv; no community is
// ever guessed). Every request passes a per-device rate limit, every walk a
// cap on the entries it reads, and the whole harvest a deadline; a device
// that times out or refuses the credentials is reported, never fatal.
//
// The table decoders (tables.go) are pure functions over the variable
// bindings a walk returns, fuzzed against wrong types, missing indexes,
// huge tables and OIDs out of order. See docs/infrastructure.md.
package snmp
