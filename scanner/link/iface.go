package link

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Interface is the local interface a layer-2 discoverer (ARP, passive)
// works on: where frames are sent and read, and which IPv4 subnets are
// on-link and therefore reachable by ARP.
type Interface struct {
	Name  string
	Index int
	MAC   net.HardwareAddr
	// Addr is the IPv4 address ARP requests are sourced from. A host
	// answers an ARP request for its own address whatever subnet the
	// sender is on, which is what finds cameras left on a factory-default
	// address.
	Addr netip.Addr
	// Prefixes are the interface's IPv4 subnets, masked (10.20.8.0/22).
	Prefixes []netip.Prefix
	MTU      int
	// Requested is true when the user named the interface. Raw sockets are
	// opened only on a requested interface (see OpenFrameConn).
	Requested bool
}

// OnLink reports whether addr lies in one of the interface's subnets.
func (i Interface) OnLink(addr netip.Addr) bool {
	for _, p := range i.Prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ifaceInfo is what ChooseInterface needs to know of one interface, kept
// apart from package net so the choice is testable without a network.
type ifaceInfo struct {
	Name     string
	Index    int
	MAC      net.HardwareAddr
	Flags    net.Flags
	MTU      int
	Prefixes []netip.Prefix // unmasked: address plus prefix length
}

// ChooseInterface picks the interface for layer-2 discovery. With a name it
// checks that interface is usable and says why not; without one it picks
// the interface whose subnet holds the targets, and refuses to guess when
// none or several do.
func ChooseInterface(name string, targets []netip.Prefix) (Interface, error) {
	nifs, err := net.Interfaces()
	if err != nil {
		return Interface{}, fmt.Errorf("scanner: choose interface: %w", err)
	}
	infos := make([]ifaceInfo, 0, len(nifs))
	for _, n := range nifs {
		info := ifaceInfo{Name: n.Name, Index: n.Index, MAC: n.HardwareAddr, Flags: n.Flags, MTU: n.MTU}
		addrs, err := n.Addrs()
		if err != nil {
			return Interface{}, fmt.Errorf("scanner: choose interface: addresses of %s: %w", n.Name, err)
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if !ok {
				continue
			}
			ones, _ := ipn.Mask.Size()
			info.Prefixes = append(info.Prefixes, netip.PrefixFrom(ip.Unmap(), ones))
		}
		infos = append(infos, info)
	}
	return chooseInterface(name, targets, infos)
}

func chooseInterface(name string, targets []netip.Prefix, infos []ifaceInfo) (Interface, error) {
	if name != "" {
		for _, info := range infos {
			if info.Name != name {
				continue
			}
			ifc, err := usable(info)
			if err != nil {
				return Interface{}, err
			}
			ifc.Addr = sourceAddr(info, targets)
			ifc.Requested = true
			return ifc, nil
		}
		return Interface{}, fmt.Errorf("scanner: choose interface: no interface named %q", name)
	}
	var matches []Interface
	var names []string
	for _, info := range infos {
		ifc, err := usable(info)
		if err != nil {
			continue
		}
		if !holdsTargets(ifc, targets) {
			continue
		}
		ifc.Addr = sourceAddr(info, targets)
		matches = append(matches, ifc)
		names = append(names, ifc.Name)
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return Interface{}, errors.New("scanner: choose interface: no up, non-loopback IPv4 interface has a subnet holding the targets; name one with --interface")
	default:
		return Interface{}, fmt.Errorf("scanner: choose interface: the targets are on-link on several interfaces (%s); name one with --interface", strings.Join(names, ", "))
	}
}

// usable turns info into an Interface, or says why layer-2 discovery cannot
// run on it.
func usable(info ifaceInfo) (Interface, error) {
	if info.Flags&net.FlagLoopback != 0 {
		return Interface{}, fmt.Errorf("scanner: choose interface: %s is a loopback interface: there is no layer 2 to discover on", info.Name)
	}
	if info.Flags&net.FlagUp == 0 {
		return Interface{}, fmt.Errorf("scanner: choose interface: %s is down", info.Name)
	}
	if len(info.MAC) != 6 {
		return Interface{}, fmt.Errorf("scanner: choose interface: %s has no Ethernet address", info.Name)
	}
	ifc := Interface{Name: info.Name, Index: info.Index, MAC: info.MAC, MTU: info.MTU}
	for _, p := range info.Prefixes {
		if p.Addr().Is4() {
			ifc.Prefixes = append(ifc.Prefixes, p.Masked())
		}
	}
	if len(ifc.Prefixes) == 0 {
		return Interface{}, fmt.Errorf("scanner: choose interface: %s has no IPv4 address", info.Name)
	}
	return ifc, nil
}

// holdsTargets reports whether one of ifc's subnets overlaps the targets.
// An empty target list never matches: guessing would pick the wrong
// segment on a multi-homed sensor.
func holdsTargets(ifc Interface, targets []netip.Prefix) bool {
	for _, t := range targets {
		for _, p := range ifc.Prefixes {
			if p.Overlaps(t) {
				return true
			}
		}
	}
	return false
}

// sourceAddr picks the interface address in the subnet that holds the
// first target, else the first IPv4 address: requests from an on-link
// source are the ones hosts answer without a second thought.
func sourceAddr(info ifaceInfo, targets []netip.Prefix) netip.Addr {
	var first netip.Addr
	for _, p := range info.Prefixes {
		if !p.Addr().Is4() {
			continue
		}
		if !first.IsValid() {
			first = p.Addr()
		}
		for _, t := range targets {
			if p.Masked().Overlaps(t) {
				return p.Addr()
			}
		}
	}
	return first
}
