//go:build linux

package netlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// base is what every lab layout shares: its id, the namespaces it made and
// the daemons it started, which Close ends and deletes, and the ways to
// run code and commands inside those namespaces.
type base struct {
	ID string

	n          uint32 // this lab's sequence number, which makes its MACs unique
	mu         sync.Mutex
	namespaces []string
	procs      []*exec.Cmd
	closeOnce  sync.Once
	closeErr   error
}

var seq atomic.Uint32

// pid36 is this process's id in base 36, the part of every name that
// lets SweepStale tell a crashed run's leftovers from a live one's.
// Five base-36 digits hold any Linux pid (pid_max is at most 2^22).
var pid36 = fmt.Sprintf("%05s", strconv.FormatInt(int64(os.Getpid()), 36))

// newBase names a new lab and registers it for teardown on a signal.
func newBase() *base {
	n := seq.Add(1) % (36 * 36)
	b := &base{ID: pid36 + fmt.Sprintf("%02s", strconv.FormatUint(uint64(n), 36)), n: n}
	register(b)
	return b
}

// nsName and ifName name the lab's namespaces and links: csl-<id>-<role>
// and csl<id><role>, within IFNAMSIZ for a one- or two-character role.
func (b *base) nsName(role string) string { return "csl-" + b.ID + "-" + role }
func (b *base) ifName(role string) string { return "csl" + b.ID + role }

// mac is a locally administered MAC of this lab's, kind telling the
// labs' roles apart (a scanner, a router's port).
func (b *base) mac(kind byte) net.HardwareAddr {
	return net.HardwareAddr{0x02, 0xc5, 0x1a, kind, byte(b.n >> 8), byte(b.n)}
}

// addNamespace creates a named namespace this lab owns, quiet and set up
// to hold many hosts: no IPv6 autoconfiguration chatter (so "the scanner
// sent nothing" can be checked frame by frame); each address answers ARP
// only on its own link, as separate boxes would, and accepts off-subnet
// askers as cameras do. forward makes it a router.
func (b *base) addNamespace(ns string, forward bool) error {
	if err := ip("netns", "add", ns); err != nil {
		return err
	}
	b.mu.Lock()
	b.namespaces = append(b.namespaces, ns)
	b.mu.Unlock()
	if err := own(ns); err != nil {
		return err
	}
	fwd := "0"
	if forward {
		fwd = "1"
	}
	return do(ns, func() error {
		for _, kv := range [][2]string{
			{"net/ipv6/conf/all/disable_ipv6", "1"}, {"net/ipv6/conf/default/disable_ipv6", "1"},
			{"net/ipv4/conf/all/arp_ignore", "1"}, {"net/ipv4/conf/all/arp_announce", "2"},
			{"net/ipv4/conf/all/rp_filter", "0"}, {"net/ipv4/conf/default/rp_filter", "0"},
			{"net/ipv4/ip_forward", fwd},
		} {
			if err := writeSysctl(kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
}

// veth links namespace aNS's interface a (with MAC aMAC when not nil) to
// namespace bNS's interface b.
func veth(a, aNS string, aMAC net.HardwareAddr, b, bNS string) error {
	args := []string{"link", "add", a, "netns", aNS}
	if aMAC != nil {
		args = append(args, "address", aMAC.String())
	}
	return ip(append(args, "type", "veth", "peer", "name", b, "netns", bNS)...)
}

// Close stops the processes the lab started (Start) and deletes its
// namespaces, and with them every link in them. Safe to call more than
// once.
func (b *base) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		procs, namespaces := b.procs, b.namespaces
		b.procs = nil
		b.mu.Unlock()
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
		var errs []error
		for _, ns := range namespaces {
			disown(ns)
			if _, err := os.Stat(netnsDir + "/" + ns); errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err := ip("netns", "del", ns); err != nil {
				errs = append(errs, err)
			}
		}
		unregister(b)
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}

// In runs fn on a thread inside namespace ns, one of the lab's; sockets it
// opens stay there.
func (b *base) In(ns string, fn func() error) error { return do(ns, fn) }

// Command prepares name args to run inside namespace ns through `ip netns
// exec`: the camsweep binary, tcpdump, avahi-daemon. The caller starts and
// reaps it before the lab closes, or hands it to Start.
func (b *base) Command(ctx context.Context, ns, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

// Start starts a daemon made with Command and kills it when the lab
// closes (deleting a namespace does not end the processes in it).
func (b *base) Start(cmd *exec.Cmd) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("netlab: start %s: %w", strings.Join(cmd.Args, " "), err)
	}
	b.procs = append(b.procs, cmd)
	return nil
}

// Run runs name args inside ns to completion and returns its output.
func (b *base) Run(ns, name string, args ...string) ([]byte, error) {
	out, err := b.Command(context.Background(), ns, name, args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("netlab: %s %s in %s: %w: %s", name, strings.Join(args, " "), ns, err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// Listener opens TCP listeners inside ns, for a fake's Listen option.
func (b *base) Listener(ns string) func(ctx context.Context, network, address string) (net.Listener, error) {
	return func(ctx context.Context, _, address string) (ln net.Listener, err error) {
		err = do(ns, func() error {
			var lc net.ListenConfig
			ln, err = lc.Listen(ctx, "tcp4", address)
			return err
		})
		return ln, err
	}
}

// PacketListener opens UDP sockets inside ns, for a fake's ListenPacket
// option.
func (b *base) PacketListener(ns string) func(ctx context.Context, network, address string) (net.PacketConn, error) {
	return func(ctx context.Context, _, address string) (pc net.PacketConn, err error) {
		err = do(ns, func() error {
			var lc net.ListenConfig
			pc, err = lc.ListenPacket(ctx, "udp4", address)
			return err
		})
		return pc, err
	}
}

// Dialer opens TCP connections from inside ns, bound to local when valid.
func (b *base) Dialer(ns string, local netip.Addr) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, _, address string) (c net.Conn, err error) {
		err = do(ns, func() error {
			d := net.Dialer{}
			if local.IsValid() {
				d.LocalAddr = &net.TCPAddr{IP: local.AsSlice()}
			}
			c, err = d.DialContext(ctx, "tcp4", address)
			return err
		})
		return c, err
	}
}

// ip runs one ip command in the calling namespace.
func ip(args ...string) error {
	cmd := exec.Command("ip", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("netlab: ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ipBatch runs many ip commands in one process inside ns: hundreds of
// hosts come up in a second or two instead of a fork each.
func ipBatch(ns, script string) error {
	cmd := exec.Command("ip", "-netns", ns, "-batch", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("netlab: ip -netns %s -batch: %w: %s", ns, err, strings.TrimSpace(string(out)))
	}
	return nil
}
