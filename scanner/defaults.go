package scanner

import "net/netip"

// FactoryDefault is an address a camera takes when it leaves the factory,
// or falls back to when no DHCP server answers. A camera installed and
// never re-addressed sits there on a segment whose subnet is different, so
// the kernel drops its replies; only an ARP request read at layer 2 finds
// it. Sources and confidence are in docs/factory-defaults.md.
type FactoryDefault struct {
	Addr   netip.Addr
	Vendor string // who ships it; for the documentation and the dry-run plan only
}

// factoryDefaults is kept in the order of docs/factory-defaults.md. The
// scanner sends ARP requests to these addresses and nothing else: what a
// host there turns out to be is the fingerprint's business.
var factoryDefaults = []FactoryDefault{
	{netip.AddrFrom4([4]byte{192, 168, 1, 64}), "Hikvision (and its OEMs)"},
	{netip.AddrFrom4([4]byte{192, 0, 0, 64}), "Hikvision (older firmware, DVR/NVR)"},
	{netip.AddrFrom4([4]byte{192, 168, 1, 108}), "Dahua (and its OEMs: Amcrest, Lorex, ...)"},
	{netip.AddrFrom4([4]byte{192, 168, 0, 90}), "Axis (when no DHCP server answers)"},
	{netip.AddrFrom4([4]byte{192, 168, 1, 13}), "Uniview"},
	{netip.AddrFrom4([4]byte{192, 168, 1, 100}), "Hanwha Vision (Wisenet)"},
	{netip.AddrFrom4([4]byte{192, 168, 0, 1}), "Bosch"},
	{netip.AddrFrom4([4]byte{192, 168, 0, 99}), "Vivotek (and its OEMs)"},
	{netip.AddrFrom4([4]byte{192, 168, 0, 10}), "Panasonic / i-PRO"},
	{netip.AddrFrom4([4]byte{192, 168, 0, 100}), "Sony, ACTi"},
	{netip.AddrFrom4([4]byte{192, 168, 5, 190}), "Milesight"},
	{netip.AddrFrom4([4]byte{192, 168, 0, 60}), "TP-Link VIGI"},
}

// FactoryDefaults returns the known factory-default camera addresses.
func FactoryDefaults() []FactoryDefault {
	return append([]FactoryDefault(nil), factoryDefaults...)
}

// FactoryDefaultAddrs returns the addresses of FactoryDefaults, without
// duplicates.
func FactoryDefaultAddrs() []netip.Addr {
	seen := make(map[netip.Addr]bool, len(factoryDefaults))
	out := make([]netip.Addr, 0, len(factoryDefaults))
	for _, d := range factoryDefaults {
		if !seen[d.Addr] {
			seen[d.Addr] = true
			out = append(out, d.Addr)
		}
	}
	return out
}
