package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/camsweep/camsweep/inventory"
)

// Status is where a scan stands.
type Status string

// Scan statuses. 'interrupted' is only ever set by Open, for a scan whose
// process died before it finished.
const (
	StatusRunning     Status = "running"
	StatusOK          Status = "ok"
	StatusFailed      Status = "failed"
	StatusCancelled   Status = "cancelled"
	StatusInterrupted Status = "interrupted"
)

// Scan is one row of the scans table, without the report.
type Scan struct {
	ID         int64            `json:"id"`
	Site       string           `json:"site"`
	Trigger    string           `json:"trigger"`
	Started    time.Time        `json:"started"`
	Finished   time.Time        `json:"finished"`
	Status     Status           `json:"status"`
	Incomplete bool             `json:"incomplete"`
	Error      string           `json:"error,omitempty"`
	Stats      *inventory.Stats `json:"stats,omitempty"`
}

// Result is how a scan ended.
type Result struct {
	Status   Status
	Finished time.Time
	// Error explains a failed, cancelled or incomplete scan.
	Error string
	// Report is nil when the scan produced nothing (it failed before the
	// sweep returned). Its devices, sightings and findings are recorded.
	Report *inventory.Report
}

// BeginScan records a scan as running and returns its id. The row is what a
// crash leaves behind; Open turns it into 'interrupted'.
func (s *Store) BeginScan(ctx context.Context, site, trigger string, started time.Time) (int64, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO scans (site, trigger, started, status) VALUES (?, ?, ?, 'running')`,
		site, trigger, nanos(started))
	if err != nil {
		return 0, fmt.Errorf("store: begin scan: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("store: begin scan: %w", err)
	}
	return id, nil
}

// FinishScan records the end of a scan and everything it found in one
// transaction: the scan row, devices, sightings and findings commit together
// or not at all.
//
// Findings are upserted by (site, key); one that was resolved and appears
// again is reopened. Only a complete, successful scan resolves the site's
// open findings it did not report, and only those last seen before it
// started: a partial scan cannot prove absence, nor can a sweep prove the
// absence of what appeared while it ran.
func (s *Store) FinishScan(ctx context.Context, id int64, r Result) error {
	switch r.Status {
	case StatusOK, StatusFailed, StatusCancelled:
	default:
		return fmt.Errorf("store: finish scan %d: status %q is not a final status", id, r.Status)
	}
	var statsJSON, reportJSON sql.NullString
	incomplete := r.Status != StatusOK
	if r.Report != nil {
		incomplete = incomplete || r.Report.Incomplete
		b, err := json.Marshal(r.Report.Stats)
		if err != nil {
			return fmt.Errorf("store: finish scan %d: encode stats: %w", id, err)
		}
		statsJSON = sql.NullString{String: string(b), Valid: true}
		if b, err = json.Marshal(r.Report); err != nil {
			return fmt.Errorf("store: finish scan %d: encode report: %w", id, err)
		}
		reportJSON = sql.NullString{String: string(b), Valid: true}
	}

	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: finish scan %d: begin: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit

	var site string
	err = tx.QueryRowContext(ctx,
		`UPDATE scans SET finished = ?, status = ?, incomplete = ?, error = ?, stats = ?, report = ?
		 WHERE id = ? AND status = 'running' RETURNING site`,
		nanos(r.Finished), string(r.Status), incomplete, r.Error, statsJSON, reportJSON, id).Scan(&site)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: finish scan %d: no running scan with that id: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: finish scan %d: %w", id, err)
	}
	if r.Report != nil {
		seen := r.Report.Finished
		if seen.IsZero() {
			seen = r.Finished
		}
		if err := recordDevices(ctx, tx, id, site, seen, r.Report.Devices); err != nil {
			return fmt.Errorf("store: finish scan %d: %w", id, err)
		}
		if err := recordFindings(ctx, tx, id, site, seen, r.Report.Findings); err != nil {
			return fmt.Errorf("store: finish scan %d: %w", id, err)
		}
		if !incomplete {
			// A finding last raised by a scan begun after this one (a new
			// device the passive listener heard and a targeted probe
			// confirmed while the sweep ran) may be on an address the
			// sweep had already passed: the sweep cannot prove it gone.
			// Scan ids grow in the order scans begin.
			if _, err := tx.ExecContext(ctx,
				`UPDATE findings SET resolved_at = ? WHERE site = ? AND resolved_at IS NULL AND last_scan_id < ?`,
				nanos(seen), site, id); err != nil {
				return fmt.Errorf("store: finish scan %d: resolve findings: %w", id, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: finish scan %d: commit: %w", id, err)
	}
	return nil
}

// DeviceKey is how the history tells devices apart: by MAC when known (it
// survives DHCP changes), else by site and IP.
func DeviceKey(site string, d inventory.Device) string {
	if mac := strings.ToLower(strings.TrimSpace(d.MAC)); mac != "" {
		return "mac:" + mac
	}
	return "ip:" + site + "/" + d.IP.String()
}

func recordDevices(ctx context.Context, tx *sql.Tx, scanID int64, site string, seen time.Time, devs []inventory.Device) error {
	up, err := tx.PrepareContext(ctx, `
INSERT INTO devices (key, site, mac, ip, class, manufacturer, first_seen, last_seen, last_scan_id, data)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET
	site = excluded.site, mac = excluded.mac, ip = excluded.ip, class = excluded.class,
	manufacturer = excluded.manufacturer, last_seen = MAX(last_seen, excluded.last_seen),
	first_seen = MIN(first_seen, excluded.first_seen),
	last_scan_id = excluded.last_scan_id, data = excluded.data
RETURNING id`)
	if err != nil {
		return fmt.Errorf("record devices: %w", err)
	}
	defer up.Close()
	sight, err := tx.PrepareContext(ctx,
		`INSERT OR IGNORE INTO sightings (scan_id, device_id, ip, seen) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("record sightings: %w", err)
	}
	defer sight.Close()
	t := nanos(seen)
	for _, d := range devs {
		data, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("record device %s: %w", d.IP, err)
		}
		var devID int64
		if err := up.QueryRowContext(ctx, DeviceKey(site, d), site, strings.ToLower(d.MAC), d.IP.String(),
			d.Class, d.Manufacturer, t, t, scanID, string(data)).Scan(&devID); err != nil {
			return fmt.Errorf("record device %s: %w", d.IP, err)
		}
		if _, err := sight.ExecContext(ctx, scanID, devID, d.IP.String(), t); err != nil {
			return fmt.Errorf("record sighting %s: %w", d.IP, err)
		}
	}
	return nil
}

