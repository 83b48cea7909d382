package link

import (
	"context"
	"fmt"
	"net"

	"golang.org/x/net/bpf"
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

// DropCounter is a frame source that knows how many frames it lost before
// they could be read (the kernel's socket buffer overflowing).
type DropCounter interface {
	Dropped() uint64
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
	// Promiscuous asks the interface for every frame, whoever it is
	// addressed to: a mirror (SPAN) port delivers other hosts' traffic,
	// which a NIC drops by default.
	Promiscuous bool
	// ReadBuffer, when set, is the socket's receive buffer in bytes: a
	// continuous listener rides out a burst of frames (a storm of
	// announcements) while it is busy, instead of the kernel dropping
	// them.
	ReadBuffer int
	// Guard, when set, runs on the opening thread just before the socket
	// is created and vetoes it by returning an error. The namespace lab
	// uses it to refuse any socket outside a namespace it created.
	Guard func() error
}

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

// MirrorFilter passes every incoming frame: a mirror port's whole traffic
// is the evidence. The flow consumer reads headers only and keeps no
// payload.
func MirrorFilter() ([]bpf.RawInstruction, error) {
	prog := append(dropOutgoing(), bpf.RetConstant{Val: 0x40000})
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
