package store

import (
	"context"
	"database/sql"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"
	_ "modernc.org/sqlite"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

func TestRecordHeardAndLookupKnown(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "h.db"))
	cam := netip.MustParseAddr("10.20.8.40")
	routed := netip.MustParseAddr("10.30.1.5")
	err := s.RecordHeard(ctx, "NOH", []HeardRow{
		{MAC: "38:AF:29:00:00:01", Addr: cam, FirstSeen: t0, LastSeen: t0.Add(time.Second), Heard: []string{"arp"}},
		{MAC: "", Addr: routed, FirstSeen: t0, LastSeen: t0, Heard: []string{"tcp"}},
		{MAC: "3c:ef:8c:00:00:02", FirstSeen: t0, LastSeen: t0, Heard: []string{"dhcp"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Heard again later, and earlier (a late flush): the range widens, the
	// protocols are the union.
	if err := s.RecordHeard(ctx, "NOH", []HeardRow{
		{MAC: "38:af:29:00:00:01", Addr: cam, FirstSeen: t0.Add(-time.Minute), LastSeen: t0.Add(time.Hour), Heard: []string{"wsd", "arp"}},
	}); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Heard(ctx, HeardFilter{Site: "NOH", MAC: "38:af:29:00:00:01"})
	if err != nil || len(rows) != 1 {
		t.Fatalf("heard rows %+v, %v", rows, err)
	}
	r := rows[0]
	if !r.FirstSeen.Equal(t0.Add(-time.Minute)) || !r.LastSeen.Equal(t0.Add(time.Hour)) || !slices.Equal(r.Heard, []string{"arp", "wsd"}) || r.Addr != cam {
		t.Errorf("merged row %+v", r)
	}
	// A sweep recorded another camera: its MAC is known too.
	id, _ := s.BeginScan(ctx, "NOH", "schedule", t0)
	swept := inventory.Device{IP: netip.MustParseAddr("10.20.8.41"), MAC: "bc:32:5f:00:00:09", Class: evidence.Camera}
	if err := s.FinishScan(ctx, id, Result{Status: StatusOK, Finished: t0.Add(2 * time.Hour), Report: report(t0, false, []inventory.Device{swept}, nil)}); err != nil {
		t.Fatal(err)
	}
	k, err := s.LookupKnown(ctx, "NOH",
		[]string{"38:af:29:00:00:01", "3C:EF:8C:00:00:02", "bc:32:5f:00:00:09", "00:11:22:33:44:55"},
		[]netip.Addr{cam, routed, swept.IP, netip.MustParseAddr("10.20.8.99")})
	if err != nil {
		t.Fatal(err)
	}
	for mac, want := range map[string]bool{"38:af:29:00:00:01": true, "3c:ef:8c:00:00:02": true, "bc:32:5f:00:00:09": true, "00:11:22:33:44:55": false} {
		if k.MACs[mac] != want {
			t.Errorf("MAC %s known = %v, want %v", mac, k.MACs[mac], want)
		}
	}
	for a, want := range map[netip.Addr]string{cam: "38:af:29:00:00:01", routed: "", swept.IP: "bc:32:5f:00:00:09"} {
		if !k.Addrs[a] || k.AddrMAC[a] != want {
			t.Errorf("address %s: known %v, MAC %q, want %q", a, k.Addrs[a], k.AddrMAC[a], want)
		}
	}
	if k.Addrs[netip.MustParseAddr("10.20.8.99")] {
		t.Error("an address never heard is known")
	}
	// Another site's addresses are not this site's.
	if k, _ := s.LookupKnown(ctx, "RH", nil, []netip.Addr{cam}); k.Addrs[cam] {
		t.Error("NOH's address known at RH")
	}
}

func TestTrimAndPruneHeard(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "h.db"))
	var rows []HeardRow
	for i := range 50 {
		a := netip.AddrFrom4([4]byte{10, 20, 8, byte(i)})
		rows = append(rows, HeardRow{MAC: "02:00:00:00:00:" + string("0123456789abcdef"[i/16]) + string("0123456789abcdef"[i%16]), Addr: a,
			FirstSeen: t0, LastSeen: t0.Add(time.Duration(i) * time.Minute), Heard: []string{"arp"}})
	}
	if err := s.RecordHeard(ctx, "NOH", rows); err != nil {
		t.Fatal(err)
	}
	n, err := s.TrimHeard(ctx, "NOH", 30)
	if err != nil || n != 20 {
		t.Fatalf("trimmed %d (%v), want 20", n, err)
	}
	left, _ := s.Heard(ctx, HeardFilter{Site: "NOH", Limit: 100})
	if len(left) != 30 || !left[len(left)-1].LastSeen.Equal(t0.Add(20*time.Minute)) {
		t.Errorf("kept %d rows, oldest last seen %v: want the 30 heard last", len(left), left[len(left)-1].LastSeen)
	}
	st, err := s.Prune(ctx, t0.Add(40*time.Minute))
	if err != nil || st.Heard != 20 {
		t.Errorf("pruned %+v (%v), want 20 heard rows", st, err)
	}
}

// TestMigrateV1 opens a history written by the first schema (no heard
// table) and finds its scans intact and the new table there.
func TestMigrateV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(migrations[0] + `; PRAGMA user_version = 1;
INSERT INTO scans (site, trigger, started, finished, status) VALUES ('NOH', 'schedule', 1, 2, 'ok');`); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	s, err := Open(ctx, path, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if scans, err := s.Scans(ctx, "NOH", 0); err != nil || len(scans) != 1 {
		t.Errorf("scans after migration: %v, %v", scans, err)
	}
	if err := s.RecordHeard(ctx, "NOH", []HeardRow{{MAC: "02:00:00:00:00:01", FirstSeen: t0, LastSeen: t0}}); err != nil {
		t.Errorf("heard table after migration: %v", err)
	}
}

// TestSweepDoesNotResolveWhatAppearedDuringIt: a finding raised by a
// targeted probe while a complete sweep ran stays open when the sweep
// ends without it; one raised before the sweep started is resolved.
func TestSweepDoesNotResolveWhatAppearedDuringIt(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "h.db"))
	old := finding("old", inventory.KindUnregisteredCamera, inventory.SeverityCritical)
	fresh := finding("fresh", inventory.KindUnregisteredCamera, inventory.SeverityCritical)
	record := func(trigger string, at time.Time, incomplete bool, fs ...inventory.Finding) int64 {
		id, _ := s.BeginScan(ctx, "NOH", trigger, at)
		if err := s.FinishScan(ctx, id, Result{Status: StatusOK, Finished: at, Report: report(at, incomplete, nil, fs)}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	record("passive", t0, true, old)
	sweep, _ := s.BeginScan(ctx, "NOH", "schedule", t0.Add(time.Hour))
	record("passive", t0.Add(time.Hour+time.Minute), true, fresh)
	rep := report(t0.Add(time.Hour), false, nil, nil)
	rep.Finished = t0.Add(time.Hour + 5*time.Minute)
	if err := s.FinishScan(ctx, sweep, Result{Status: StatusOK, Finished: rep.Finished, Report: rep}); err != nil {
		t.Fatal(err)
	}
	open, _ := s.Findings(ctx, FindingFilter{Site: "NOH"})
	if got := keys(open); !slices.Equal(got, []string{"fresh"}) {
		t.Errorf("open after the sweep: %v, want [fresh]", got)
	}
}
