package inventory

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// registryChildEnv selects, in a re-executed test binary, which loader to
// run on a file ("legacy" or "stream"): a child process has its own peak
// RSS, which is what the daemon's 1 GB memory cap is about.
const registryChildEnv = "CAMSWEEP_REGISTRY_CHILD"

// BenchmarkRegistryLoad loads generated CSV registries of 100,000 and
// 1,000,000 rows (CAMSWEEP_REGISTRY_BENCH_ROWS=100000,1000000,4000000 adds
// 4M) with the streaming loader and with the loader it replaced, side by
// side in one run, each in a child process, and reports wall time and peak
// RSS of both and their ratios.
//
//	CAMSWEEP_REGISTRY_BENCH_ROWS=100000,1000000,4000000 go test -run '^$' -bench RegistryLoad -benchtime 1x -timeout 60m ./inventory/
func BenchmarkRegistryLoad(b *testing.B) {
	sizes := []int{100_000, 1_000_000}
	if v := os.Getenv("CAMSWEEP_REGISTRY_BENCH_ROWS"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				b.Fatalf("CAMSWEEP_REGISTRY_BENCH_ROWS: %q is not a row count", f)
			}
			sizes = append(sizes, n)
		}
	}
	dir := b.TempDir()
	for _, n := range sizes {
		path := filepath.Join(dir, fmt.Sprintf("registry-%d.csv", n))
		size := writeRegistryCSV(b, path, n)
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			for b.Loop() {
				old := runRegistryChild(b, "legacy", path, n)
				cur := runRegistryChild(b, "stream", path, n)
				b.ReportMetric(old.wall.Seconds(), "legacy_s")
				b.ReportMetric(cur.wall.Seconds(), "stream_s")
				b.ReportMetric(old.rssMB, "legacy_peak_rss_MB")
				b.ReportMetric(cur.rssMB, "stream_peak_rss_MB")
				b.ReportMetric(old.cpu.Seconds(), "legacy_cpu_s")
				b.ReportMetric(cur.cpu.Seconds(), "stream_cpu_s")
				b.ReportMetric(old.wall.Seconds()/cur.wall.Seconds(), "time_ratio")
				b.ReportMetric(old.cpu.Seconds()/cur.cpu.Seconds(), "cpu_ratio")
				b.ReportMetric(old.rssMB/cur.rssMB, "rss_ratio")
				fmt.Fprintf(os.Stderr, "registry %d rows (%.0f MB): legacy %.2f s wall, %.2f s CPU, %.0f MB peak RSS; streaming %.2f s wall, %.2f s CPU, %.0f MB; wall %.1fx, CPU %.1fx, memory %.1fx\n",
					n, float64(size)/1e6, old.wall.Seconds(), old.cpu.Seconds(), old.rssMB, cur.wall.Seconds(), cur.cpu.Seconds(), cur.rssMB,
					old.wall.Seconds()/cur.wall.Seconds(), old.cpu.Seconds()/cur.cpu.Seconds(), old.rssMB/cur.rssMB)
			}
		})
	}
}

type registryRun struct {
	wall  time.Duration
	cpu   time.Duration // user + system, the whole child: steadier than wall on a shared machine
	rssMB float64
}

func runRegistryChild(b *testing.B, mode, path string, rows int) registryRun {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), registryChildEnv+"="+mode+":"+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s child: %v", mode, err)
	}
	// The child times the load itself: process start and the test
	// binary's set-up are not the loader's.
	var loaded int
	var secs float64
	if _, err := fmt.Sscan(string(out), &loaded, &secs); err != nil || loaded != rows {
		b.Fatalf("%s child loaded %q, want %d rows", mode, out, rows)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return registryRun{wall: time.Duration(secs * float64(time.Second)), cpu: cpu, rssMB: float64(ru.Maxrss) / 1024}
}

// writeRegistryCSV writes n valid rows, every column present, the unique
// ones (id, address, MAC) unique; it returns the file's size.
func writeRegistryCSV(b *testing.B, path string, n int) int64 {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, strings.Join(Columns, ","))
	for i := range n {
		fmt.Fprintf(w, "R%07d,NOH,B%d,,10.%d.%d.%d,ac:cc:8e:%02x:%02x:%02x,,Axis,P3245-LVE,facility,CEJ,milestone,\n",
			i, i%40, i>>16&255, i>>8&255, i&255, i>>16&255, i>>8&255, i&255)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(path)
	return fi.Size()
}

// registryChild runs in the re-executed test binary: load the file once,
// print the rows loaded and the seconds it took.
func registryChild(spec string) int {
	mode, path, _ := strings.Cut(spec, ":")
	start := time.Now()
	var rows int
	switch mode {
	case "legacy":
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		reg, errs := legacyParseRegistry(path, data, ColumnMap{}, map[string]string{})
		if len(errs) > 0 {
			fmt.Fprintln(os.Stderr, errs[0])
			return 2
		}
		rows = len(reg.Rows)
	case "stream":
		// Limits raised: the benchmark measures 4M rows, four times the
		// default cap.
		l := NewRegistryLoader(ColumnMap{})
		l.SetLimits(Limits{MaxRows: -1, MaxBytes: -1})
		l.ReadFile(path)
		reg, errs := l.Result()
		if len(errs) > 0 {
			fmt.Fprintln(os.Stderr, errs[0])
			return 2
		}
		rows = len(reg.Rows)
	default:
		fmt.Fprintf(os.Stderr, "unknown mode %q\n", mode)
		return 2
	}
	fmt.Println(rows, time.Since(start).Seconds())
	return 0
}

// BenchmarkRegistryWideHeader reads a registry whose header has 20,000 and
// 40,000 columns nobody mapped (each an "unknown column" error with its
// position), with the streaming loader and the one it replaced: the old
// time grew with the square of the width, the new one with the width.
func BenchmarkRegistryWideHeader(b *testing.B) {
	for _, n := range []int{20_000, 40_000} {
		cols := make([]string, n)
		for i := range cols {
			cols[i] = fmt.Sprintf("extra-%d", i)
		}
		mapping := ColumnMap{}
		data := []byte(strings.Join(append([]string{"id", "site", "ip", "category", "owner", "vms"}, cols...), ",") + "\n" +
			"R1,NOH,10.0.0.1,facility,CEJ,milestone" + strings.Repeat(",", n) + "\n")
		b.Run(fmt.Sprintf("columns=%d/legacy", n), func(b *testing.B) {
			for b.Loop() {
				if reg, errs := legacyParseRegistry("wide.csv", data, mapping, map[string]string{}); len(errs) != n || len(reg.Rows) != 1 {
					b.Fatalf("%d rows, %d errors", len(reg.Rows), len(errs))
				}
			}
		})
		b.Run(fmt.Sprintf("columns=%d/stream", n), func(b *testing.B) {
			for b.Loop() {
				// The first 1,000 problems are listed, the rest counted.
				if reg, errs := ParseRegistry("wide.csv", data, mapping); len(errs) != maxErrorsPerInput+1 || len(reg.Rows) != 1 {
					b.Fatalf("%d rows, %d errors", len(reg.Rows), len(errs))
				}
			}
		})
	}
}
