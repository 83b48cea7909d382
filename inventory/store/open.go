package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// ErrLocked means another process holds the database.
var ErrLocked = errors.New("history database is in use by another process")

// ErrNotFound means the scan, report or record asked for does not exist.
var ErrNotFound = errors.New("not found")

// poolSize bounds the history's open connections.
const poolSize = 8

// Store is the history database. Its methods are safe for concurrent use.
type Store struct {
	db   *sql.DB
	lock *os.File
	log  zerolog.Logger
	// wmu serialises writers in the process. SQLite allows one writer at a
	// time anyway; queueing here rather than in busy_timeout keeps write
	// latency predictable and SQLITE_BUSY out of the logs.
	wmu         sync.Mutex
	interrupted int
	now         func() time.Time
	mode        fs.FileMode
}

// Option adjusts Open.
type Option func(*Store)

// WithClock sets the clock used to stamp scans found 'running' at open.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// dsn builds the connection string. Pragmas go in the DSN so that every
// pooled connection gets them, not just the first:
//   - journal_mode(WAL): readers (the API) never block the writer (a scan
//     committing) and vice versa.
//   - synchronous(FULL): a commit is fsynced before it returns. NORMAL would
//     already survive a process crash (kill -9) in WAL mode, but could lose
//     the last commits on power loss; camsweep writes a few transactions per
//     scan, so the extra fsync is free and a finished scan is never lost.
//   - busy_timeout(10000): a second connection waits for the lock instead of
//     failing at once.
//   - foreign_keys(1): sightings follow their scan on prune.
//   - _txlock=immediate: write transactions take the write lock at BEGIN, so
//     two of them cannot deadlock upgrading from a read lock.
//
// The path is an absolute file: URI with its path percent-escaped: SQLite
// reads a file: name as a URI, so a raw "site#1.db" would open "site" (the
// rest is a fragment), "a?mode=ro.db" would open "a" read-only, and "%41"
// would be decoded.
func dsn(abs string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/x on Windows: file:///C:/x
	}
	// An empty authority ("file://" then the path) keeps a path that
	// starts with two slashes from being read as a host name.
	return "file://" + (&url.URL{Path: p}).EscapedPath() + "?" + q.Encode()
}

// Open opens (creating if needed) the history database at path, applies
// migrations and marks scans left 'running' by a crashed process as
// 'interrupted'.
func Open(ctx context.Context, path string, log zerolog.Logger, opts ...Option) (*Store, error) {
	s := &Store{log: log, now: time.Now, mode: DefaultFileMode}
	for _, o := range opts {
		o(s)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	// The lock names the very file the connection string opens.
	lock, err := lockFile(abs + ".lock")
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	// SQLite would create the file as the umask allows (0644: the
	// findings, addresses and MACs of every camera, readable by all);
	// created here first, it and its -wal and -shm files, which SQLite
	// gives the database's mode, are the owner's only.
	if err := createWithMode(abs, s.mode); err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	// WAL lets readers (the API) run side by side and beside the one
	// writer, so they get a pool rather than one connection to queue on.
	// It is bounded, since each connection keeps its own page cache and
	// more readers than cores only take turns, and its connections are
	// kept: database/sql keeps 2 idle by default, so a burst of requests
	// would otherwise open (and parse the schema on) a fresh connection
	// per request and close it again.
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize)
	s.db, s.lock = db, lock
	if err := s.checkOpened(ctx, abs); err != nil {
		_ = s.Close()
		return nil, err
	}
	if err := s.init(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// DefaultFileMode is the history database's mode unless WithFileMode says
// otherwise.
const DefaultFileMode fs.FileMode = 0o600

// WithFileMode sets the mode the database file is created with (an
// existing file keeps its own).
func WithFileMode(mode fs.FileMode) Option { return func(s *Store) { s.mode = mode } }

func createWithMode(path string, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, mode)
	switch {
	case errors.Is(err, fs.ErrExist):
		return nil
	case err != nil:
		return err
	}
	// Explicitly: the umask may have taken bits the configuration asked for.
	err = f.Chmod(mode)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// checkOpened makes sure SQLite opened the file the lock is on.
func (s *Store) checkOpened(ctx context.Context, abs string) error {
	var seq int
	var name, file string
	if err := s.db.QueryRowContext(ctx, `PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	want, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	got, err := filepath.EvalSymlinks(file)
	if err != nil || got != want {
		return fmt.Errorf("store: open: SQLite opened %q, not %q", file, abs)
	}
	return nil
}

func (s *Store) init(ctx context.Context) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	if mode != "wal" {
		return fmt.Errorf("store: open: journal_mode is %q, want wal", mode)
	}
	from, to, err := migrate(ctx, s.db)
	if err != nil {
		return err
	}
	if from != to {
		s.log.Info().Int("from_version", from).Int("to_version", to).Msg("history schema migrated")
	}
	res, err := s.db.ExecContext(ctx,
		`UPDATE scans SET status = 'interrupted', finished = ?, error = 'camsweep stopped before the scan finished'
		 WHERE status = 'running'`, s.now().UnixNano())
	if err != nil {
		return fmt.Errorf("store: open: mark interrupted: %w", err)
	}
	n, _ := res.RowsAffected()
	s.interrupted = int(n)
	if n > 0 {
		s.log.Warn().Int64("scans", n).Msg("scans left running by a previous process marked interrupted")
	}
	return nil
}

// Interrupted reports how many scans Open found 'running' and marked
// 'interrupted'.
func (s *Store) Interrupted() int { return s.interrupted }

// IntegrityCheck runs PRAGMA integrity_check and returns its verdict ("ok"
// when the database is sound).
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	var v string
	if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&v); err != nil {
		return "", fmt.Errorf("store: integrity check: %w", err)
	}
	return v, nil
}

// Ping checks that the database answers; readiness probes use it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close closes the database and releases the lock.
func (s *Store) Close() error {
	var err error
	if s.db != nil {
		if e := s.db.Close(); e != nil {
			err = fmt.Errorf("store: close: %w", e)
		}
	}
	if s.lock != nil {
		_ = s.lock.Close()
	}
	return err
}

func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

func nanos(t time.Time) int64 { return t.UTC().UnixNano() }
