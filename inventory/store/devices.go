package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/camsweep/camsweep/inventory"
)

// DeviceRecord is a device with its history.
type DeviceRecord struct {
	inventory.Device
	Key        string    `json:"key"`
	Site       string    `json:"site"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	LastScanID int64     `json:"last_scan_id"`
}

// Devices lists every device the history knows, for one site or all (site
// ""), most recently seen first. Each carries what the latest sighting said.
func (s *Store) Devices(ctx context.Context, site string) ([]DeviceRecord, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT key, site, first_seen, last_seen, last_scan_id, data FROM devices
WHERE (? = '' OR site = ?) ORDER BY last_seen DESC, key`, site, site)
	if err != nil {
		return nil, fmt.Errorf("store: devices: %w", err)
	}
	defer rows.Close()
	out, err := deviceRows(rows)
	if err != nil {
		return nil, fmt.Errorf("store: devices: %w", err)
	}
	return out, nil
}

func deviceRows(rows *sql.Rows) ([]DeviceRecord, error) {
	out := []DeviceRecord{}
	for rows.Next() {
		var (
			r           DeviceRecord
			first, last int64
			data        string
		)
		if err := rows.Scan(&r.Key, &r.Site, &first, &last, &r.LastScanID, &data); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &r.Device); err != nil {
			return nil, fmt.Errorf("decode device %s: %w", r.Key, err)
		}
		r.FirstSeen, r.LastSeen = time.Unix(0, first).UTC(), time.Unix(0, last).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Changes is what changed between a site's two latest complete scans.
type Changes struct {
	Site       string         `json:"site"`
	ScanID     int64          `json:"scan_id"`
	PrevScanID int64          `json:"previous_scan_id"`
	New        []DeviceRecord `json:"new"`
	Gone       []DeviceRecord `json:"gone"`
}

// DeviceChanges compares the site's two newest complete, successful scans:
// devices sighted in the newer and not the older are new, and the reverse
// gone. With a single complete scan every device is new. Partial scans are
// left out because they cannot tell "gone" from "not reached".
func (s *Store) DeviceChanges(ctx context.Context, site string) (Changes, error) {
	ch := Changes{Site: site, New: []DeviceRecord{}, Gone: []DeviceRecord{}}
	rows, err := s.db.QueryContext(ctx, `
SELECT id FROM scans WHERE site = ? AND status = 'ok' AND incomplete = 0
ORDER BY started DESC, id DESC LIMIT 2`, site)
	if err != nil {
		return ch, fmt.Errorf("store: device changes: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return ch, fmt.Errorf("store: device changes: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ch, fmt.Errorf("store: device changes: %w", err)
	}
	if len(ids) == 0 {
		return ch, fmt.Errorf("store: device changes %s: no complete scan: %w", site, ErrNotFound)
	}
	ch.ScanID = ids[0]
	if len(ids) > 1 {
		ch.PrevScanID = ids[1]
	}
	const diff = `
SELECT d.key, d.site, d.first_seen, d.last_seen, d.last_scan_id, d.data
FROM sightings s JOIN devices d ON d.id = s.device_id
WHERE s.scan_id = ? AND s.device_id NOT IN (SELECT device_id FROM sightings WHERE scan_id = ?)
ORDER BY d.key`
	for _, step := range []struct {
		into      *[]DeviceRecord
		in, notIn int64
	}{{&ch.New, ch.ScanID, ch.PrevScanID}, {&ch.Gone, ch.PrevScanID, ch.ScanID}} {
		if step.in == 0 {
			continue
		}
		rows, err := s.db.QueryContext(ctx, diff, step.in, step.notIn)
		if err != nil {
			return ch, fmt.Errorf("store: device changes: %w", err)
		}
		recs, err := deviceRows(rows)
		rows.Close()
		if err != nil {
			return ch, fmt.Errorf("store: device changes: %w", err)
		}
		*step.into = recs
	}
	return ch, nil
}
