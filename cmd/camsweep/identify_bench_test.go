package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// identifyChildEnv selects, in a re-executed test binary, which identify
// to run on a file: "stream" (the command as it is) or "baseline" (the
// previous implementation, which held every host's evidence and every
// verdict until the end). A child process has its own peak RSS.
const identifyChildEnv = "CAMSWEEP_IDENTIFY_CHILD"

// BenchmarkIdentifyHosts runs identify on N hosts (default 1,000,000; set
// CAMSWEEP_IDENTIFY_BENCH_HOSTS) of three evidence lines each, the streaming
// command and the in-memory baseline side by side in one run, each in a
// child process, and reports wall time and peak RSS of both and their ratio.
//
//	go test -run '^$' -bench IdentifyHosts -benchtime 1x ./cmd/camsweep/
func BenchmarkIdentifyHosts(b *testing.B) {
	hosts := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("CAMSWEEP_IDENTIFY_BENCH_HOSTS")); err == nil && v > 0 {
		hosts = v
	}
	path := filepath.Join(b.TempDir(), "evidence.jsonl")
	writeEvidenceFile(b, path, hosts)
	for b.Loop() {
		base := runIdentifyChild(b, "baseline", path)
		stream := runIdentifyChild(b, "stream", path)
		b.ReportMetric(base.rssMB, "baseline_peak_rss_MB")
		b.ReportMetric(stream.rssMB, "stream_peak_rss_MB")
		b.ReportMetric(base.rssMB/stream.rssMB, "rss_ratio")
		b.ReportMetric(base.wall.Seconds(), "baseline_s")
		b.ReportMetric(stream.wall.Seconds(), "stream_s")
		fmt.Fprintf(os.Stderr, "identify, %d hosts: baseline %.1f s, %.1f MB peak RSS; streaming %.1f s, %.1f MB; memory ratio %.1fx\n",
			hosts, base.wall.Seconds(), base.rssMB, stream.wall.Seconds(), stream.rssMB, base.rssMB/stream.rssMB)
	}
}

type identifyRun struct {
	wall  time.Duration
	rssMB float64
}

func runIdentifyChild(b *testing.B, mode, path string) identifyRun {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), identifyChildEnv+"="+mode+":"+path)
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s child: %v", mode, err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	if n == 0 {
		b.Fatalf("%s child wrote no verdict count: %q", mode, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return identifyRun{wall: time.Since(start), rssMB: float64(ru.Maxrss) / 1024}
}

func writeEvidenceFile(b *testing.B, path string, hosts int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range hosts {
		host := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		fmt.Fprintf(w, `{"host":%q,"probe":"http","field":"http.server","value":"App-webs/"}`+"\n", host)
		fmt.Fprintf(w, `{"host":%q,"probe":"rtsp","field":"rtsp.realm","value":"IP Camera(C%04d)"}`+"\n", host, i%10000)
		fmt.Fprintf(w, `{"host":%q,"probe":"arp","field":"mac","value":"44:19:b6:%02x:%02x:%02x"}`+"\n", host, i>>16&255, i>>8&255, i&255)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// identifyChild runs in the re-executed test binary: identify the file,
// write the verdicts to nowhere, print how many there were.
func identifyChild(spec string) int {
	mode, path, _ := strings.Cut(spec, ":")
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer f.Close()
	counter := &lineCounter{}
	switch mode {
	case "stream":
		if code := run(context.Background(), []string{"identify", "-o", "json"}, f, counter, os.Stderr); code != exitOK {
			return code
		}
	case "baseline":
		if err := identifyBaseline(f, counter); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
	default:
		fmt.Fprintf(os.Stderr, "unknown mode %q\n", mode)
		return 2
	}
	fmt.Println(counter.lines)
	return 0
}

type lineCounter struct{ lines int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines += strings.Count(string(p), "\n")
	return len(p), nil
}

// identifyBaseline is identify as it was before it streamed (commit
// 5de4f16): every host's evidence read into a map, then every verdict into
// a slice, then written. Kept only as the benchmark's baseline.
func identifyBaseline(r io.Reader, w io.Writer) error {
	fp, err := loadFingerprints(nil)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxIdentifyLine)
	var hosts []string
	byHost := map[string][]evidence.Evidence{}
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var el evidenceLine
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&el); err != nil {
			return err
		}
		if _, ok := byHost[el.Host]; !ok {
			hosts = append(hosts, el.Host)
		}
		byHost[el.Host] = append(byHost[el.Host], evidence.Evidence{Probe: el.Probe, Field: el.Field, Value: el.Value})
	}
	if err := sc.Err(); err != nil {
		return err
	}
	verdicts := make([]hostVerdict, 0, len(hosts))
	for _, h := range hosts {
		verdicts = append(verdicts, verdictFor(h, fp.Identify(byHost[h])))
	}
	enc := json.NewEncoder(w)
	for _, v := range verdicts {
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return nil
}
