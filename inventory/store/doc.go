// Package store keeps camsweep's history in an embedded SQLite database
// (modernc.org/sqlite, pure Go): scans, devices, sightings and findings with
// first seen, last seen and resolved.
//
// Crash safety is by construction: a scan is recorded as 'running' when it
// starts and all of its results are written in one transaction when it ends.
// A process killed in between loses that scan only; the next Open marks the
// orphaned 'running' row 'interrupted'. The database runs in WAL mode with
// synchronous=FULL (see open.go for why).
//
// One process owns a database at a time: Open takes an exclusive advisory
// lock beside the file, so a second daemon cannot mark the first one's
// running scans as interrupted.
package store
