package link

import (
	"net"
	"net/netip"
)

// Bounds of what attribution learns from the wire. Any station can send
// frames from made-up addresses, so each table is capped and forgotten
// when full (the routers given in the configuration are never forgotten).
const (
	attrMaxARPConfirmed = 4096 // off-subnet addresses whose own ARP named their MAC
	attrMaxCandidates   = 4096 // MACs seen sourcing off-subnet unicast
	attrMaxLearned      = 256  // routers learned from the wire
	// routerSources is how many distinct off-subnet source addresses one
	// MAC must carry, without ARP for any of them, to be taken for a
	// router. A camera left on a factory default has one such address
	// (two at most, a default and a link-local fallback); a router
	// forwards for many.
	routerSources = 3
)

// attribution decides whether a frame's source MAC belongs to the host
// named by its source address. On-subnet sources are on the link: the MAC
// is theirs. An off-subnet source is either a host on this link that
// kept another subnet's address (a camera on its factory default, which
// the tool exists to find) or a host behind a router, whose frames carry
// the router's MAC. The frame type tells them apart first: ARP is never
// routed, so an ARP sender's hardware address is the sender's own, and an
// IPv4 frame whose source address has announced itself by ARP with the
// same MAC is from that host. Next, a MAC known to route (configured,
// the interface's default gateway heard by ARP, or one seen carrying many
// off-subnet sources) is never a host's. Last, link-scoped destinations
// (broadcast, multicast sent with an unrouted TTL) do not cross routers;
// any other off-subnet unicast is taken as routed.
type attribution struct {
	ifc        *Interface
	configured map[string]bool
	gateways   map[netip.Addr]bool
	learned    map[string]bool
	arpOwner   map[netip.Addr]string
	candidates map[string][]netip.Addr
}

func newAttribution(ifc *Interface, routers []net.HardwareAddr, gateways []netip.Addr) *attribution {
	a := &attribution{
		ifc: ifc, configured: map[string]bool{}, gateways: map[netip.Addr]bool{},
		learned: map[string]bool{}, arpOwner: map[netip.Addr]string{}, candidates: map[string][]netip.Addr{},
	}
	for _, r := range routers {
		if len(r) == 6 {
			a.configured[macString(r)] = true
		}
	}
	for _, g := range gateways {
		a.gateways[g.Unmap()] = true
	}
	return a
}

// offSubnet reports whether addr lies outside the interface's subnets
// (and is not IPv4 link-local, which is on every link).
func (a *attribution) offSubnet(addr netip.Addr) bool {
	return a.ifc != nil && addr.IsValid() && !addr.IsUnspecified() && !a.ifc.OnLink(addr) && !addr.IsLinkLocalUnicast()
}

func (a *attribution) isRouter(mac string) bool { return a.configured[mac] || a.learned[mac] }

// heardARP notes an ARP sender: its address and hardware address are its
// own, whatever subnet the address is on, and the gateway's ARP names the
// router's MAC.
func (a *attribution) heardARP(sender netip.Addr, mac string) {
	if a.gateways[sender] {
		a.learn(mac)
	}
	if !a.offSubnet(sender) {
		return
	}
	if len(a.arpOwner) >= attrMaxARPConfirmed {
		clear(a.arpOwner)
	}
	a.arpOwner[sender] = mac
}

func (a *attribution) learn(mac string) {
	if a.learned[mac] || a.configured[mac] {
		return
	}
	if len(a.learned) >= attrMaxLearned {
		clear(a.learned)
	}
	a.learned[mac] = true
}

// ipSender decides whether the IPv4 frame from src, carrying source MAC
// mac, to dst (at Ethernet broadcast when bcast, with the IP TTL ttl) is
// from a host on this link: keep says the MAC is the host's, foreign
// that the host sits on the link with another subnet's address.
func (a *attribution) ipSender(src netip.Addr, mac string, dst netip.Addr, bcast bool, ttl uint8) (keep, foreign bool) {
	if !a.offSubnet(src) {
		return true, false
	}
	if a.isRouter(mac) {
		return false, false
	}
	if a.arpOwner[src] == mac {
		return true, true
	}
	if !a.noteCandidate(mac, src) {
		return false, false // it has just shown itself a router
	}
	if linkScoped(dst, bcast, ttl) {
		return true, true
	}
	return false, false
}

// noteCandidate records that mac carried off-subnet source src, and
// reports false once mac has carried enough of them to be a router.
func (a *attribution) noteCandidate(mac string, src netip.Addr) bool {
	seen := a.candidates[mac]
	for _, s := range seen {
		if s == src {
			return true
		}
	}
	if len(seen)+1 >= routerSources {
		delete(a.candidates, mac)
		a.learn(mac)
		return false
	}
	if seen == nil && len(a.candidates) >= attrMaxCandidates {
		clear(a.candidates)
	}
	a.candidates[mac] = append(seen, src)
	return true
}

// linkScoped reports whether a datagram to dst cannot have crossed a
// router: limited or Ethernet broadcast (routers forward neither; RFC 2644
// turned directed broadcast forwarding off), or multicast arriving with a
// TTL a sender sets. A router decrements the TTL, so a routed multicast
// arrives with one less than the powers of two and 255 stacks start from.
func linkScoped(dst netip.Addr, bcast bool, ttl uint8) bool {
	if bcast || dst == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return true
	}
	if !dst.IsMulticast() {
		return false
	}
	if dst.Is4() && dst.As4()[0] == 224 && dst.As4()[1] == 0 && dst.As4()[2] == 0 {
		return true // 224.0.0.0/24, link-local multicast (mDNS): never forwarded
	}
	switch ttl {
	case 1, 2, 4, 8, 16, 32, 64, 128, 255:
		return true
	}
	return false
}
