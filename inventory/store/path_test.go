package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rs/zerolog"
)

// TestPathIsTheFileOpened: history.path is a file name, not a URI. SQLite
// reads "file:" names as URIs, so a raw "site#1.db" opened "site" while the
// lock was taken on "site#1.db.lock", and a second daemon on "site#2.db"
// shared the database unlocked.
func TestPathIsTheFileOpened(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"site#1.db", "a?mode=ro&x=1.db", "100%41.db", "with space.db", "ø.db"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			s, err := Open(ctx, path, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.BeginScan(ctx, "NOH", "api", t0); err != nil {
				t.Fatalf("write: %v", err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatalf("the database is not at %q: %v", name, err)
			}
			if fi.Size() == 0 && !exists(path+"-wal") {
				t.Errorf("%q holds nothing", name)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("database mode %v, want 0600", fi.Mode().Perm())
			}
			ents, _ := os.ReadDir(dir)
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			for _, n := range names {
				if !slices.Contains([]string{name, name + ".lock", name + "-wal", name + "-shm"}, n) {
					t.Errorf("unexpected file %q beside the database (%q)", n, names)
				}
			}
			// The lock is on the file that is open: a second Open of the
			// same name is refused.
			if _, err := Open(ctx, path, zerolog.Nop()); !errors.Is(err, ErrLocked) {
				t.Errorf("second Open: %v, want ErrLocked", err)
			}
		})
	}
}

func TestFileModeConfigurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s, err := Open(context.Background(), path, zerolog.Nop(), WithFileMode(0o640))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }
