package osnet

import (
	"errors"
	"syscall"

	"golang.org/x/sys/windows"
)

// Refused reports whether err says the peer refused: a TCP RST to a
// connect, or the ICMP port-unreachable a connected UDP socket reports.
// Winsock reports both as WSAECONNREFUSED, which is not the errno value
// package syscall names ECONNREFUSED on Windows.
func Refused(err error) bool {
	return errors.Is(err, windows.WSAECONNREFUSED) || errors.Is(err, syscall.ECONNREFUSED)
}
