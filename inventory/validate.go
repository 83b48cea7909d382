package inventory

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxCellLen bounds a registry value; a longer one is a paste accident.
const maxCellLen = 256

// validateRow turns a raw row into a Row, adding one error per bad value.
// It checks every column so one run names every problem of the row.
func validateRow(pe *posErrors, raw rawRow) (Row, bool) {
	row := Row{Line: raw.line}
	ok := true
	bad := func(col, format string, args ...any) {
		c, present := raw.cells[col]
		line, cl := c.line, c.col
		if !present || line == 0 {
			line, cl = raw.line, raw.col
		}
		pe.add(line, cl, col, format, args...)
		ok = false
	}
	get := func(col string) string { return raw.cells[col].value }

	// Text checks come first: a value with a control character or broken
	// UTF-8 is not worth validating further.
	for _, col := range Columns {
		// A line break typed inside a spreadsheet cell (Alt+Enter) is kept
		// as a space: it is formatting, not a second value.
		if c, ok := raw.cells[col]; ok && strings.ContainsAny(c.value, "\r\n") {
			c.value = strings.Join(strings.Fields(c.value), " ")
			raw.cells[col] = c
		}
		v := get(col)
		switch {
		case !utf8.ValidString(v):
			bad(col, "%s: not valid UTF-8 (export the file as \"CSV UTF-8\", not the Windows code page)", col)
		case len(v) > maxCellLen:
			bad(col, "%s: %d bytes, longer than %d", col, len(v), maxCellLen)
		case strings.IndexFunc(v, unicode.IsControl) >= 0:
			bad(col, "%s: contains a control character (a line break inside a cell?)", col)
		}
	}
	if !ok {
		return row, false
	}

	row.ID = get(ColID)
	switch {
	case row.ID == "":
		bad(ColID, "id: missing; every row needs a unique id")
	case !isIdent(row.ID):
		bad(ColID, "id %q: use letters, digits and . _ - / only, starting with a letter or digit", row.ID)
	}
	row.Site = get(ColSite)
	switch {
	case row.Site == "":
		bad(ColSite, "site: missing (e.g. NOH)")
	case !isIdent(row.Site):
		bad(ColSite, "site %q: use letters, digits and . _ - only", row.Site)
	}
	row.Building, row.Location = get(ColBuilding), get(ColLocation)

	if v := get(ColIP); v != "" {
		a, err := netip.ParseAddr(v)
		switch {
		case err != nil:
			bad(ColIP, "ip %q: not an IP address", v)
		case a.Zone() != "":
			bad(ColIP, "ip %q: a zone does not belong in a registry", v)
		case a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			bad(ColIP, "ip %q: not a host address", v)
		default:
			row.IP = a.Unmap()
		}
	}
	if v := get(ColMAC); v != "" {
		m, err := NormalizeMAC(v)
		switch {
		case err != nil:
			bad(ColMAC, "mac %q: %v", v, err)
		case m == "00:00:00:00:00:00" || isHexOdd(m[1]):
			bad(ColMAC, "mac %q: a group or null address, not a device's", v)
		default:
			row.MAC = m
		}
	}
	row.Serial = get(ColSerial)
	if strings.IndexFunc(row.Serial, unicode.IsSpace) >= 0 {
		bad(ColSerial, "serial %q: contains a space", row.Serial)
	}
	row.Vendor, row.Model = get(ColVendor), get(ColModel)

	row.Category = strings.ToLower(get(ColCategory))
	switch row.Category {
	case CategoryFacility, CategoryMedico:
	case "":
		bad(ColCategory, "category: missing (want facility or medico)")
	default:
		bad(ColCategory, "category %q: want facility or medico", get(ColCategory))
	}
	row.Owner = strings.ToUpper(get(ColOwner))
	switch row.Owner {
	case OwnerCEJ, OwnerCIMT:
		// CEJ owns the facility cameras and CIMT the clinical ones; a row
		// that crosses them is misfiled, and the wrong team would be asked.
		want := map[string]string{CategoryFacility: OwnerCEJ, CategoryMedico: OwnerCIMT}[row.Category]
		if want != "" && want != row.Owner {
			bad(ColOwner, "owner %s: %s cameras belong to %s", row.Owner, row.Category, want)
		}
	case "":
		bad(ColOwner, "owner: missing (want CEJ or CIMT)")
	default:
		bad(ColOwner, "owner %q: want CEJ or CIMT", get(ColOwner))
	}
	row.VMS = normalizeVMS(get(ColVMS))
	switch row.VMS {
	case VMSMilestone, VMSClosedNet, VMSLocal:
	case "":
		bad(ColVMS, "vms: missing (want milestone, closed-net or local)")
	default:
		bad(ColVMS, "vms %q: want milestone, closed-net or local", get(ColVMS))
	}
	row.DispensationID = get(ColDispensationID)
	if row.DispensationID != "" && !isIdent(row.DispensationID) {
		bad(ColDispensationID, "dispensation_id %q: use letters, digits and . _ - / only", row.DispensationID)
	}
	if ok && !row.IP.IsValid() && row.MAC == "" && row.Serial == "" {
		bad("", "row has no ip, mac or serial, so no device can ever match it")
	}
	return row, ok
}

// isHexOdd reports whether a hex digit has its low bit set: the I/G bit of
// a MAC's first octet sits in the second hex digit.
func isHexOdd(c byte) bool {
	return strings.IndexByte("13579bdf", c) >= 0
}

var vmsSeparators = strings.NewReplacer("_", "-", " ", "-")

func normalizeVMS(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch vmsSeparators.Replace(s) {
	case "closed-net", "closednet", "closed-network":
		return VMSClosedNet
	}
	return s
}

// isIdent accepts registry and dispensation identifiers: letters (Danish
// ones too), digits and . _ - /, starting with a letter or digit.
func isIdent(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
		case i > 0 && strings.ContainsRune("._-/", r):
		default:
			return false
		}
	}
	return true
}