func recordFindings(ctx context.Context, tx *sql.Tx, scanID int64, site string, seen time.Time, fs []inventory.Finding) error {
	up, err := tx.PrepareContext(ctx, `
INSERT INTO findings (site, key, kind, severity, first_seen, last_seen, resolved_at, reopened, last_scan_id, data)
VALUES (?, ?, ?, ?, ?, ?, NULL, 0, ?, ?)
ON CONFLICT (site, key) DO UPDATE SET
	kind = excluded.kind, severity = excluded.severity, last_seen = excluded.last_seen,
	reopened = reopened + (resolved_at IS NOT NULL), resolved_at = NULL,
	last_scan_id = excluded.last_scan_id, data = excluded.data`)
	if err != nil {
		return fmt.Errorf("record findings: %w", err)
	}
	defer up.Close()
	t := nanos(seen)
	for _, f := range fs {
		data, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("record finding %s: %w", f.Key, err)
		}
		if _, err := up.ExecContext(ctx, site, f.Key, f.Kind, int(f.Severity), t, t, scanID, string(data)); err != nil {
			return fmt.Errorf("record finding %s: %w", f.Key, err)
		}
	}
	return nil
}

const scanCols = `id, site, trigger, started, finished, status, incomplete, error, stats`

func scanRow(row interface{ Scan(...any) error }) (Scan, error) {
	var (
		sc       Scan
		started  int64
		finished sql.NullInt64
		status   string
		stats    sql.NullString
	)
	if err := row.Scan(&sc.ID, &sc.Site, &sc.Trigger, &started, &finished, &status, &sc.Incomplete, &sc.Error, &stats); err != nil {
		return Scan{}, err
	}
	sc.Started = time.Unix(0, started).UTC()
	sc.Finished = fromNanos(finished)
	sc.Status = Status(status)
	if stats.Valid {
		sc.Stats = new(inventory.Stats)
		if err := json.Unmarshal([]byte(stats.String), sc.Stats); err != nil {
			return Scan{}, fmt.Errorf("decode stats of scan %d: %w", sc.ID, err)
		}
	}
	return sc, nil
}

// Scan returns one scan by id.
func (s *Store) Scan(ctx context.Context, id int64) (Scan, error) {
	sc, err := scanRow(s.db.QueryRowContext(ctx, `SELECT `+scanCols+` FROM scans WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Scan{}, fmt.Errorf("store: scan %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Scan{}, fmt.Errorf("store: scan %d: %w", id, err)
	}
	return sc, nil
}

// Scans lists a site's scans, newest first; site "" lists all sites. limit
// <= 0 means no limit.
func (s *Store) Scans(ctx context.Context, site string, limit int) ([]Scan, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+scanCols+` FROM scans WHERE (? = '' OR site = ?) ORDER BY started DESC, id DESC LIMIT ?`,
		site, site, limit)
	if err != nil {
		return nil, fmt.Errorf("store: scans: %w", err)
	}
	defer rows.Close()
	var out []Scan
	for rows.Next() {
		sc, err := scanRow(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scans: %w", err)
		}
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: scans: %w", err)
	}
	return out, nil
}

// LatestReport returns the report of the site's newest complete, successful
// scan: the picture the daemon serves and alerts on.
func (s *Store) LatestReport(ctx context.Context, site string) (*inventory.Report, Scan, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT `+scanCols+`, report FROM scans
		 WHERE site = ? AND status = 'ok' AND incomplete = 0 AND report IS NOT NULL
		 ORDER BY started DESC, id DESC LIMIT 1`, site)
	var (
		sc       Scan
		started  int64
		finished sql.NullInt64
		status   string
		stats    sql.NullString
		report   string
	)
	err := row.Scan(&sc.ID, &sc.Site, &sc.Trigger, &started, &finished, &status, &sc.Incomplete, &sc.Error, &stats, &report)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Scan{}, fmt.Errorf("store: latest report %s: %w", site, ErrNotFound)
	}
	if err != nil {
		return nil, Scan{}, fmt.Errorf("store: latest report %s: %w", site, err)
	}
	sc.Started, sc.Finished, sc.Status = time.Unix(0, started).UTC(), fromNanos(finished), Status(status)
	var rep inventory.Report
	if err := json.Unmarshal([]byte(report), &rep); err != nil {
		return nil, Scan{}, fmt.Errorf("store: latest report %s: decode: %w", site, err)
	}
	sc.Stats = &rep.Stats
	return &rep, sc, nil
}
