//go:build linux

package netlab_test

import (
	"net"
	"net/netip"
	"time"

	"github.com/camsweep/camsweep/scanner/link"
	"github.com/camsweep/camsweep/scanner/scantest/netlab"
)

func udpPoke(lab *netlab.Lab, addr netip.Addr) error {
	return lab.InScanner(func() error {
		c, err := net.Dial("udp4", netip.AddrPortFrom(addr, 9).String())
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte{0})
		return err
	})
}

// waitNeighbour polls the neighbour table; call it inside the namespace.
func waitNeighbour(addr netip.Addr) (string, bool) {
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if mac, ok := link.NeighbourMAC(addr); ok {
			return mac, true
		}
	}
	return "", false
}
