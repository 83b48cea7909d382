package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/scantest"
)

// BenchmarkLoopbackSlash16 sweeps a whole loopback /16 that holds about 300
// personas, with the real binary in a child process so its peak RSS is its
// own. Every address of 127.79.0.0/16 answers (loopback refuses with RST),
// so this is the worst case for a /16: every address is live and gets the
// whole port set. It reports wall time, connections, peak RSS and how many
// of the camera personas were found and attributed to the right maker.
//
//	go test -run '^$' -bench LoopbackSlash16 -benchtime 1x ./cmd/camsweep/
func BenchmarkLoopbackSlash16(b *testing.B) {
	personas, err := scantest.Personas()
	if err != nil {
		b.Fatal(err)
	}
	// About 300 hosts: the personas repeated, spread over the /16.
	var hosts []scantest.HostSpec
	for i := 0; len(hosts) < 300; i++ {
		p := personas[i%len(personas)]
		addr := netip.AddrFrom4([4]byte{127, 79, byte(i * 7 % 250), byte(10 + i%200)})
		hosts = append(hosts, scantest.HostSpec{Persona: p, Addr: addr})
	}
	n := scantest.StartTB(b, hosts, scantest.Options{Base: netip.MustParsePrefix("127.79.0.0/16"), Logger: zerolog.Nop()})
	bin := filepath.Join(b.TempDir(), "camsweep")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	rate := "20000"
	if r := os.Getenv("CAMSWEEP_BENCH_RATE"); r != "" {
		rate = r
	}
	for b.Loop() {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, "scan", "--site", "BENCH", "--ports", strings.Join(n.PortSpec(), ","),
			"--rate", rate, "--connect-timeout", "500ms", "--probe-timeout", "2s", "--host-timeout", "10s",
			"--log-level", "warn", "-o", "json", "127.79.0.0/16")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("scan: %v\n%s", err, stderr.String())
		}
		wall := time.Since(start)
		var rep inventory.Report
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			b.Fatal(err)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		found, right, cameras := scoreCameras(n, rep)
		b.ReportMetric(wall.Seconds(), "wall_s")
		b.ReportMetric(float64(rep.Stats.Connections), "connections")
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak_rss_MB")
		b.ReportMetric(float64(found)/float64(cameras), "camera_recall")
		b.ReportMetric(float64(right)/float64(cameras), "manufacturer_accuracy")
		floor := float64(rep.Stats.PacketsSent) / mustFloat(rate)
		b.ReportMetric(wall.Seconds()/floor, "wall/rate_floor")
		fmt.Fprintf(os.Stderr, "loopback /16: %d addresses, %d hosts, %d cameras; wall %.1fs; %d connections; peak RSS %.1f MB; recall %d/%d; manufacturer right %d/%d\n",
			rep.Stats.Addresses, len(n.Hosts), cameras, wall.Seconds(), rep.Stats.Connections, float64(ru.Maxrss)/1024, found, cameras, right, cameras)
	}
}

func mustFloat(s string) float64 {
	var f float64
	fmt.Sscanf(s, "%g", &f)
	return f
}

// scoreCameras compares the report with the personas' truth: how many
// camera and recorder personas were reported camera-like, and how many of
// those with the right manufacturer.
func scoreCameras(n *scantest.Network, rep inventory.Report) (found, right, cameras int) {
	byAddr := devicesByIP(rep)
	for _, h := range n.Hosts {
		c := h.Persona.Truth.Class
		if c != evidence.Camera && c != evidence.Recorder {
			continue
		}
		cameras++
		d, ok := byAddr[h.Addr]
		if !ok || !d.IsCameraLike() {
			continue
		}
		found++
		if strings.EqualFold(d.Manufacturer, h.Persona.Truth.Manufacturer) {
			right++
		}
	}
	return found, right, cameras
}
