//go:build linux

package netlab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Tcpdump is Debian's tcpdump recording one interface of a lab namespace:
// an independent witness of what crossed the wire.
type Tcpdump struct {
	cmd     *exec.Cmd
	file    string
	summary chan string // tcpdump's closing lines ("N packets captured ...")
}

// Packet is an IPv4 packet a capture saw, by its addresses.
type Packet struct {
	Proto    string // "udp", "tcp", "icmp", or the IP protocol number
	Src, Dst netip.AddrPort
}

// StartTcpdump records iface in namespace ns (a Routed lab's) with a BPF
// filter, until Stop. Without tcpdump the test is skipped.
func (r *Routed) StartTcpdump(t testing.TB, ns, iface, filter string) *Tcpdump {
	t.Helper()
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("netlab: needs tcpdump (apt-get install tcpdump); .ci/run installs it")
	}
	file := filepath.Join(t.TempDir(), "capture.pcap")
	// --immediate-mode: hand each packet over as it arrives (libpcap's
	// ring otherwise holds a block up to a second, and a capture stopped
	// within it loses the packets); -U: write each one as it comes; -n: no
	// DNS.
	args := []string{"-n", "-U", "--immediate-mode", "-i", iface, "-w", file}
	if filter != "" {
		args = append(args, strings.Fields(filter)...)
	}
	cmd := r.Command(context.Background(), ns, "tcpdump", args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(cmd); err != nil {
		t.Fatal(err)
	}
	ready := make(chan error, 1)
	summary := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening on") {
				ready <- nil
				var rest strings.Builder
				for sc.Scan() {
					if rest.Len() < 4096 {
						rest.WriteString(sc.Text() + "; ")
					}
				}
				summary <- rest.String()
				return
			}
		}
		ready <- errors.New("tcpdump exited before listening")
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("netlab: tcpdump did not start in 10 s")
	}
	return &Tcpdump{cmd: cmd, file: file, summary: summary}
}

// Stop ends the capture (SIGINT, so tcpdump flushes) and returns the IPv4
// packets it recorded.
func (d *Tcpdump) Stop() ([]Packet, error) {
	_ = d.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
	}
	var closing string
	select {
	case closing = <-d.summary:
	case <-time.After(time.Second):
	}
	f, err := os.Open(d.file)
	if err != nil {
		return nil, fmt.Errorf("netlab: tcpdump: %w", err)
	}
	defer f.Close()
	rd, err := pcapgo.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("netlab: tcpdump: %w (tcpdump said: %s)", err, closing)
	}
	var out []Packet
	for {
		data, _, err := rd.ReadPacketData()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, fmt.Errorf("netlab: tcpdump: reading the capture after %d packets (tcpdump said: %s): %w", len(out), closing, err)
		}
		p := gopacket.NewPacket(data, rd.LinkType(), gopacket.Default)
		ip4, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if !ok {
			continue
		}
		src, _ := netip.AddrFromSlice(ip4.SrcIP.To4())
		dst, _ := netip.AddrFromSlice(ip4.DstIP.To4())
		pk := Packet{Proto: ip4.Protocol.String(), Src: netip.AddrPortFrom(src, 0), Dst: netip.AddrPortFrom(dst, 0)}
		switch l := p.TransportLayer().(type) {
		case *layers.UDP:
			pk.Proto, pk.Src, pk.Dst = "udp", netip.AddrPortFrom(src, uint16(l.SrcPort)), netip.AddrPortFrom(dst, uint16(l.DstPort))
		case *layers.TCP:
			pk.Proto, pk.Src, pk.Dst = "tcp", netip.AddrPortFrom(src, uint16(l.SrcPort)), netip.AddrPortFrom(dst, uint16(l.DstPort))
		}
		out = append(out, pk)
	}
}
