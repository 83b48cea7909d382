//go:build linux

package netlab

import (
	"fmt"
	"strconv"
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
	if !h.Addr.Is4() || len(h.MAC) != 6 {
		return h, fmt.Errorf("netlab: add host: want an IPv4 address and a MAC")
	}
	if !h.Prefix.IsValid() {
		h.Prefix = l.Prefix
	}
	i := len(l.Hosts)
	h.Link = "h" + strconv.Itoa(i)
	var sb strings.Builder
	writeHost(&sb, h, 1000+i, l)
	if err := ipBatch(l.DeviceNS, sb.String()); err != nil {
		return h, err
	}
	l.Hosts = append(l.Hosts, h)
	return h, nil
}
