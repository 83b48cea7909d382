package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/camsweep/camsweep/inventory"
)

// FindingRecord is a finding with its history.
type FindingRecord struct {
	inventory.Finding
	FirstSeen  time.Time  `json:"first_seen"`
	LastSeen   time.Time  `json:"last_seen"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	// Reopened counts how often the finding came back after being resolved.
	Reopened   int   `json:"reopened"`
	LastScanID int64 `json:"last_scan_id"`
}

// FindingFilter narrows Findings; zero fields match everything.
type FindingFilter struct {
	Site     string
	Kind     string
	Severity *inventory.Severity
	// Resolved includes resolved findings as well as open ones.
	Resolved bool
}

// Findings lists findings, open ones only unless the filter asks for
// resolved ones too, ordered by site, severity (worst first) and key.
func (s *Store) Findings(ctx context.Context, f FindingFilter) ([]FindingRecord, error) {
	sev := -1
	if f.Severity != nil {
		sev = int(*f.Severity)
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT data, first_seen, last_seen, resolved_at, reopened, last_scan_id FROM findings
WHERE (? = '' OR site = ?) AND (? = '' OR kind = ?) AND (? < 0 OR severity = ?)
  AND (? OR resolved_at IS NULL)
ORDER BY site, severity DESC, key`,
		f.Site, f.Site, f.Kind, f.Kind, sev, sev, f.Resolved)
	if err != nil {
		return nil, fmt.Errorf("store: findings: %w", err)
	}
	defer rows.Close()
	out := []FindingRecord{}
	for rows.Next() {
		var (
			r           FindingRecord
			data        string
			first, last int64
			resolved    sql.NullInt64
		)
		if err := rows.Scan(&data, &first, &last, &resolved, &r.Reopened, &r.LastScanID); err != nil {
			return nil, fmt.Errorf("store: findings: %w", err)
		}
		if err := json.Unmarshal([]byte(data), &r.Finding); err != nil {
			return nil, fmt.Errorf("store: findings: decode: %w", err)
		}
		r.FirstSeen, r.LastSeen = time.Unix(0, first).UTC(), time.Unix(0, last).UTC()
		if resolved.Valid {
			t := fromNanos(resolved)
			r.ResolvedAt = &t
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: findings: %w", err)
	}
	return out, nil
}
