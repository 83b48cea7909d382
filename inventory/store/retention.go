package store

import (
	"context"
	"fmt"
	"time"
)

// PruneStats counts what Prune removed.
type PruneStats struct {
	Scans    int64 `json:"scans"`
	Findings int64 `json:"findings"`
	Devices  int64 `json:"devices"`
	Heard    int64 `json:"heard"`
}

// Prune deletes history older than before: finished scans (their sightings
// go with them), findings resolved before it, devices last seen before
// it, and what the passive listener last heard before it. Each site's newest complete scan is always kept, so the daemon still
// has a latest report after a long outage; running scans are never touched.
func (s *Store) Prune(ctx context.Context, before time.Time) (PruneStats, error) {
	var st PruneStats
	cut := nanos(before)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("store: prune: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, `
DELETE FROM scans WHERE status <> 'running' AND started < ?
AND id NOT IN (
	SELECT MAX(id) FROM scans WHERE status = 'ok' AND incomplete = 0 GROUP BY site
)`, cut)
	if err != nil {
		return st, fmt.Errorf("store: prune: scans: %w", err)
	}
	st.Scans, _ = res.RowsAffected()
	if res, err = tx.ExecContext(ctx,
		`DELETE FROM findings WHERE resolved_at IS NOT NULL AND resolved_at < ?`, cut); err != nil {
		return st, fmt.Errorf("store: prune: findings: %w", err)
	}
	st.Findings, _ = res.RowsAffected()
	if res, err = tx.ExecContext(ctx, `
DELETE FROM devices WHERE last_seen < ?
AND id NOT IN (SELECT device_id FROM sightings)`, cut); err != nil {
		return st, fmt.Errorf("store: prune: devices: %w", err)
	}
	st.Devices, _ = res.RowsAffected()
	if res, err = tx.ExecContext(ctx, `DELETE FROM heard WHERE last_seen < ?`, cut); err != nil {
		return st, fmt.Errorf("store: prune: heard: %w", err)
	}
	st.Heard, _ = res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return st, fmt.Errorf("store: prune: commit: %w", err)
	}
	return st, nil
}
