//go:build !linux

package link

import "net/netip"

// NeighbourMAC reads Linux's neighbour table; elsewhere it knows nothing.
func NeighbourMAC(netip.Addr) (string, bool) { return "", false }

// CanRawSocket is false where there are no packet sockets.
func CanRawSocket() bool { return false }
