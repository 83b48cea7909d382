//go:build !linux

package link

import "net/netip"

// DefaultGateways knows no routes outside Linux; passive listening does not
// run there.
func DefaultGateways(string) []netip.Addr { return nil }
