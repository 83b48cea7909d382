package store

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func openTest(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, zerolog.Nop())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func dev(ip, mac string, class evidence.Class) inventory.Device {
	return inventory.Device{IP: netip.MustParseAddr(ip), MAC: mac, Class: class, Manufacturer: "Dahua"}
}

func finding(key, kind string, sev inventory.Severity) inventory.Finding {
	return inventory.Finding{Key: key, Kind: kind, Severity: sev, Site: "NOH"}
}

func report(at time.Time, incomplete bool, devs []inventory.Device, fs []inventory.Finding) *inventory.Report {
	return &inventory.Report{Schema: inventory.ReportSchema, Site: "NOH", Started: at, Finished: at.Add(time.Minute),
		Incomplete: incomplete, Devices: devs, Findings: fs}
}

// scanStep is one scan of a history; want is the set of open finding keys
// afterwards and wantReopened the reopen count of a finding.
type scanStep struct {
	status Status
	report *inventory.Report
	want   []string
}

func TestFindingLifecycle(t *testing.T) {
	a := finding("a", inventory.KindUnregisteredCamera, inventory.SeverityCritical)
	b := finding("b", inventory.KindBannedManufacturer, inventory.SeverityHigh)
	tests := []struct {
		name         string
		steps        []scanStep
		wantReopened map[string]int
		wantResolved []string
	}{
		{
			name: "absent from a complete scan is resolved",
			steps: []scanStep{
				{StatusOK, report(t0, false, nil, []inventory.Finding{a, b}), []string{"a", "b"}},
				{StatusOK, report(t0.Add(time.Hour), false, nil, []inventory.Finding{a}), []string{"a"}},
			},
			wantResolved: []string{"b"},
		},
		{
			name: "reappearing is reopened",
			steps: []scanStep{
				{StatusOK, report(t0, false, nil, []inventory.Finding{a, b}), []string{"a", "b"}},
				{StatusOK, report(t0.Add(time.Hour), false, nil, []inventory.Finding{a}), []string{"a"}},
				{StatusOK, report(t0.Add(2*time.Hour), false, nil, []inventory.Finding{a, b}), []string{"a", "b"}},
			},
			wantReopened: map[string]int{"b": 1, "a": 0},
		},
		{
			name: "an incomplete scan resolves nothing",
			steps: []scanStep{
				{StatusOK, report(t0, false, nil, []inventory.Finding{a, b}), []string{"a", "b"}},
				{StatusCancelled, report(t0.Add(time.Hour), true, nil, []inventory.Finding{a}), []string{"a", "b"}},
			},
		},
		{
			name: "a failed scan without a report changes nothing",
			steps: []scanStep{
				{StatusOK, report(t0, false, nil, []inventory.Finding{a}), []string{"a"}},
				{StatusFailed, nil, []string{"a"}},
			},
		},
		{
			name: "an empty complete scan resolves all",
			steps: []scanStep{
				{StatusOK, report(t0, false, nil, []inventory.Finding{a, b}), []string{"a", "b"}},
				{StatusOK, report(t0.Add(time.Hour), false, nil, nil), nil},
			},
			wantResolved: []string{"a", "b"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := openTest(t, filepath.Join(t.TempDir(), "h.db"))
			for i, st := range tc.steps {
				id, err := s.BeginScan(ctx, "NOH", "schedule", t0.Add(time.Duration(i)*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				if err := s.FinishScan(ctx, id, Result{Status: st.status, Finished: t0.Add(time.Duration(i)*time.Hour + time.Minute), Report: st.report}); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				open, err := s.Findings(ctx, FindingFilter{Site: "NOH"})
				if err != nil {
					t.Fatal(err)
				}
				if got := keys(open); !equal(got, st.want) {
					t.Fatalf("step %d: open findings %v, want %v", i, got, st.want)
				}
			}
			all, err := s.Findings(ctx, FindingFilter{Site: "NOH", Resolved: true})
			if err != nil {
				t.Fatal(err)
			}
			var resolved []string
			for _, f := range all {
				if f.ResolvedAt != nil {
					resolved = append(resolved, f.Key)
				}
				if want, ok := tc.wantReopened[f.Key]; ok && f.Reopened != want {
					t.Errorf("finding %s reopened %d times, want %d", f.Key, f.Reopened, want)
				}
				if f.FirstSeen.After(f.LastSeen) {
					t.Errorf("finding %s first_seen %v after last_seen %v", f.Key, f.FirstSeen, f.LastSeen)
				}
			}
			sort.Strings(resolved)
			if !equal(resolved, tc.wantResolved) {
				t.Errorf("resolved %v, want %v", resolved, tc.wantResolved)
			}
		})
	}
}

func TestFindingFilter(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "h.db"))
	fs := []inventory.Finding{
		finding("a", inventory.KindUnregisteredCamera, inventory.SeverityCritical),
		finding("b", inventory.KindBannedManufacturer, inventory.SeverityHigh),
		finding("c", inventory.KindUnregisteredCamera, inventory.SeverityCritical),
	}
	id, _ := s.BeginScan(ctx, "NOH", "schedule", t0)
	if err := s.FinishScan(ctx, id, Result{Status: StatusOK, Finished: t0, Report: report(t0, false, nil, fs)}); err != nil {
		t.Fatal(err)
	}
	crit, high := inventory.SeverityCritical, inventory.SeverityHigh
	tests := []struct {
		name   string
		filter FindingFilter
		want   []string
	}{
		{"all", FindingFilter{}, []string{"a", "c", "b"}},
		{"by kind", FindingFilter{Kind: inventory.KindUnregisteredCamera}, []string{"a", "c"}},
		{"by severity", FindingFilter{Severity: &high}, []string{"b"}},
		{"kind and severity", FindingFilter{Kind: inventory.KindBannedManufacturer, Severity: &crit}, nil},
		{"other site", FindingFilter{Site: "RH"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Findings(ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if k := keys(got); !equal(k, tc.want) {
				t.Errorf("got %v, want %v", k, tc.want)
			}
		})
	}
}

func TestDevicesAndChanges(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "h.db"))
	cam := dev("10.20.8.11", "BC:32:5F:00:00:01", evidence.Camera)
	cam2 := dev("10.20.8.12", "bc:32:5f:00:00:02", evidence.Camera)
	noMAC := dev("10.20.8.13", "", evidence.Other)
	moved := cam
	moved.IP = netip.MustParseAddr("10.20.8.99")

	scans := [][]inventory.Device{{cam, noMAC}, {moved, cam2}}
	for i, devs := range scans {
		at := t0.Add(time.Duration(i) * time.Hour)
		id, err := s.BeginScan(ctx, "NOH", "schedule", at)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FinishScan(ctx, id, Result{Status: StatusOK, Finished: at, Report: report(at, false, devs, nil)}); err != nil {
			t.Fatal(err)
		}
	}
	devs, err := s.Devices(ctx, "NOH")
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]DeviceRecord{}
	for _, d := range devs {
		byKey[d.Key] = d
	}
	if len(byKey) != 3 {
		t.Fatalf("devices %v, want 3 (MAC-keyed camera seen twice is one device)", byKey)
	}
	c := byKey["mac:bc:32:5f:00:00:01"]
	if c.IP.String() != "10.20.8.99" || !c.FirstSeen.Equal(t0.Add(time.Minute)) || !c.LastSeen.Equal(t0.Add(time.Hour+time.Minute)) {
		t.Errorf("moved camera: ip %s first %v last %v", c.IP, c.FirstSeen, c.LastSeen)
	}
	if _, ok := byKey["ip:NOH/10.20.8.13"]; !ok {
		t.Errorf("device without MAC not keyed by site and IP: %v", byKey)
	}

	ch, err := s.DeviceChanges(ctx, "NOH")
	if err != nil {
		t.Fatal(err)
	}
	var gotNew, gotGone []string
	for _, d := range ch.New {
		gotNew = append(gotNew, d.Key)
	}
	for _, d := range ch.Gone {
		gotGone = append(gotGone, d.Key)
	}
	if !equal(gotNew, []string{"mac:bc:32:5f:00:00:02"}) || !equal(gotGone, []string{"ip:NOH/10.20.8.13"}) {
		t.Errorf("changes new %v gone %v", gotNew, gotGone)
	}
	if _, err := s.DeviceChanges(ctx, "RH"); !errors.Is(err, ErrNotFound) {
		t.Errorf("changes of a site never scanned: %v, want ErrNotFound", err)
	}
}

