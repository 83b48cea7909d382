package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// FrameConn reads and writes whole Ethernet frames. It is the one place
// layer-2 discoverers touch privileged I/O, so ARP and passive logic run in
// unit tests against a pcap replay and in the namespace lab against the
// real socket.
//
// One goroutine may read while another writes. ReadFrame returns a frame
// the caller owns; it returns ctx.Err() when ctx ends and io.EOF when the
// source has no more frames (the end of a pcap replay).
type FrameConn interface {
	ReadFrame(ctx context.Context) ([]byte, error)
	WriteFrame(frame []byte) error
	Close() error
}

// DiscoveryPorts are the UDP ports whose traffic the discovery filter lets
// through: DHCP (67, 68), mDNS (5353), SSDP (1900), WS-Discovery (3702),
// Hikvision SADP (37020) and Dahua DHIP (37810).
var DiscoveryPorts = []uint16{67, 68, 5353, 1900, 3702, 37020, 37810}

// FrameOptions tune OpenFrameConn.
type FrameOptions struct {
	// Filter replaces DiscoveryFilter. The kernel applies it before bind,
	// so no unfiltered frame is ever queued.
	Filter []bpf.RawInstruction
	// AllMulticast asks the interface for every multicast frame (passive
	// listening on a NIC that filters groups nobody joined).
	AllMulticast bool
	// Guard, when set, runs on the opening thread just before the socket
	// is created and vetoes it by returning an error. The namespace lab
	// uses it to refuse any socket outside a namespace it created.
	Guard func() error
}

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
		if err := allMulticast(c, ifc.Index); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("scanner: open frames on %s: all-multicast: %w", ifc.Name, err)
		}
	}
	mtu := ifc.MTU
	if mtu <= 0 || mtu > 9000 {
		mtu = 9000
	}
	return &rawFrames{c: c, self: ifc.MAC, bufLen: mtu + 18}, nil
}

// allMulticast sets PACKET_MR_ALLMULTI, which the kernel undoes when the
// socket closes, so a crash never leaves the NIC in a changed mode.
func allMulticast(c *packet.Conn, index int) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptPacketMreq(int(fd), unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP,
			&unix.PacketMreq{Ifindex: int32(index), Type: unix.PACKET_MR_ALLMULTI})
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

func sameMAC(a []byte, b net.HardwareAddr) bool {
	return len(b) == 6 && len(a) >= 6 && string(a[:6]) == string(b)
}

// macString is the evidence form of a MAC: lower-case, colon separated.
func macString(b []byte) string { return net.HardwareAddr(b).String() }

// pktTypeOutgoing is PACKET_OUTGOING, the pkttype of frames this host sent.
const pktTypeOutgoing = 4

// DiscoveryFilter is the classic BPF program layer-2 discovery listens
// through: incoming ARP, and unfragmented IPv4 UDP to or from one of
// DiscoveryPorts. Everything else (the bulk of a busy segment) stays in
// the kernel.
func DiscoveryFilter() ([]bpf.RawInstruction, error) {
	prog := append(dropOutgoing(), discoveryCore(DiscoveryPorts)...)
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("scanner: assemble filter: %w", err)
	}
	return raw, nil
}

// ARPFilter passes incoming ARP only.
func ARPFilter() ([]bpf.RawInstruction, error) {
	prog := append(dropOutgoing(), discoveryCore(nil)...)
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("scanner: assemble filter: %w", err)
	}
	return raw, nil
}

// dropOutgoing rejects frames we sent: an ETH_P_ALL socket sees them too.
// x/net/bpf's VM cannot run this extension, so tests run discoveryCore.
func dropOutgoing() []bpf.Instruction {
	return []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: pktTypeOutgoing, SkipTrue: 1},
		bpf.RetConstant{Val: 0},
	}
}

// discoveryCore accepts ARP, and IPv4 UDP whose source or destination port
// is in ports (none: ARP only). Frames are accepted whole.
func discoveryCore(ports []uint16) []bpf.Instruction {
	const accept, drop = 0x40000, 0
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0x0806, SkipTrue: 1},
		bpf.RetConstant{Val: accept},
	}
	if len(ports) == 0 {
		return append(prog, bpf.RetConstant{Val: drop})
	}
	// Layout: [ipv4 check][udp check][frag check][x=ihl][ld src][n jumps][ld dst][n jumps][drop][accept]
	body := []bpf.Instruction{
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0x0800, SkipTrue: 0}, // patched below
		bpf.LoadAbsolute{Off: 23, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 17, SkipTrue: 0}, // patched
		bpf.LoadAbsolute{Off: 20, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: 0}, // patched
		bpf.LoadMemShift{Off: 14},
		bpf.LoadIndirect{Off: 14, Size: 2},
	}
	for _, p := range ports {
		body = append(body, bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(p)})
	}
	body = append(body, bpf.LoadIndirect{Off: 16, Size: 2})
	for _, p := range ports {
		body = append(body, bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(p)})
	}
	body = append(body, bpf.RetConstant{Val: drop}, bpf.RetConstant{Val: accept})
	// Patch jumps now that every index is known.
	last := len(body) - 1 // accept
	dropAt := last - 1
	for i, ins := range body {
		j, ok := ins.(bpf.JumpIf)
		if !ok {
			continue
		}
		if j.Cond == bpf.JumpEqual {
			j.SkipTrue = uint8(last - i - 1)
		} else {
			j.SkipTrue = uint8(dropAt - i - 1)
		}
		body[i] = j
	}
	return append(prog, body...)
}
