//go:build linux

package netlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// maxCaptured bounds what a Capture keeps; a lab sweep sends a few
// thousand frames.
const maxCaptured = 1 << 20

// Capture records, on the device namespace's side of the link, every frame
// the scanner's MAC put on the wire: it is the witness for "sent nothing"
// and "never sent to an excluded address", independent of the scanner's
// own counters.
type Capture struct {
	conn   *packet.Conn
	from   net.HardwareAddr
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	frames [][]byte
	total  int
}

// CaptureScanner starts capturing frames from the scanner. Stop it before
// reading the result.
func (l *Lab) CaptureScanner() (*Capture, error) {
	conn, err := l.deviceSocket(l.DeviceIf, unix.ETH_P_ALL)
	if err != nil {
		return nil, fmt.Errorf("netlab: capture: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Capture{conn: conn, from: l.ScannerMAC, cancel: cancel, done: make(chan struct{})}
	go c.run(ctx)
	return c, nil
}

func (c *Capture) run(ctx context.Context) {
	defer close(c.done)
	buf := make([]byte, 65536)
	for ctx.Err() == nil {
		_ = c.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, _, err := c.conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if n < 14 || string(buf[6:12]) != string(c.from) {
			continue
		}
		c.mu.Lock()
		c.total++
		if len(c.frames) < maxCaptured {
			c.frames = append(c.frames, append([]byte(nil), buf[:n]...))
		}
		c.mu.Unlock()
	}
}

// Stop ends the capture after a short drain (frames still in flight on
// the veth) and returns what the scanner sent.
func (c *Capture) Stop() [][]byte {
	time.Sleep(150 * time.Millisecond)
	c.cancel()
	<-c.done
	_ = c.conn.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames
}

// SendFrom puts frame on the wire from host h's macvlan, as if the host
// had sent it (an announcement: gratuitous ARP, DHCP, SSDP NOTIFY).
func (l *Lab) SendFrom(h Host, frames ...[]byte) error {
	conn, err := l.deviceSocket(h.Link, 0) // protocol 0: send only, receives nothing
	if err != nil {
		return fmt.Errorf("netlab: send from %s: %w", h.Addr, err)
	}
	defer conn.Close()
	for _, f := range frames {
		if len(f) < 14 {
			return errors.New("netlab: send: runt frame")
		}
		if _, err := conn.WriteTo(f, &packet.Addr{HardwareAddr: net.HardwareAddr(f[:6])}); err != nil {
			return fmt.Errorf("netlab: send from %s: %w", h.Addr, err)
		}
	}
	return nil
}

// deviceSocket opens a raw packet socket for protocol on interface ifname
// of the device namespace, behind Guard. The socket stays in the
// namespace whichever thread uses it.
func (l *Lab) deviceSocket(ifname string, protocol int) (*packet.Conn, error) {
	var conn *packet.Conn
	err := l.InDevice(func() error {
		if err := Guard(); err != nil {
			return err
		}
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		conn, err = packet.Listen(ifi, packet.Raw, protocol, nil)
		return err
	})
	return conn, err
}

// GratuitousARP is the frame a station at addr with mac sends to announce
// itself: a broadcast ARP request for its own address.
func GratuitousARP(mac net.HardwareAddr, addr netip.Addr) []byte {
	a4 := addr.As4()
	buf := gopacket.NewSerializeBuffer()
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true},
		&layers.Ethernet{SrcMAC: mac, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: layers.ARPRequest, SourceHwAddress: mac, SourceProtAddress: a4[:], DstHwAddress: make([]byte, 6), DstProtAddress: a4[:]})
	if err != nil {
		// Only a MAC of the wrong length gets here: a bug in the test.
		panic(fmt.Sprintf("netlab: gratuitous ARP from %v: %v", mac, err))
	}
	return buf.Bytes()
}