func TestReopenMarksInterruptedAndKeepsHistory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	s, err := Open(ctx, path, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	done, _ := s.BeginScan(ctx, "NOH", "schedule", t0)
	if err := s.FinishScan(ctx, done, Result{Status: StatusOK, Finished: t0, Report: report(t0, false, nil,
		[]inventory.Finding{finding("a", inventory.KindUnregisteredCamera, inventory.SeverityCritical)})}); err != nil {
		t.Fatal(err)
	}
	running, _ := s.BeginScan(ctx, "NOH", "api", t0.Add(time.Hour))

	if _, err := Open(ctx, path, zerolog.Nop()); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open while held: %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := openTest(t, path)
	if s2.Interrupted() != 1 {
		t.Errorf("Interrupted() = %d, want 1", s2.Interrupted())
	}
	sc, err := s2.Scan(ctx, running)
	if err != nil || sc.Status != StatusInterrupted {
		t.Errorf("scan left running: %+v %v, want interrupted", sc, err)
	}
	if err := s2.FinishScan(ctx, running, Result{Status: StatusOK, Finished: t0}); !errors.Is(err, ErrNotFound) {
		t.Errorf("finishing an interrupted scan: %v, want ErrNotFound", err)
	}
	rep, sc, err := s2.LatestReport(ctx, "NOH")
	if err != nil || sc.ID != done || len(rep.Findings) != 1 {
		t.Errorf("latest report after reopen: %+v %v", sc, err)
	}
	var v int
	if err := s2.db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != len(migrations) {
		t.Errorf("user_version %d (%v), want %d", v, err, len(migrations))
	}
}

func TestRejectsNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	s := openTest(t, path)
	if _, err := s.db.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if _, err := Open(ctx, path, zerolog.Nop()); err == nil {
		t.Fatal("Open accepted a schema newer than it knows")
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "h.db"))
	a := finding("a", inventory.KindUnregisteredCamera, inventory.SeverityCritical)
	cam := dev("10.20.8.11", "bc:32:5f:00:00:01", evidence.Camera)
	// Day 0: camera and finding; day 1: failed; day 2: empty ok scan.
	steps := []struct {
		status Status
		rep    *inventory.Report
	}{
		{StatusOK, report(t0, false, []inventory.Device{cam}, []inventory.Finding{a})},
		{StatusFailed, nil},
		{StatusOK, report(t0.Add(48*time.Hour), false, nil, nil)},
	}
	var ids []int64
	for i, st := range steps {
		at := t0.Add(time.Duration(i) * 24 * time.Hour)
		id, _ := s.BeginScan(ctx, "NOH", "schedule", at)
		if err := s.FinishScan(ctx, id, Result{Status: st.status, Finished: at, Report: st.rep}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	st, err := s.Prune(ctx, t0.Add(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if st.Scans != 2 || st.Findings != 1 || st.Devices != 1 {
		t.Errorf("pruned %+v, want 2 scans, 1 finding, 1 device", st)
	}
	if _, _, err := s.LatestReport(ctx, "NOH"); err != nil {
		t.Errorf("latest complete scan was pruned: %v", err)
	}
	if _, err := s.Scan(ctx, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("old scan kept: %v", err)
	}
	var n int
	_ = s.db.QueryRow(`SELECT COUNT(*) FROM sightings`).Scan(&n)
	if n != 0 {
		t.Errorf("%d sightings left after their scans were pruned", n)
	}
}

func keys(fs []FindingRecord) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Key)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
