package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/camsweep/camsweep/inventory"
)

// HeardRow is what the passive listener heard of one MAC at one address:
// first and last seen, and by what (passive.heard values). MAC is "" for
// a host heard only through a router; Addr is invalid for one heard before
// it had an address.
type HeardRow struct {
	Site      string     `json:"site"`
	MAC       string     `json:"mac"`
	Addr      netip.Addr `json:"ip"`
	FirstSeen time.Time  `json:"first_seen"`
	LastSeen  time.Time  `json:"last_seen"`
	Heard     []string   `json:"heard"`
}

// MaxHeardPerSite bounds the heard rows a site keeps (TrimHeard). Any
// station can announce made-up MACs, so a flood must not grow the history
// without end: beyond this the rows heard longest ago are dropped.
const MaxHeardPerSite = 200_000

// TrimHeard drops a site's rows beyond the max most recently heard, and
// returns how many. It walks the site's rows, so callers run it now and
// then (the sensor: once a minute), not at every write.
func (s *Store) TrimHeard(ctx context.Context, site string, max int) (int64, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	res, err := s.db.ExecContext(ctx, `
DELETE FROM heard WHERE rowid IN (
	SELECT rowid FROM heard WHERE site = ? ORDER BY last_seen DESC LIMIT -1 OFFSET ?
)`, site, max)
	if err != nil {
		return 0, fmt.Errorf("store: trim heard: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// RecordHeard upserts rows of one site in one transaction: first seen
// keeps the earliest, last seen the latest, heard the union.
func (s *Store) RecordHeard(ctx context.Context, site string, rows []HeardRow) error {
	if len(rows) == 0 {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: record heard: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	get, err := tx.PrepareContext(ctx, `SELECT heard FROM heard WHERE site = ? AND mac = ? AND ip = ?`)
	if err != nil {
		return fmt.Errorf("store: record heard: %w", err)
	}
	defer get.Close()
	up, err := tx.PrepareContext(ctx, `
INSERT INTO heard (site, mac, ip, first_seen, last_seen, heard) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (site, mac, ip) DO UPDATE SET
	first_seen = MIN(first_seen, excluded.first_seen),
	last_seen = MAX(last_seen, excluded.last_seen),
	heard = excluded.heard`)
	if err != nil {
		return fmt.Errorf("store: record heard: %w", err)
	}
	defer up.Close()
	for _, r := range rows {
		mac, ip := strings.ToLower(r.MAC), inventory.AddrOrEmpty(r.Addr)
		heard := slices.Clone(r.Heard)
		var had string
		switch err := get.QueryRowContext(ctx, site, mac, ip).Scan(&had); {
		case err == nil:
			heard = mergeHeard(strings.Split(had, ","), heard)
		case err != sql.ErrNoRows:
			return fmt.Errorf("store: record heard: %w", err)
		}
		heard = mergeHeard(nil, heard)
		if _, err := up.ExecContext(ctx, site, mac, ip, nanos(r.FirstSeen), nanos(r.LastSeen), strings.Join(heard, ",")); err != nil {
			return fmt.Errorf("store: record heard %s %s: %w", mac, ip, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: record heard: commit: %w", err)
	}
	return nil
}

// mergeHeard is the sorted union of what was heard, bounded (the values
// are a handful of protocol names).
func mergeHeard(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for _, v := range append(a, b...) {
		if v != "" && !slices.Contains(out, v) && len(out) < 16 {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// Known is what a site's history already knows of some MACs and
// addresses: which MACs it has heard or recorded a device with (any site:
// a MAC is a device wherever it was seen), which addresses it has heard
// or recorded at the site, and for each known address the MAC last seen
// there ("" when only heard through a router).
type Known struct {
	MACs    map[string]bool
	Addrs   map[netip.Addr]bool
	AddrMAC map[netip.Addr]string
}

// LookupKnown answers Known for macs and addrs of site in one read.
func (s *Store) LookupKnown(ctx context.Context, site string, macs []string, addrs []netip.Addr) (Known, error) {
	k := Known{MACs: map[string]bool{}, Addrs: map[netip.Addr]bool{}, AddrMAC: map[netip.Addr]string{}}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return k, fmt.Errorf("store: lookup known: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	macQ, err := tx.PrepareContext(ctx, `
SELECT EXISTS (SELECT 1 FROM heard WHERE mac = ?) OR EXISTS (SELECT 1 FROM devices WHERE mac = ?)`)
	if err != nil {
		return k, fmt.Errorf("store: lookup known: %w", err)
	}
	defer macQ.Close()
	for _, m := range macs {
		m = strings.ToLower(m)
		var known bool
		if err := macQ.QueryRowContext(ctx, m, m).Scan(&known); err != nil {
			return k, fmt.Errorf("store: lookup known %s: %w", m, err)
		}
		if known {
			k.MACs[m] = true
		}
	}
	// The MAC last seen at an address: heard by the listener or recorded
	// by a sweep, whichever is newer.
	addrQ, err := tx.PrepareContext(ctx, `
SELECT mac, seen FROM (
	SELECT mac, last_seen AS seen FROM heard WHERE site = ? AND ip = ?
	UNION ALL
	SELECT mac, last_seen AS seen FROM devices WHERE site = ? AND ip = ?
) ORDER BY seen DESC, mac DESC LIMIT 1`)
	if err != nil {
		return k, fmt.Errorf("store: lookup known: %w", err)
	}
	defer addrQ.Close()
	for _, a := range addrs {
		var (
			mac  string
			seen int64
		)
		switch err := addrQ.QueryRowContext(ctx, site, a.String(), site, a.String()).Scan(&mac, &seen); {
		case err == sql.ErrNoRows:
		case err != nil:
			return k, fmt.Errorf("store: lookup known %s: %w", a, err)
		default:
			k.Addrs[a] = true
			k.AddrMAC[a] = mac
		}
	}
	return k, nil
}

// HeardFilter narrows Heard; zero fields match everything.
type HeardFilter struct {
	Site, MAC string
	Addr      netip.Addr
	// Limit bounds the rows returned, newest first (<= 0: 1000).
	Limit int
}

// Heard lists what the passive listener heard, most recently seen first.
func (s *Store) Heard(ctx context.Context, f HeardFilter) ([]HeardRow, error) {
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT site, mac, ip, first_seen, last_seen, heard FROM heard
WHERE (? = '' OR site = ?) AND (? = '' OR mac = ?) AND (? = '' OR ip = ?)
ORDER BY last_seen DESC, site, mac, ip LIMIT ?`,
		f.Site, f.Site, strings.ToLower(f.MAC), strings.ToLower(f.MAC), inventory.AddrOrEmpty(f.Addr), inventory.AddrOrEmpty(f.Addr), f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: heard: %w", err)
	}
	defer rows.Close()
	out := []HeardRow{}
	for rows.Next() {
		var (
			r           HeardRow
			ip, heard   string
			first, last int64
		)
		if err := rows.Scan(&r.Site, &r.MAC, &ip, &first, &last, &heard); err != nil {
			return nil, fmt.Errorf("store: heard: %w", err)
		}
		if ip != "" {
			r.Addr, _ = netip.ParseAddr(ip)
		}
		r.FirstSeen, r.LastSeen = time.Unix(0, first).UTC(), time.Unix(0, last).UTC()
		r.Heard = []string{}
		if heard != "" {
			r.Heard = strings.Split(heard, ",")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: heard: %w", err)
	}
	return out, nil
}
