//go:build !unix

package store

import (
	"fmt"
	"os"
)

// lockFile only creates the lock file where flock is unavailable; the
// one-owner rule then rests on the operator.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: lock: %w", err)
	}
	return f, nil
}
