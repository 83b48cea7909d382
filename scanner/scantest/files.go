package scantest

import (
	"os"
	"path/filepath"
	"testing"
)

// WriteFile writes body to dir/name and returns the path, stopping tb
// when it cannot. The file is the owner's alone (0600), as the
// configuration and credential files camsweep reads must be.
func WriteFile(tb testing.TB, dir, name, body string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}
