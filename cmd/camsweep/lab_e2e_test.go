//go:build linux

package main

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/scantest/netlab"
)

// TestLabScanEndToEnd runs the built camsweep binary inside a namespace
// lab's scanner namespace against emulated hosts with their makers' MAC
// addresses, serving the personas on the real ports (80, 443, 554, 8000,
// 37777, 9000, and UDP 3702, 37020, 37810, 1900) from the device
// namespace. The wire is witnessed from the device side.
func TestLabScanEndToEnd(t *testing.T) {
	if why := netlab.Skip(); why != "" {
		t.Skip(why)
	}
	prefix := netip.MustParsePrefix("10.81.0.0/24")
	personas, err := scantest.Personas()
	if err != nil {
		t.Fatal(err)
	}
	// Cameras and recorders of every maker (rebrands included), a printer,
	// PCs, a server, and a device that accepts and never answers.
	var picked []scantest.Persona
	for _, p := range personas {
		if !strings.HasPrefix(p.Name, "hostile-") || p.Name == "hostile-silent" {
			picked = append(picked, p)
		}
	}
	var (
		hosts []netlab.Host
		specs []scantest.HostSpec
		truth = map[netip.Addr]scantest.Persona{}
	)
	addr := prefix.Addr()
	next := func() netip.Addr {
		for range 3 {
			addr = addr.Next()
		}
		return addr
	}
	next()
	for i, p := range picked {
		h := netlab.Host{Addr: next(), MAC: labMAC(p.MAC, i+1), Vendor: p.Truth.Manufacturer}
		hosts = append(hosts, h)
		specs = append(specs, scantest.HostSpec{Persona: p, Addr: h.Addr, MAC: h.MAC.String()})
		truth[h.Addr] = p
	}
	// A host with nothing open: ARP alone shows it is there.
	quiet := netlab.Host{Addr: next(), MAC: netlab.VendorMAC("Dell", 0x0d0001), Vendor: "Dell"}
	// An excluded address (a Hikvision camera that must not be touched).
	hik, _ := scantest.PersonaByName("hikvision-ds-2cd2143g2-i")
	excluded := netlab.Host{Addr: next(), MAC: labMAC(hik.MAC, 0x77), Vendor: "Hikvision"}
	// A host whose MAC block is excluded (a medical-device maker's OUI,
	// played by Samsung's): it serves a web server that must stay unasked.
	server, _ := scantest.PersonaByName("linux-server")
	badOUI := netlab.Host{Addr: next(), MAC: netlab.VendorMAC("Samsung", 0x0d0002), Vendor: "Samsung"}
	// A Dahua left on its factory default, on a subnet the scanner has no
	// route to.
	foreign := netlab.Host{Addr: netip.MustParseAddr("192.168.1.108"), Prefix: netip.MustParsePrefix("192.168.1.0/24"),
		MAC: netlab.VendorMAC("Dahua", 0xf00108), Vendor: "Dahua"}
	hosts = append(hosts, quiet, excluded, badOUI, foreign)
	specs = append(specs,
		scantest.HostSpec{Persona: hik, Addr: excluded.Addr, MAC: excluded.MAC.String()},
		scantest.HostSpec{Persona: server, Addr: badOUI.Addr, MAC: badOUI.MAC.String()})

	lab := netlab.New(t, netlab.Config{Prefix: prefix, Hosts: hosts})
	serveIn(t, lab, lab.DeviceNS, prefix, specs)
	bin := buildBinary(t)
	t.Logf("%d hosts (%d personas), scanner on %s", len(hosts), len(specs), lab.ScannerIf)

	t.Run("scan", func(t *testing.T) {
		pcapFile := filepath.Join(t.TempDir(), "sweep.pcap")
		capture, err := lab.CaptureScanner()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		run := runIn(ctx, lab, lab.ScannerNS, nil, bin, "scan", "--site", "LAB", "--interface", lab.ScannerIf,
			"-o", "json", "--pcap", pcapFile, "--exclude", excluded.Addr.String(), "--exclude-oui", "00:09:18",
			"--rate", "500", "--connect-timeout", "500ms", "--probe-timeout", "2s", "--host-timeout", "20s",
			"--log-level", "warn", "--no-progress", prefix.String())
		sent := capture.Stop()
		rep := scanReport(t, run, "scan")
		devices := devicesByIP(rep)
		t.Logf("scan: wall %v, %d devices, %d cameras, %d packets sent (%d connections), peak RSS %.1f MB; %d frames on the wire",
			run.wall.Round(time.Millisecond), len(rep.Devices), rep.Stats.Cameras, rep.Stats.PacketsSent, rep.Stats.Connections, run.maxRSSMB, len(sent))

		// Every host but the excluded two, found by ARP with its MAC.
		for _, h := range lab.Hosts {
			d, ok := devices[h.Addr]
			if h.Addr == excluded.Addr || h.Addr == badOUI.Addr {
				if ok {
					t.Errorf("excluded host %s (%s) reported: %+v", h.Addr, h.MAC, d)
				}
				continue
			}
			if !ok {
				t.Errorf("host %s (%s, %s) not reported", h.Addr, h.Vendor, h.MAC)
				continue
			}
			if d.MAC != h.MAC.String() {
				t.Errorf("host %s: mac %q, want %s", h.Addr, d.MAC, h.MAC)
			}
			if !slices.ContainsFunc(d.Evidence, func(e evidence.Evidence) bool { return e.Probe == "arp" }) {
				t.Errorf("host %s: no arp evidence: %v", h.Addr, d.Evidence)
			}
		}
		// Cameras identified end to end; the rest not called cameras.
		for a, p := range truth {
			d := devices[a]
			isCam := p.Truth.Class == evidence.Camera || p.Truth.Class == evidence.Recorder
			switch {
			case isCam && !d.IsCameraLike():
				t.Errorf("%s (%s): class %q, want %s; why %v", a, p.Name, d.Class, p.Truth.Class, d.Why)
			case !isCam && d.IsCameraLike():
				t.Errorf("%s (%s): called a %s (%s)", a, p.Name, d.Class, d.Manufacturer)
			case isCam && !strings.EqualFold(d.Manufacturer, p.Truth.Manufacturer):
				t.Errorf("%s (%s): manufacturer %q, want %q; why %v", a, p.Name, d.Manufacturer, p.Truth.Manufacturer, d.Why)
			case isCam && !strings.EqualFold(d.Brand, p.Truth.Brand):
				t.Errorf("%s (%s): brand %q, want %q", a, p.Name, d.Brand, p.Truth.Brand)
			}
		}
		// The quiet host: live, with its MAC, no open port.
		if d, ok := devices[quiet.Addr]; ok && len(d.OpenPorts) != 0 {
			t.Errorf("quiet host %s: open ports %v", quiet.Addr, d.OpenPorts)
		}
		// The factory-default Dahua on a foreign subnet.
		if d, ok := devices[foreign.Addr]; ok {
			if !slices.Contains(d.Evidence, evidence.Evidence{Probe: "arp", Field: "arp.foreign_subnet", Value: "true"}) {
				t.Errorf("foreign-subnet camera %s: evidence %v", foreign.Addr, d.Evidence)
			}
			if !strings.EqualFold(d.Manufacturer, "Dahua") {
				t.Errorf("foreign-subnet camera %s: manufacturer %q, want Dahua (from its OUI)", foreign.Addr, d.Manufacturer)
			}
		}

		// The wire: nothing ever to the excluded address; the host with an
		// excluded OUI got the one ARP request that revealed its MAC and
		// nothing after it (README "Safety", ARPOptions.Exclude).
		w := classify(sent)
		if n := w.arpAsked[excluded.Addr] + w.ipTo[excluded.Addr]; n != 0 {
			t.Errorf("excluded address %s: %d frames (ARP %d, IPv4 %d)", excluded.Addr, n, w.arpAsked[excluded.Addr], w.ipTo[excluded.Addr])
		}
		if w.arpAsked[badOUI.Addr] != 1 || w.ipTo[badOUI.Addr] != 0 {
			t.Errorf("excluded-OUI host %s: %d ARP requests (want 1), %d IPv4 frames (want 0)", badOUI.Addr, w.arpAsked[badOUI.Addr], w.ipTo[badOUI.Addr])
		}
		// Non-camera hosts: at most the budget of connections made, the
		// port scan included; refused port checks are bounded by the
		// port set and counted apart.
		maxConn, maxSYN := 0, 0
		for a, p := range truth {
			isCam := p.Truth.Class == evidence.Camera || p.Truth.Class == evidence.Recorder
			if isCam {
				continue
			}
			maxConn, maxSYN = max(maxConn, w.connTo[a]), max(maxSYN, w.synTo[a])
			if w.connTo[a] > scanner.DefaultNonCameraBudget {
				t.Errorf("non-camera %s (%s): %d connections (%d attempts), cap %d", a, p.Name, w.connTo[a], w.synTo[a], scanner.DefaultNonCameraBudget)
			}
			if d := devices[a]; d.Connections != w.connTo[a] {
				t.Errorf("non-camera %s (%s): report says %d connections, the wire %d", a, p.Name, d.Connections, w.connTo[a])
			}
		}
		if w.connTo[quiet.Addr] != 0 || w.synTo[quiet.Addr] > len(scanner.DefaultPorts) {
			t.Errorf("quiet host: %d connections, %d attempts (port set %d)", w.connTo[quiet.Addr], w.synTo[quiet.Addr], len(scanner.DefaultPorts))
		}
		t.Logf("non-camera hosts: at most %d connections and %d connection attempts each", maxConn, maxSYN)

		// The --pcap audit file: a valid pcap holding the ARP requests
		// camsweep sent, and the replies, in the order they happened.
		checkPcap(t, pcapFile, lab, []netip.Addr{excluded.Addr}, w)
	})

	t.Run("passive", func(t *testing.T) {
		capture, err := lab.CaptureScanner()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		announcers := []netlab.Host{lab.Hosts[0], lab.Hosts[3], lab.Hosts[len(picked)]} // the last: the quiet host
		done := make(chan *childRun, 1)
		go func() {
			done <- runIn(ctx, lab, lab.ScannerNS, nil, bin, "scan", "--site", "LAB", "--profile", "passive", "--listen", "3s",
				"--interface", lab.ScannerIf, "-o", "json", "--log-level", "warn", "--no-progress", prefix.String())
		}()
		// Hosts repeat their announcements, as devices do, while the
		// scanner listens.
		var run *childRun
	announce:
		for {
			for _, h := range announcers {
				if err := lab.SendFrom(h, netlab.GratuitousARP(h.MAC, h.Addr)); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case run = <-done:
				break announce
			case <-time.After(250 * time.Millisecond):
			}
		}
		sent := capture.Stop()
		rep := scanReport(t, run, "passive scan")
		devices := devicesByIP(rep)
		for _, h := range announcers {
			if d, ok := devices[h.Addr]; !ok || d.MAC != h.MAC.String() {
				t.Errorf("announcing host %s (%s): reported %v with mac %q", h.Addr, h.MAC, ok, d.MAC)
			}
		}
		if len(sent) != 0 {
			t.Errorf("passive profile put %d frames on the wire", len(sent))
		}
		if rep.Stats.PacketsSent != 0 {
			t.Errorf("passive profile says it sent %d packets", rep.Stats.PacketsSent)
		}
		t.Logf("passive: %d devices in %v; frames from the scanner on the wire: %d", len(rep.Devices), run.wall.Round(time.Millisecond), len(sent))
	})
}

