package store

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

// crashEnv guards the helper: only a child started by TestKillNineMidScan
// runs it.
const crashEnv = "CAMSWEEP_STORE_CRASH_DB"

// bigReport is large enough (hundreds of devices and findings) that the
// writing transaction takes a while, so the kill often lands inside it.
func bigReport(n int, at time.Time) *inventory.Report {
	r := report(at, false, nil, nil)
	for i := range 300 {
		ip := netip.AddrFrom4([4]byte{10, 20, byte(8 + i/250), byte(1 + i%250)})
		d := dev(ip.String(), fmt.Sprintf("bc:32:5f:%02x:%02x:%02x", n%256, i/256, i%256), evidence.Camera)
		r.Devices = append(r.Devices, d)
		r.Findings = append(r.Findings, finding(fmt.Sprintf("unreg/%d/%d", n, i), inventory.KindUnregisteredCamera, inventory.SeverityCritical))
	}
	return r
}

// TestHelperProcess is the child: it records complete scans one after the
// other, announcing each commit on stdout, until it is killed.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper for TestKillNineMidScan")
	}
	ctx := context.Background()
	s, err := Open(ctx, path, zerolog.Nop())
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	for n := 0; ; n++ {
		at := t0.Add(time.Duration(n) * time.Minute)
		id, err := s.BeginScan(ctx, "NOH", "schedule", at)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println("running", id)
		if err := s.FinishScan(ctx, id, Result{Status: StatusOK, Finished: at, Report: bigReport(n, at)}); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println("committed", id, n)
	}
}

func TestKillNineMidScan(t *testing.T) {
	if testing.Short() {
		t.Skip("re-execs the test binary")
	}
	tests := []struct {
		name       string
		killAfter  int           // commits seen before the kill
		extraDelay time.Duration // lets the next transaction get going
	}{
		{"kill at the start of a scan", 2, 0},
		{"kill inside the writing transaction", 3, 3 * time.Millisecond},
		{"kill later in the transaction", 1, 15 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "h.db")
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
			cmd.Env = append(os.Environ(), crashEnv+"="+path)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			committed := map[int64]int{} // scan id -> report number
			sc := bufio.NewScanner(out)
			for len(committed) < tc.killAfter && sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) > 0 && f[0] == "error" {
					t.Fatalf("child: %s", sc.Text())
				}
				if len(f) == 3 && f[0] == "committed" {
					id, _ := strconv.ParseInt(f[1], 10, 64)
					n, _ := strconv.Atoi(f[2])
					committed[id] = n
				}
			}
			time.Sleep(tc.extraDelay)
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			// Any commit printed between our last read and the kill counts too.
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) == 3 && f[0] == "committed" {
					id, _ := strconv.ParseInt(f[1], 10, 64)
					n, _ := strconv.Atoi(f[2])
					committed[id] = n
				}
			}
			_ = cmd.Wait()
			if len(committed) < tc.killAfter {
				t.Fatalf("child committed %d scans before dying, want %d", len(committed), tc.killAfter)
			}

			ctx := context.Background()
			s := openTest(t, path)
			if v, err := s.IntegrityCheck(ctx); err != nil || v != "ok" {
				t.Fatalf("integrity_check = %q, %v", v, err)
			}
			if s.Interrupted() > 1 {
				t.Errorf("%d scans interrupted, want at most the one in flight", s.Interrupted())
			}
			open, err := s.Findings(ctx, FindingFilter{Site: "NOH", Resolved: true})
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]bool{}
			for _, f := range open {
				have[f.Key] = true
			}
			for id, n := range committed {
				scan, err := s.Scan(ctx, id)
				if err != nil || scan.Status != StatusOK {
					t.Errorf("committed scan %d: %+v %v", id, scan, err)
				}
				for _, f := range bigReport(n, t0).Findings {
					if !have[f.Key] {
						t.Fatalf("finding %s of committed scan %d lost", f.Key, id)
					}
				}
			}
			all, err := s.Scans(ctx, "NOH", 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, scan := range all {
				if scan.Status == StatusRunning {
					t.Errorf("scan %d still running after reopen", scan.ID)
				}
				if _, ok := committed[scan.ID]; !ok && scan.Status == StatusOK {
					// Committed but killed before it could say so: allowed,
					// its data must be whole.
					t.Logf("scan %d committed after the last announcement", scan.ID)
				}
			}
			t.Logf("%d scans committed, %d interrupted, %d findings", len(committed), s.Interrupted(), len(open))
		})
	}
}
