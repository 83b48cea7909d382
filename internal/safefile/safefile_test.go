package safefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteCreatesWithMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := Write(path, 0, func(w io.Writer) error { _, err := io.WriteString(w, "{}"); return err }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if err := Write(path, 0o640, func(w io.Writer) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("configured mode: %v, want 0640", fi.Mode().Perm())
	}
	assertOnly(t, dir, "report.json")
}

// TestNeverFollowsASymlink: a link planted at the destination must not make
// camsweep truncate or write the file it points to.
func TestNeverFollowsASymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "report.json")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	err := Write(link, 0, func(w io.Writer) error { _, err := io.WriteString(w, "report"); return err })
	if err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Errorf("err = %v, want a refusal naming the link", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the link's target now holds %q", b)
	}
	assertOnly(t, dir, "report.json", "victim")
}

func TestRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, 0, func(io.Writer) error { return nil }); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: err = %v", err)
	}
	if _, err := os.Stat("/dev/null"); err == nil {
		if err := Write("/dev/null", 0, func(io.Writer) error { return nil }); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("/dev/null: err = %v (renaming over a device would replace it)", err)
		}
	}
}

// TestFailureKeepsThePreviousFile: a writer that fails halfway leaves the
// old file untouched and nothing empty or partial beside it.
func TestFailureKeepsThePreviousFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := os.WriteFile(path, []byte("old report"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("encode failed")
	err := Write(path, 0, func(w io.Writer) error {
		_, _ = io.WriteString(w, "half a rep")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old report" {
		t.Errorf("the previous file now holds %q", b)
	}
	assertOnly(t, dir, "report.json")

	// A failure on a new path leaves no file at all.
	fresh := filepath.Join(dir, "new.json")
	_ = Write(fresh, 0, func(io.Writer) error { return boom })
	if _, err := os.Lstat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed write left %s behind (%v)", fresh, err)
	}
	assertOnly(t, dir, "report.json")
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("directory holds %q, want %q", got, names)
	}
}