// checkPcap reads the --pcap file: every record an Ethernet frame, the
// ARP requests camsweep sent for every in-scope lab host and the
// factory-default address, none for never, and the hosts' replies.
func checkPcap(t *testing.T, path string, lab *netlab.Lab, never []netip.Addr, wire wireFrames) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatalf("--pcap %s: %v", path, err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		t.Errorf("--pcap link type %v, want Ethernet", r.LinkType())
	}
	asked := map[netip.Addr]int{}
	repliedBy := map[netip.Addr]string{}
	records, requests := 0, 0
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		records++
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		if el := p.ErrorLayer(); el != nil {
			t.Errorf("--pcap record %d does not decode: %v", records, el.Error())
			continue
		}
		a, ok := p.Layer(layers.LayerTypeARP).(*layers.ARP)
		if !ok {
			continue
		}
		switch {
		case a.Operation == layers.ARPRequest && net.HardwareAddr(a.SourceHwAddress).String() == lab.ScannerMAC.String():
			requests++
			asked[netip.AddrFrom4([4]byte(a.DstProtAddress))]++
		case a.Operation == layers.ARPReply:
			repliedBy[netip.AddrFrom4([4]byte(a.SourceProtAddress))] = net.HardwareAddr(a.SourceHwAddress).String()
		}
	}
	for _, h := range lab.Hosts {
		if slices.Contains(never, h.Addr) {
			continue
		}
		if asked[h.Addr] == 0 {
			t.Errorf("--pcap: no ARP request for %s", h.Addr)
		}
		if repliedBy[h.Addr] != h.MAC.String() {
			t.Errorf("--pcap: reply for %s from %q, want %s", h.Addr, repliedBy[h.Addr], h.MAC)
		}
	}
	for _, a := range never {
		if asked[a] != 0 {
			t.Errorf("--pcap: %d ARP requests for excluded %s", asked[a], a)
		}
	}
	// The file holds camsweep's own requests; the wire also carries the
	// kernel's (resolving hosts for TCP), so the wire has at least as many.
	wireReq := 0
	for _, n := range wire.arpAsked {
		wireReq += n
	}
	if requests == 0 || requests > wireReq {
		t.Errorf("--pcap: %d ARP requests from the scanner; the wire saw %d", requests, wireReq)
	}
	t.Logf("--pcap: %d records, %d ARP requests (wire: %d, kernel's included), %d hosts replied", records, requests, wireReq, len(repliedBy))
}
