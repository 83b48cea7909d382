//go:build linux

package netlab

import (
	"strings"
	"sync"
)

// addMu serialises AddHost: it appends to Hosts and numbers the host's
// link and routing table.
var addMu sync.Mutex

// AddHost brings up one more emulated host while the lab runs: a device
// plugged in while the scanner listens. It returns the host as the lab
// made it (with its link name). Hosts added this way are not seen by a
// reader of Hosts that copied the slice before.
func (l *Lab) AddHost(h Host) (Host, error) {
	addMu.Lock()
	defer addMu.Unlock()
	var sb strings.Builder
	h, err := l.place(&sb, len(l.Hosts), h)
	if err != nil {
		return h, err
	}
	if err := ipBatch(l.DeviceNS, sb.String()); err != nil {
		return h, err
	}
	l.Hosts = append(l.Hosts, h)
	return h, nil
}
