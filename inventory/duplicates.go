package inventory

import (
	"fmt"
	"slices"
	"strings"
)

// claimCounts counts the devices of one sweep that claim each MAC and each
// serial (in canonical form).
type claimCounts struct {
	mac, serial map[string]int
}

func identityClaims(devices []Device) claimCounts {
	c := claimCounts{mac: map[string]int{}, serial: map[string]int{}}
	for i := range devices {
		if mac := deviceMAC(devices[i]); mac != "" {
			c.mac[mac]++
		}
		if k := serialKey(devices[i].Serial); k != "" {
			c.serial[k]++
		}
	}
	return c
}

// duplicateFindings reports every MAC and every serial that two or more
// devices of the sweep claim, when one of them is camera-like. A camera has
// one MAC and one serial; two devices answering with the same ones means
// one of them copied the other's (the MAC and serial of a Hikvision are in
// its unauthenticated ISAPI answer), or the network is lying about one.
// The finding names every device that claims the identity and the row the
// matching gave it to (the device at the row's registered address wins).
// A serial shared by exactly the devices that already share a MAC is the
// same clone, reported once, under the MAC.
func duplicateFindings(devices []Device, m matching, rows []Row, site string) []Finding {
	order := canonicalOrder(devices, compareDevices)
	byMAC := map[string][]int{}
	bySerial := map[string][]int{}
	var macs, serials []string
	for _, i := range order {
		d := &devices[i]
		if mac := deviceMAC(*d); mac != "" {
			if len(byMAC[mac]) == 0 {
				macs = append(macs, mac)
			}
			byMAC[mac] = append(byMAC[mac], i)
		}
		if k := serialKey(d.Serial); k != "" {
			if len(bySerial[k]) == 0 {
				serials = append(serials, k)
			}
			bySerial[k] = append(bySerial[k], i)
		}
	}
	var out []Finding
	reported := map[string]bool{} // device sets already named, as "i,j,..."
	report := func(what, value string, idx []int) {
		if len(idx) < 2 || !slices.ContainsFunc(idx, func(i int) bool { return devices[i].IsCameraLike() }) {
			return
		}
		set := fmt.Sprint(idx)
		if reported[set] {
			return
		}
		reported[set] = true
		out = append(out, duplicateFinding(devices, m, rows, site, what, value, idx))
	}
	for _, mac := range macs {
		report("mac", mac, byMAC[mac])
	}
	for _, k := range serials {
		report("serial", k, bySerial[k])
	}
	return out
}

func duplicateFinding(devices []Device, m matching, rows []Row, site, what, value string, idx []int) Finding {
	// The device the matching tied to a row keeps it; the first of the
	// others is the suspect the finding points at.
	holder, suspect := -1, -1
	for _, i := range idx {
		switch {
		case m.rowOf[i] >= 0 && holder < 0 && rowClaims(&rows[m.rowOf[i]], what, value):
			holder = i
		case suspect < 0:
			suspect = i
		}
	}
	if suspect < 0 {
		suspect = idx[0]
	}
	d := devices[suspect]
	ips := make([]string, len(idx))
	names := make([]string, len(idx))
	for n, i := range idx {
		ips[n] = addrString(devices[i])
		names[n] = ips[n] + " (" + describe(devices[i]) + ")"
		if i == holder {
			r := &rows[m.rowOf[i]]
			names[n] = ips[n] + " (" + describe(devices[i]) + ", registry row " + r.ID + addrNote(r, devices[i]) + ")"
		}
	}
	label := map[string]string{"mac": "MAC", "serial": "serial"}[what]
	var row *Row
	if holder >= 0 {
		row = &rows[m.rowOf[holder]]
	}
	// About the suspect, under the row the holder kept.
	f := deviceBase(d, row, site)
	f.Kind, f.Severity = KindDuplicateIdentity, SeverityHigh
	f.Key = findingKey(f.Kind, f.Site, what+"="+value)
	f.IPs = ips
	f.Detail = fmt.Sprintf("%d devices claim %s %s: %s; a camera has one, so one of them copies the other's identity (a cloned or spoofed device)",
		len(idx), label, value, strings.Join(names, ", "))
	return f
}

// rowClaims reports whether row r carries the identity what=value.
func rowClaims(r *Row, what, value string) bool {
	switch what {
	case "mac":
		return r.MAC == value
	case "serial":
		return r.Serial != "" && serialKey(r.Serial) == value
	}
	return false
}

func addrNote(r *Row, d Device) string {
	switch {
	case !r.IP.IsValid():
		return ""
	case r.IP == d.IP.Unmap():
		return ", at its registered address"
	default:
		return ", registered at " + r.IP.String()
	}
}
