package inventory

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
)

// Match says how a device was tied to a registry row.
const (
	MatchMAC    = "mac"
	MatchSerial = "serial"
	MatchIP     = "ip"
)

// matching is the outcome of tying devices to rows: rowOf[i] is the index
// (into rows) of device i's row or -1, by[i] how it was matched, and
// claimed[j] whether row j has a device.
type matching struct {
	rowOf   []int
	by      []string
	claimed []bool
}

// matchDevices ties each device to at most one registry row and each row to
// at most one device: first by MAC, then by serial, then by IP with a
// compatible vendor. It walks devices and rows in a canonical order, so the
// result does not depend on the order they were given in.
func matchDevices(devices []Device, rows []Row, site string) matching {
	m := matching{rowOf: make([]int, len(devices)), by: make([]string, len(devices)), claimed: make([]bool, len(rows))}
	for i := range m.rowOf {
		m.rowOf[i] = -1
	}
	rowOrder := canonicalOrder(rows, compareRows)
	byMAC := make(map[string][]int, len(rows))
	bySerial := make(map[string][]int, len(rows))
	byIP := make(map[netip.Addr][]int, len(rows))
	for _, j := range rowOrder {
		r := &rows[j]
		if r.MAC != "" {
			byMAC[r.MAC] = append(byMAC[r.MAC], j)
		}
		if r.Serial != "" {
			k := serialKey(r.Serial)
			bySerial[k] = append(bySerial[k], j)
		}
		// Private address plans repeat between hospitals, so an IP only
		// identifies a row of the scanned site.
		if r.IP.IsValid() && inSite(r.Site, site) {
			byIP[r.IP] = append(byIP[r.IP], j)
		}
	}
	devOrder := canonicalOrder(devices, compareDevices)
	take := func(i int, cands []int, by string, ok func(j int) bool) bool {
		for _, j := range cands {
			if !m.claimed[j] && (ok == nil || ok(j)) {
				m.claimed[j], m.rowOf[i], m.by[i] = true, j, by
				return true
			}
		}
		return false
	}
	// When two devices claim one MAC or one serial, one of them is lying
	// (a clone copies both from the genuine camera's own answers), and the
	// one at the row's registered address keeps the row: walking devices
	// by address alone would hand it to whichever sorts first.
	claims := identityClaims(devices)
	atRegistered := func(i int) func(j int) bool {
		return func(j int) bool { return rows[j].IP.IsValid() && rows[j].IP == devices[i].IP.Unmap() }
	}
	for _, i := range devOrder {
		if mac := deviceMAC(devices[i]); mac != "" && claims.mac[mac] > 1 {
			take(i, byMAC[mac], MatchMAC, atRegistered(i))
		}
	}
	for _, i := range devOrder {
		if k := serialKey(devices[i].Serial); m.rowOf[i] < 0 && k != "" && claims.serial[k] > 1 {
			take(i, bySerial[k], MatchSerial, atRegistered(i))
		}
	}
	for _, i := range devOrder {
		if mac := deviceMAC(devices[i]); m.rowOf[i] < 0 && mac != "" {
			take(i, byMAC[mac], MatchMAC, nil)
		}
	}
	for _, i := range devOrder {
		if m.rowOf[i] < 0 && devices[i].Serial != "" {
			take(i, bySerial[serialKey(devices[i].Serial)], MatchSerial, nil)
		}
	}
	for _, i := range devOrder {
		d := &devices[i]
		if m.rowOf[i] < 0 && d.IP.IsValid() {
			take(i, byIP[d.IP.Unmap()], MatchIP, func(j int) bool { return vendorCompatible(rows[j].Vendor, *d) })
		}
	}
	return m
}

// vendorCompatible reports whether a row's vendor may name the device: the
// row names no vendor, or it names the device's brand or its real
// manufacturer (a row for an "Amcrest" matches a Dahua-made Amcrest). A
// device whose maker the fingerprint could not tell is not matched by IP
// alone: that would let an unknown box stand in for a registered camera.
func vendorCompatible(vendor string, d Device) bool {
	if NormalizeVendor(vendor) == "" {
		return true
	}
	return sameVendor(vendor, d.Manufacturer) || sameVendor(vendor, d.Brand)
}

// deviceMAC returns the device's MAC in canonical form, "" when unknown.
func deviceMAC(d Device) string {
	if d.MAC == "" {
		return ""
	}
	if m, err := NormalizeMAC(d.MAC); err == nil {
		return m
	}
	return strings.ToLower(d.MAC)
}

func serialKey(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

func inSite(rowSite, site string) bool {
	return site == "" || strings.EqualFold(rowSite, site)
}

// canonicalOrder returns the indexes of xs in the order compare gives, so a
// walk over them does not depend on the order the caller listed them in;
// xs itself is left as given.
func canonicalOrder[T any](xs []T, compare func(a, b *T) int) []int {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return compare(&xs[a], &xs[b]) })
	return idx
}

func compareRows(a, b *Row) int {
	// IDs are nearly always unique: decide on them before comparing the
	// rest (cmp.Or evaluates every argument).
	if c := strings.Compare(a.ID, b.ID); c != 0 {
		return c
	}
	return cmp.Or(
		strings.Compare(a.Site, b.Site),
		a.IP.Compare(b.IP),
		strings.Compare(a.MAC, b.MAC),
		strings.Compare(a.Serial, b.Serial),
		strings.Compare(a.Vendor, b.Vendor),
		strings.Compare(a.Model, b.Model),
		strings.Compare(a.DispensationID, b.DispensationID),
		strings.Compare(a.VMS, b.VMS),
		strings.Compare(a.Category, b.Category),
		strings.Compare(a.Owner, b.Owner),
		strings.Compare(a.Building, b.Building),
		strings.Compare(a.Location, b.Location),
	)
}

func compareDevices(a, b *Device) int {
	// A sweep reports each address once: the IP nearly always decides.
	if c := a.IP.Compare(b.IP); c != 0 {
		return c
	}
	return cmp.Or(
		strings.Compare(a.MAC, b.MAC),
		strings.Compare(a.Serial, b.Serial),
		strings.Compare(a.Manufacturer, b.Manufacturer),
		strings.Compare(a.Brand, b.Brand),
		strings.Compare(a.Model, b.Model),
		strings.Compare(string(a.Class), string(b.Class)),
		strings.Compare(a.Firmware, b.Firmware),
	)
}
