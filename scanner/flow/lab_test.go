//go:build linux

package flow_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/flow"
	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/scantest/netlab"
)

// The lab's addresses. The local recorder sits in a server segment, so
// its pulls cross the router where softflowd and the mirror port see them.
var (
	labCams    = netip.MustParsePrefix("10.77.8.0/24")
	labServers = netip.MustParsePrefix("10.77.30.0/24")
	labCloud   = netip.MustParsePrefix("198.51.100.0/24") // TEST-NET-2, inside the lab only
	approvedVM = netip.MustParseAddr("10.77.30.10")
	localRec   = netip.MustParseAddr("10.77.30.40")
	labDNS     = netip.MustParseAddr("10.77.30.53")
	cloudHost  = netip.MustParseAddr("198.51.100.10")
	talker     = netip.MustParseAddr("10.77.8.22") // reaches the cloud address
	asker      = netip.MustParseAddr("10.77.8.23") // looks up a Reolink P2P name
	quiet      = netip.MustParseAddr("10.77.8.21") // pulled by the VMS, resolves an internal name
)

func seven() []netip.Addr {
	var out []netip.Addr
	for i := range 7 {
		out = append(out, netip.AddrFrom4([4]byte{10, 77, 8, byte(11 + i)}))
	}
	return out
}

const pullBytes = 6 << 20 // over inventory.DefaultMinVideoBytes, as seconds of a real stream are

// TestLabRecordersSeenByMirrorAndNetFlow runs the NOH case on a real
// routed network: one local recorder pulls seven cameras over RTSP, the
// approved VMS pulls two others, one camera talks to a "cloud" address and
// one looks up a Reolink P2P name. Debian's softflowd on the router
// exports NetFlow v9 and IPFIX (and IPFIX sampled 1 in 4) to the sensor's
// collectors; the router's tc mirror feeds the sensor's mirror port. Each
// source on its own must give the same recording findings.
func TestLabRecordersSeenByMirrorAndNetFlow(t *testing.T) {
	for _, tool := range []string{"softflowd", "softflowctl"} {
		if _, err := exec.LookPath(tool); err != nil && netlab.Skip() == "" {
			t.Fatalf("%s not installed (apt-get install softflowd; .ci/run does)", tool)
		}
	}
	// Registered first, so it runs after the lab's own teardown.
	t.Cleanup(func() {
		if left, err := netlab.Leftovers(); err != nil || len(left) > 0 {
			t.Errorf("the lab left %v behind (%v)", left, err)
		}
	})
	cams := append(seven(), netip.MustParseAddr("10.77.8.20"), quiet, talker, asker)
	// The sensor sits in the lab's scanner namespace, beside the router:
	// collectors on its address there, the mirror on its span link.
	lab := netlab.NewRouted(t, netlab.RoutedConfig{
		ScannerPrefix: netip.MustParsePrefix("10.77.99.0/30"), Mirror: true,
		Legs: []netlab.Leg{
			{Name: "cams", Prefix: labCams, Hosts: hostsAt(cams...)},
			{Name: "servers", Prefix: labServers, Hosts: hostsAt(approvedVM, localRec, labDNS)},
			{Name: "cloud", Prefix: labCloud, Hosts: hostsAt(cloudHost)},
		},
	})
	camNS, srvNS, cloudNS := lab.Leg("cams").NS, lab.Leg("servers").NS, lab.Leg("cloud").NS
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// The cameras: Dahua personas that stream to the recorders' account.
	dahua, err := scantest.PersonaByName("dahua-ipc-hdw2431t-as-s2")
	if err != nil {
		t.Fatal(err)
	}
	var specs []scantest.HostSpec
	for i, a := range cams {
		specs = append(specs, scantest.HostSpec{Persona: dahua, Addr: a, Serial: fmt.Sprintf("LABCAM%04d", i)})
	}
	account := &scantest.StreamAccount{User: "recorder", Password: "lab-stream-pass"}
	scantest.StartTB(t, specs, scantest.Options{
		Base: labCams, Ports: map[string]uint16{"http": 80, "rtsp": 554, "dahua-sdk": 37777, "wsd": 3702, "dhip": 37810},
		Listen: lab.Listener(camNS), ListenPacket: lab.PacketListener(camNS), Stream: account, Logger: zerolog.Nop(),
	})

	// The sensor: one table per source, so each is judged on its own.
	watch := []netip.Prefix{labCams, labServers}
	tables := map[string]*flow.Table{}
	for _, s := range []string{"mirror", "v9", "ipfix", "ipfix-sampled"} {
		tables[s] = flow.NewTable(flow.TableOptions{Watch: watch})
	}
	lookups := flow.NewDNSTable(nil, watch, 0)
	ports := map[string]int{"v9": 2055, "ipfix": 4739, "ipfix-sampled": 4740}
	var serving sync.WaitGroup
	collectors := map[string]*flow.Collector{}
	for src, port := range ports {
		pc, err := lab.PacketListener(lab.ScannerNS)(ctx, "udp", fmt.Sprintf("%s:%d", lab.Scanner, port))
		if err != nil {
			t.Fatal(err)
		}
		c := flow.NewCollector(tables[src], flow.CollectorOptions{Exporters: []netip.Prefix{netip.PrefixFrom(lab.RouterAddr, 32)}, Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel)})
		collectors[src] = c
		serving.Go(func() {
			if err := c.Serve(ctx, pc); err != nil {
				t.Errorf("collector %s: %v", src, err)
			}
		})
	}
	if err := lab.MirrorAll(); err != nil {
		t.Fatal(err)
	}
	span, err := lab.OpenMirror()
	if err != nil {
		t.Fatal(err)
	}
	mirror := flow.NewMirror(tables["mirror"], lookups)
	serving.Go(func() {
		if err := mirror.Run(ctx, span); err != nil {
			t.Errorf("mirror: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); _ = span.Close(); serving.Wait() })

	// softflowd on the router's camera-side interface, three ways.
	dir := t.TempDir()
	exporters := map[string][]string{"v9": {"-v", "9"}, "ipfix": {"-v", "10"}, "ipfix-sampled": {"-v", "10", "-s", "4"}}
	ctl := map[string]string{}
	for src, args := range exporters {
		ctl[src] = filepath.Join(dir, src+".ctl")
		args = append(args, "-d", "-i", lab.Leg("cams").RouterIf, "-n", fmt.Sprintf("%s:%d", lab.Scanner, ports[src]),
			"-c", ctl[src], "-p", filepath.Join(dir, src+".pid"), "-m", "4096",
			// Export within seconds of the last packet, not minutes: the
			// pcap buffer may still hold the last datagrams when the
			// test asks softflowctl to expire everything.
			"-t", "expint=1", "-t", "maxlife=2", "-t", "udp=2", "-t", "general=2")
		cmd := lab.Command(context.Background(), lab.RouterNS, "softflowd", args...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := lab.Start(cmd); err != nil {
			t.Fatal(err)
		}
	}
	for src := range exporters {
		waitFor(t, "softflowd "+src+" control socket", func() bool {
			_, err := lab.Run(lab.RouterNS, "softflowctl", "-c", ctl[src], "statistics")
			return err == nil
		})
	}

	// The lab's DNS server and the "cloud" that answers the talker.
	startDNS(t, ctx, lab.PacketListener(srvNS))
	echo, err := lab.PacketListener(cloudNS)(ctx, "udp", netip.AddrPortFrom(cloudHost, 9999).String())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := echo.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = echo.WriteTo(buf[:n], from)
		}
	}()
	t.Cleanup(func() { _ = echo.Close() })

	// The traffic: the recorders pull, the talker talks, the askers ask.
	pull := func(rec, cam netip.Addr, udp bool) {
		t.Helper()
		res, err := scantest.PullRTSP(ctx, scantest.PullOptions{
			URL: fmt.Sprintf("rtsp://%s:554/cam/realmonitor?channel=1&subtype=0", cam), User: account.User, Password: account.Password,
			UDP: udp, Bytes: pullBytes, Local: rec, Dial: lab.Dialer(srvNS, rec), ListenPacket: lab.PacketListener(srvNS),
		})
		if err != nil {
			t.Fatalf("%s pulling %s: %v", rec, cam, err)
		}
		t.Logf("%s pulled %d bytes from %s (udp %v)", rec, res.Received, cam, udp)
	}
	talk(t, lab.PacketListener(camNS), talker)
	lookup(t, lab.PacketListener(camNS), asker, "p2p.reolink.com.")
	lookup(t, lab.PacketListener(camNS), quiet, "ntp.regionh.example.")
	for i, cam := range seven() {
		pull(localRec, cam, i%2 == 1)
	}
	pull(approvedVM, netip.MustParseAddr("10.77.8.20"), false)
	pull(approvedVM, quiet, true)
	// softflowd's libpcap hands packets over a ring block at a time: the
	// last few of a quiet network wait for more traffic. One more pull
	// by the VMS pushes the ones above through, as a busy router's
	// traffic does.
	pull(approvedVM, netip.MustParseAddr("10.77.8.20"), false)

	for src := range exporters {
		if _, err := lab.Run(lab.RouterNS, "softflowctl", "-c", ctl[src], "expire-all"); err != nil {
			t.Fatal(err)
		}
	}
	devices := labDevices(cams)
	pol := &inventory.Policy{Recording: inventory.RecordingPolicy{ApprovedRecorders: []netip.Prefix{netip.PrefixFrom(approvedVM, 32)}}}
	scope := inventory.Scope{Site: "LAB", Prefixes: []netip.Prefix{labCams}}
	judge := func(src string) inventory.Result {
		obs := inventory.Observations{Flows: tables[src].Flows(time.Time{}), FlowSources: []string{src}}
		if src == "mirror" {
			obs.DNS = lookups.Lookups(time.Time{})
		}
		return inventory.ReconcileObserved(devices, nil, pol, scope, obs, time.Now())
	}
	for _, src := range []string{"mirror", "v9", "ipfix", "ipfix-sampled"} {
		t.Run(src, func(t *testing.T) {
			var res inventory.Result
			// The exports and the mirrored frames are in flight: wait
			// for the last of them (the talker's flow), then judge.
			defer func() {
				if t.Failed() {
					if c := collectors[src]; c != nil {
						t.Logf("collector %+v", c.Stats())
					}
					out, _ := lab.Run(lab.RouterNS, "softflowctl", "-c", ctl[src], "statistics")
					t.Logf("softflowd: %s", out)
					for _, f := range tables[src].Flows(time.Time{}) {
						t.Logf("flow %+v", f)
					}
					for _, f := range res.Findings {
						t.Logf("finding %s %s", f.Key, f.Detail)
					}
				}
			}()
			waitFor(t, src+" flows", func() bool {
				res = judge(src)
				return len(kinds(res, inventory.KindRecordedOutsideVMS)) == 7 && len(kinds(res, inventory.KindCameraEgress)) >= 1
			})
			outside := kinds(res, inventory.KindRecordedOutsideVMS)
			for i, f := range outside {
				if want := seven()[i].String(); f.IP != want || !strings.HasSuffix(f.Key, "/recorder="+localRec.String()) {
					t.Errorf("recorded_outside_vms %d: %s %s, want %s pulled by %s", i, f.IP, f.Key, want, localRec)
				}
			}
			rec := kinds(res, inventory.KindUnapprovedRecorder)
			if len(rec) != 1 || rec[0].IP != localRec.String() {
				t.Errorf("unapproved_recorder %+v, want one: %s", rec, localRec)
			}
			wantEgress := []string{talker.String()}
			if src == "mirror" {
				wantEgress = append(wantEgress, asker.String()) // only a mirror port sees DNS names
			}
			var gotEgress []string
			for _, f := range kinds(res, inventory.KindCameraEgress) {
				gotEgress = append(gotEgress, f.IP)
			}
			if strings.Join(gotEgress, " ") != strings.Join(wantEgress, " ") {
				t.Errorf("camera_egress from %v, want %v", gotEgress, wantEgress)
			}
			for _, d := range res.Devices {
				if d.IP == localRec {
					if !d.FlowOnly || len(d.Records) != 7 {
						t.Errorf("the local recorder in the report: %+v", d)
					}
				}
				if d.IP == quiet && (len(d.StreamClients) != 1 || !d.StreamClients[0].Approved) {
					t.Errorf("%s is pulled only by the approved VMS, got %+v", quiet, d.StreamClients)
				}
			}
			if src == "mirror" {
				for _, d := range res.Devices {
					for _, c := range d.StreamClients {
						if c.How == "volume" {
							t.Errorf("mirror knew %s -> %s only by volume; it sees PLAY and RTP", d.IP, c.IP)
						}
					}
				}
			}
		})
	}
	// Sampling: softflowd -s 4 counts one packet in four and says so in
	// its export; scaled back, the estimate is near the unsampled count.
	exact, sampled := pulledBy(tables["ipfix"], localRec), pulledBy(tables["ipfix-sampled"], localRec)
	t.Logf("local recorder pulled %d bytes (IPFIX), %d estimated from 1-in-4 sampling", exact, sampled)
	if exact < 7*pullBytes || sampled < exact*3/4 || sampled > exact*5/4 {
		t.Errorf("sampled estimate %d, unsampled %d: want within 25%%", sampled, exact)
	}
	if st := mirror.Stats(); st.Panics != 0 || st.Heads == 0 {
		t.Errorf("mirror stats %+v", st)
	}
}

// hostsAt are lab hosts at addrs, MACs left to the lab.
func hostsAt(addrs ...netip.Addr) []netlab.Host {
	var out []netlab.Host
	for _, a := range addrs {
		out = append(out, netlab.Host{Addr: a})
	}
	return out
}

func kinds(r inventory.Result, kind string) []inventory.Finding {
	var out []inventory.Finding
	for _, f := range r.Findings {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// labDevices are the cameras as a sweep of the camera segment finds them.
func labDevices(cams []netip.Addr) []inventory.Device {
	var out []inventory.Device
	for i, a := range cams {
		out = append(out, inventory.Device{IP: a, MAC: fmt.Sprintf("e0:50:8b:00:00:%02x", i+1), Class: evidence.Camera, Brand: "Dahua", Manufacturer: "Dahua"})
	}
	return out
}

func pulledBy(t *flow.Table, client netip.Addr) uint64 {
	var n uint64
	for _, f := range t.Flows(time.Time{}) {
		if f.Client == client {
			n += f.ServerBytes
		}
		if f.Server == client { // RTP guessed the other way round
			n += f.ClientBytes
		}
	}
	return n
}

// waitFor polls cond until it holds or 30 s pass: the exporters and the
// mirror deliver asynchronously, and no event says "all delivered".
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not there after 30 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// talk is a camera's P2P registration: a few datagrams to the cloud's
// port 9999 (Reolink's UID service port), answered.
func talk(t *testing.T, listen func(context.Context, string, string) (net.PacketConn, error), from netip.Addr) {
	t.Helper()
	pc, err := listen(context.Background(), "udp", netip.AddrPortFrom(from, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	dst := net.UDPAddrFromAddrPort(netip.AddrPortFrom(cloudHost, 9999))
	buf := make([]byte, 1500)
	for range 5 {
		if _, err := pc.WriteTo(make([]byte, 120), dst); err != nil {
			t.Fatal(err)
		}
		_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := pc.ReadFrom(buf); err != nil {
			t.Fatalf("the cloud did not answer: %v", err)
		}
	}
}

func lookup(t *testing.T, listen func(context.Context, string, string) (net.PacketConn, error), from netip.Addr, name string) {
	t.Helper()
	pc, err := listen(context.Background(), "udp", netip.AddrPortFrom(from, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	_ = pc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := pc.WriteTo(mustPack(t, m), net.UDPAddrFromAddrPort(netip.AddrPortFrom(labDNS, 53))); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatalf("lab DNS did not answer %s: %v", name, err)
	}
	var r dns.Msg
	if err := r.Unpack(buf[:n]); err != nil || r.Id != m.Id {
		t.Fatalf("lab DNS answer: %v", err)
	}
}

func mustPack(t *testing.T, m *dns.Msg) []byte {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startDNS serves the lab's resolver: a vendor P2P name resolves to the
// cloud address, anything else gets NXDOMAIN.
func startDNS(t *testing.T, ctx context.Context, listen func(context.Context, string, string) (net.PacketConn, error)) {
	t.Helper()
	pc, err := listen(ctx, "udp", netip.AddrPortFrom(labDNS, 53).String())
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		if len(r.Question) == 1 && strings.HasSuffix(r.Question[0].Name, "reolink.com.") {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: cloudHost.AsSlice()})
		} else {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
}
