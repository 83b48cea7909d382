//go:build !windows

package osnet

import (
	"errors"
	"syscall"
)

// Refused reports whether err says the peer refused: a TCP RST to a
// connect, or the ICMP port-unreachable a connected UDP socket reports.
// Either is an answer from a live host, not silence.
func Refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
