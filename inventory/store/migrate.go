package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are applied in order; the database's PRAGMA user_version counts
// how many have been applied. Append only: never edit a released step.
var migrations = []string{
	// 1: the initial schema. Times are Unix nanoseconds (UTC) so that range
	// queries and retention are plain integer comparisons.
	`
CREATE TABLE scans (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	site       TEXT    NOT NULL,
	trigger    TEXT    NOT NULL,
	started    INTEGER NOT NULL,
	finished   INTEGER,
	status     TEXT    NOT NULL CHECK (status IN ('running','ok','failed','cancelled','interrupted')),
	incomplete INTEGER NOT NULL DEFAULT 0,
	error      TEXT    NOT NULL DEFAULT '',
	stats      TEXT,
	report     TEXT
);
CREATE INDEX scans_site_started ON scans (site, started);
CREATE INDEX scans_status ON scans (status);

CREATE TABLE devices (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	key          TEXT    NOT NULL UNIQUE,
	site         TEXT    NOT NULL,
	mac          TEXT    NOT NULL,
	ip           TEXT    NOT NULL,
	class        TEXT    NOT NULL,
	manufacturer TEXT    NOT NULL,
	first_seen   INTEGER NOT NULL,
	last_seen    INTEGER NOT NULL,
	last_scan_id INTEGER NOT NULL,
	data         TEXT    NOT NULL
);
CREATE INDEX devices_site ON devices (site);

CREATE TABLE sightings (
	scan_id   INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
	device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	ip        TEXT    NOT NULL,
	seen      INTEGER NOT NULL,
	PRIMARY KEY (scan_id, device_id)
);
CREATE INDEX sightings_device ON sightings (device_id);

CREATE TABLE findings (
	site         TEXT    NOT NULL,
	key          TEXT    NOT NULL,
	kind         TEXT    NOT NULL,
	severity     INTEGER NOT NULL,
	first_seen   INTEGER NOT NULL,
	last_seen    INTEGER NOT NULL,
	resolved_at  INTEGER,
	reopened     INTEGER NOT NULL DEFAULT 0,
	last_scan_id INTEGER NOT NULL,
	data         TEXT    NOT NULL,
	PRIMARY KEY (site, key)
);
CREATE INDEX findings_open ON findings (site, resolved_at);
`,
	// 2: what the passive listener heard: one row per site, MAC and
	// address, with first and last seen. mac is '' for a host heard only
	// through a router (its MAC unknown), ip '' for one heard before it
	// had an address (DHCP). heard lists what was heard, comma-separated.
	`
CREATE TABLE heard (
	site       TEXT    NOT NULL,
	mac        TEXT    NOT NULL,
	ip         TEXT    NOT NULL,
	first_seen INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	heard      TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (site, mac, ip)
);
CREATE INDEX heard_mac ON heard (mac);
CREATE INDEX heard_ip ON heard (site, ip, last_seen);
CREATE INDEX heard_last_seen ON heard (site, last_seen);
CREATE INDEX devices_mac ON devices (mac);
CREATE INDEX devices_site_ip ON devices (site, ip);
`,
}

// migrate brings the schema up to date. Each step and its version bump
// commit together, so a crash between steps leaves a database at a known
// version.
func migrate(ctx context.Context, db *sql.DB) (from, to int, err error) {
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&from); err != nil {
		return 0, 0, fmt.Errorf("store: migrate: read user_version: %w", err)
	}
	if from > len(migrations) {
		return from, from, fmt.Errorf("store: migrate: database schema version %d is newer than this camsweep knows (%d)", from, len(migrations))
	}
	for v := from; v < len(migrations); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return from, v, fmt.Errorf("store: migrate: begin step %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			_ = tx.Rollback()
			return from, v, fmt.Errorf("store: migrate: step %d: %w", v+1, err)
		}
		// PRAGMA takes no bind parameters; v is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v+1)); err != nil {
			_ = tx.Rollback()
			return from, v, fmt.Errorf("store: migrate: set user_version %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return from, v, fmt.Errorf("store: migrate: commit step %d: %w", v+1, err)
		}
	}
	return from, len(migrations), nil
}
