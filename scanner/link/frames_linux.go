package link

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// OpenFrameConn opens an AF_PACKET socket on ifc. It refuses an interface
// the user did not name (ifc.Requested): a raw socket sees and can send
// anything on the wire, so the choice is never a guess.
func OpenFrameConn(ifc Interface, opts FrameOptions) (FrameConn, error) {
	if !ifc.Requested || ifc.Name == "" || ifc.Index <= 0 {
		return nil, errors.New("scanner: open frames: raw sockets are opened only on an interface the user named (--interface)")
	}
	if opts.Guard != nil {
		if err := opts.Guard(); err != nil {
			return nil, fmt.Errorf("scanner: open frames: guard refused %s: %w", ifc.Name, err)
		}
	}
	filter := opts.Filter
	if filter == nil {
		var err error
		if filter, err = DiscoveryFilter(); err != nil {
			return nil, err
		}
	}
	nif := &net.Interface{Index: ifc.Index, Name: ifc.Name, HardwareAddr: ifc.MAC, MTU: ifc.MTU}
	c, err := packet.Listen(nif, packet.Raw, unix.ETH_P_ALL, &packet.Config{Filter: filter})
	if err != nil {
		return nil, fmt.Errorf("scanner: open frames on %s: %w", ifc.Name, err)
	}
	if opts.AllMulticast {
		if err := membership(c, ifc.Index, unix.PACKET_MR_ALLMULTI); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("scanner: open frames on %s: all-multicast: %w", ifc.Name, err)
		}
	}
	if opts.Promiscuous {
		if err := membership(c, ifc.Index, unix.PACKET_MR_PROMISC); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("scanner: open frames on %s: promiscuous: %w", ifc.Name, err)
		}
	}
	if opts.ReadBuffer > 0 {
		if err := readBuffer(c, opts.ReadBuffer); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("scanner: open frames on %s: receive buffer: %w", ifc.Name, err)
		}
	}
	mtu := ifc.MTU
	if mtu <= 0 || mtu > 9000 {
		mtu = 9000
	}
	return &rawFrames{c: c, self: ifc.MAC, bufLen: mtu + 18}, nil
}

// membership sets PACKET_MR_ALLMULTI or PACKET_MR_PROMISC, which the
// kernel undoes when the socket closes, so a crash never leaves the NIC
// in a changed mode.
func membership(c *packet.Conn, index int, mode uint16) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptPacketMreq(int(fd), unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP,
			&unix.PacketMreq{Ifindex: int32(index), Type: mode})
	})
	if err != nil {
		return err
	}
	return serr
}

// readBuffer sizes the socket's receive buffer: SO_RCVBUFFORCE where the
// process may exceed net.core.rmem_max (CAP_NET_ADMIN), else SO_RCVBUF,
// which the kernel caps at rmem_max.
func readBuffer(c *packet.Conn, n int) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n); serr != nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n)
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// rawFrames is the AF_PACKET FrameConn.
type rawFrames struct {
	c      *packet.Conn
	self   net.HardwareAddr
	bufLen int

	mu    sync.Mutex
	drops uint64
}

// Dropped counts the frames the kernel dropped because the socket's
// receive buffer was full: frames the filter passed that were never read.
func (r *rawFrames) Dropped() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	// PACKET_STATISTICS counts since the last time it was asked.
	if st, err := r.c.Stats(); err == nil {
		r.drops += uint64(st.Drops)
	}
	return r.drops
}

func (r *rawFrames) ReadFrame(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dl, _ := ctx.Deadline()
	if err := r.c.SetReadDeadline(dl); err != nil {
		return nil, fmt.Errorf("scanner: read frame: %w", err)
	}
	// Wake the blocked read when ctx ends without a deadline.
	stop := context.AfterFunc(ctx, func() { _ = r.c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, r.bufLen)
	for {
		n, _, err := r.c.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return nil, context.DeadlineExceeded
			}
			if errors.Is(err, net.ErrClosed) {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("scanner: read frame: %w", err)
		}
		// Our own frames are filtered as outgoing in the kernel; the MAC
		// check is the belt to that: a discoverer must never "find" us.
		if n < 14 || sameMAC(buf[6:12], r.self) {
			continue
		}
		return buf[:n:n], nil
	}
}

func (r *rawFrames) WriteFrame(frame []byte) error {
	if len(frame) < 14 {
		return errors.New("scanner: write frame: shorter than an Ethernet header")
	}
	dst := net.HardwareAddr(append([]byte(nil), frame[:6]...))
	if _, err := r.c.WriteTo(frame, &packet.Addr{HardwareAddr: dst}); err != nil {
		return fmt.Errorf("scanner: write frame: %w", err)
	}
	return nil
}

func (r *rawFrames) Close() error { return r.c.Close() }

// RawFramesSupported reports whether this system has the packet sockets
// raw frames need. Whether this process may open them is CanRawSocket's
// question.
const RawFramesSupported = true
