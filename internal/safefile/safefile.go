// Package safefile writes output files the way a tool run by root on a
// shared machine must: into a temporary file in the destination's own
// directory, renamed over the destination only once everything was written
// and synced. A failure leaves the previous file as it was and no empty or
// half-written one behind; a symbolic link or any other non-regular file at
// the destination is refused, never followed, so a link planted where a
// report is written cannot make camsweep truncate /etc/shadow; and the file
// gets the mode asked for (0600 unless configured), not whatever the umask
// allows.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultMode is for reports, captures and profiles: they name devices,
// addresses and findings, which only their owner needs to read.
const DefaultMode fs.FileMode = 0o600

// File is an output file being written. Write to it, then Commit; Close
// without Commit discards it.
type File struct {
	path string
	mode fs.FileMode
	tmp  *os.File
	done bool
}

// Create starts writing path with mode (DefaultMode when 0). It fails at
// once when path is a symbolic link, a directory or a device, so a long
// sweep does not end unable to write its report.
func Create(path string, mode fs.FileMode) (*File, error) {
	if mode == 0 {
		mode = DefaultMode
	}
	if err := checkDestination(path); err != nil {
		return nil, err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("safefile: %w", err)
	}
	return &File{path: path, mode: mode, tmp: tmp}, nil
}

// checkDestination refuses what must never be written through.
func checkDestination(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("safefile: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("safefile: %s is a symbolic link; camsweep does not write through links (remove it, or name the file it points to)", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("safefile: %s is not a regular file (%s); name a file to write", path, fi.Mode().Type())
	}
	return nil
}

// Name is the destination path.
func (f *File) Name() string { return f.path }

// Write writes to the temporary file.
func (f *File) Write(p []byte) (int, error) { return f.tmp.Write(p) }

// Commit syncs the file, gives it its mode and renames it over the
// destination. After a failed Commit the destination is as it was.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("safefile: %s: already closed", f.path)
	}
	f.done = true
	err := f.tmp.Chmod(f.mode)
	if err == nil {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	// Checked again: a link could have been planted while we wrote.
	// rename(2) would replace the link rather than follow it, but the
	// user asked for that path and should hear that it changed.
	if err == nil {
		err = checkDestination(f.path)
	}
	if err == nil {
		err = os.Rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		_ = os.Remove(f.tmp.Name())
		return fmt.Errorf("safefile: write %s: %w", f.path, err)
	}
	syncDir(filepath.Dir(f.path))
	return nil
}

// Close discards the file unless it was committed; deferring it right
// after Create cleans up on every error path.
func (f *File) Close() error {
	if f.done {
		return nil
	}
	f.done = true
	_ = f.tmp.Close()
	return os.Remove(f.tmp.Name())
}

// Write writes path through fill, committing only when fill succeeds.
func Write(path string, mode fs.FileMode, fill func(io.Writer) error) error {
	f, err := Create(path, mode)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := fill(f); err != nil {
		return err
	}
	return f.Commit()
}

// syncDir makes the rename durable; a failure only weakens durability
// after a power loss, so it is not reported.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
