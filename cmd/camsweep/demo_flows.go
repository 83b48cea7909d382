package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/vms"
	"github.com/camsweep/camsweep/scanner/evidence"
	flowsrc "github.com/camsweep/camsweep/scanner/flow"
	"github.com/camsweep/camsweep/scanner/scantest"
)

// demoPullBytes is what each demo recorder pulls from a camera: more than
// inventory.DefaultMinVideoBytes, as seconds of a real stream are.
const demoPullBytes = 5 << 20

// demoObservations earns the demo's flow and VMS evidence on loopback,
// without root: the NOH recorders really pull RTSP from the emulated
// cameras (DESCRIBE, SETUP, PLAY, RTP), a stand-in router exports IPFIX
// records of those connections, sized by what the recorders received, to
// camsweep's collector over loopback UDP, and camsweep's Milestone client
// reads the emulated central VMS over loopback HTTP. The findings come
// from decoding those, as a sensor's do.
func demoObservations(ctx context.Context, n *scantest.Network, log zerolog.Logger) (inventory.Observations, error) {
	var obs inventory.Observations
	table := flowsrc.NewTable(flowsrc.TableOptions{Watch: []netip.Prefix{n.Prefix()}})
	collector := flowsrc.NewCollector(table, flowsrc.CollectorOptions{Exporters: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return obs, fmt.Errorf("demo: collector: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- collector.Serve(ctx, pc) }()
	defer func() { cancel(); <-done }()

	var recs []scantest.FlowRecord
	for _, p := range scantest.NOHPulls(n.Prefix()) {
		h := n.Host(p.Camera)
		if h == nil {
			return obs, fmt.Errorf("demo: no emulated camera at %s", p.Camera)
		}
		ap, ok := h.AddrPort("rtsp")
		if !ok {
			return obs, fmt.Errorf("demo: %s serves no RTSP", p.Camera)
		}
		res, err := scantest.PullRTSP(ctx, scantest.PullOptions{
			URL:  "rtsp://" + ap.String() + "/cam/realmonitor?channel=1&subtype=0",
			User: scantest.NOHStreamAccount.User, Password: scantest.NOHStreamAccount.Password,
			Bytes: demoPullBytes, Local: p.Recorder, Timeout: 20 * time.Second,
		})
		if err != nil {
			return obs, fmt.Errorf("demo: %s pulling %s: %w", p.Recorder, p.Camera, err)
		}
		log.Debug().Stringer("recorder", p.Recorder).Stringer("camera", p.Camera).Int64("bytes", res.Received).Msg("recorder pulled video")
		// The router's view: the RTSP connection each way, with RTP
		// interleaved in it (40 bytes of IP and TCP header a packet).
		recs = append(recs,
			scantest.FlowRecord{Src: res.ControlRemote, Dst: res.ControlLocal, Proto: 6, Bytes: uint64(res.Received) + 40*uint64(res.Packets), Packets: uint64(res.Packets), Start: res.Started, End: res.Ended},
			scantest.FlowRecord{Src: res.ControlLocal, Dst: res.ControlRemote, Proto: 6, Bytes: 40 * uint64(res.Packets/2), Packets: uint64(res.Packets / 2), Start: res.Started, End: res.Ended})
	}
	out, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		return obs, fmt.Errorf("demo: exporter: %w", err)
	}
	defer out.Close()
	if _, err := out.Write(scantest.EncodeIPFIX(recs, scantest.ExportOptions{Now: time.Now(), Domain: 1})); err != nil {
		return obs, fmt.Errorf("demo: exporter: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for collector.Stats().Records[evidence.SourceIPFIX] < uint64(len(recs)) {
		if time.Now().After(deadline) {
			return obs, errors.New("demo: the collector did not decode the exported flows within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	obs.Flows, obs.FlowSources, obs.FlowWindow = table.Flows(time.Time{}), []string{"netflow"}, time.Hour

	inv, err := demoVMS(ctx, n, log)
	if err != nil {
		return obs, err
	}
	obs.VMS = inv
	return obs, nil
}

// demoVMS serves the emulated Milestone on loopback and reads it with the
// real client.
func demoVMS(ctx context.Context, n *scantest.Network, log zerolog.Logger) (*inventory.VMSInventory, error) {
	fake := scantest.NOHMilestone(n.Prefix())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: VMS: %w", err)
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	m, err := vms.NewMilestone(vms.Config{URL: "http://" + ln.Addr().String(), MACs: true, Timeout: 10 * time.Second},
		vms.ClientCredentials(fake.ClientID, fake.ClientSecret), log)
	if err != nil {
		return nil, err
	}
	return m.Fetch(ctx)
}
