package inventory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Result is what Reconcile makes of a sweep.
type Result struct {
	// Findings are sorted by severity (worst first), then key.
	Findings []Finding
	// Suppressed are findings a valid suppression hid, in the same order,
	// so a report can still say how many were accepted.
	Suppressed []Finding
	// Devices are the input devices, in input order, with RegistryID set to
	// the matched row's id ("" when none matched).
	Devices []Device
	// MatchedBy is parallel to Devices: MatchMAC, MatchSerial, MatchIP or "".
	MatchedBy []string
}

// Reconcile holds the devices a sweep found against the registry and the
// policy, and returns the findings (docs/registry.md, "Reconcile"). It is a pure
// function: no I/O, and now is the only clock it knows. reg and pol may be
// nil (no registry: every camera is unregistered; no policy: no bans,
// dispensations, segments or suppressions are judged). See docs/registry.md
// for the finding keys.
func Reconcile(devices []Device, reg *Registry, pol *Policy, scope Scope, now time.Time) Result {
	return ReconcileObserved(devices, reg, pol, scope, Observations{}, now)
}

// ReconcileObserved is Reconcile with what the sensor saw beside the
// sweep: flows (recorded_outside_vms, unapproved_recorder, camera_egress)
// and the central VMS's own list (not_on_central_vms then judged from it,
// not from the registry's vms column). Devices known only from flows are
// appended to Result.Devices, with MatchedBy "". Still pure.
func ReconcileObserved(devices []Device, reg *Registry, pol *Policy, scope Scope, obs Observations, now time.Time) Result {
	var rows []Row
	if reg != nil {
		rows = reg.Rows
	}
	if pol == nil {
		pol = &Policy{}
	}
	today := pol.Today(now)
	m := matchDevices(devices, rows, scope.Site)

	res := Result{Devices: make([]Device, len(devices)), MatchedBy: m.by}
	out := make([]Finding, 0, len(devices)+len(devices)/2)
	nc := normCache{}
	matchedRow := make([]*Row, len(devices))
	vms := obs.VMS.index()
	for i, d := range devices {
		var row *Row
		if j := m.rowOf[i]; j >= 0 {
			row = &rows[j]
			d.RegistryID = row.ID
		}
		matchedRow[i] = row
		if obs.VMS != nil {
			d.VMS = vms.match(d, obs.VMS.Source)
		}
		res.Devices[i] = d
		if d.IsCameraLike() {
			out = deviceFindings(out, nc, d, row, m.by[i], pol, scope, obs.VMS, today)
		}
	}
	if len(obs.FlowSources) > 0 || pol.recording(scope.Site, scope).enforced {
		out, res.Devices = observedFindings(out, res.Devices, matchedRow, &obs, pol, scope, today)
		for len(res.MatchedBy) < len(res.Devices) {
			res.MatchedBy = append(res.MatchedBy, "")
		}
	}
	out = append(out, duplicateFindings(devices, m, rows, scope.Site)...)
	out = append(out, registryFindings(rows, pol, scope.Site)...)
	out = append(out, missingFindings(rows, m.claimed, scope)...)

	separateSharedKeys(out)
	sortFindings(out)
	res.Findings, res.Suppressed = suppress(out, pol, today)
	return res
}

// separateSharedKeys gives findings that would share a key, but are about
// devices at different addresses, keys of their own: two unregistered
// devices claiming one MAC (a clone and its original, both unregistered)
// are two problems, and one key would merge them in the metrics, the
// history and a suppression. Each key gets ",ip=<address>"; keys no other
// device claims stay as they were, so ordinary findings keep their keys
// across scans.
func separateSharedKeys(out []Finding) {
	firstIP := make(map[string]string, len(out))
	shared := map[string]bool{}
	for _, f := range out {
		if f.IP == "" {
			continue
		}
		if ip, seen := firstIP[f.Key]; !seen {
			firstIP[f.Key] = f.IP
		} else if ip != f.IP {
			shared[f.Key] = true
		}
	}
	for i := range out {
		if shared[out[i].Key] && out[i].IP != "" {
			out[i].Key += ",ip=" + out[i].IP
		}
	}
}

// CheckRegistry returns the findings a registry earns on its own, without a
// sweep: rows claiming the same MAC, serial, IP or id, rows naming an
// unknown dispensation, and overclaimed dispensations. site limits them to
// one site's rows ("" for all). `camsweep registry check` reports these
// after the load errors.
func CheckRegistry(reg *Registry, pol *Policy, site string) []Finding {
	if reg == nil {
		return nil
	}
	out := registryFindings(reg.Rows, pol, site)
	sortFindings(out)
	return out
}

// findingKey builds the stable key "kind/site/subject": subject is the
// registry row ("row=NOH-CAM-0012") when one is known, so the key survives a
// camera changing address, else the device's MAC, serial or IP.
func findingKey(kind, site, subject string) string {
	if site == "" {
		site = "-"
	}
	return kind + "/" + site + "/" + subject
}

func deviceSubject(d Device) string {
	switch {
	case deviceMAC(d) != "":
		return "mac=" + deviceMAC(d)
	case d.Serial != "":
		return "serial=" + serialKey(d.Serial)
	default:
		return "ip=" + d.IP.String()
	}
}

// deviceFindings judges one camera-like device, matched to row or not.
// It appends to out and returns it, so 100,000 devices cost no slice each.
func deviceFindings(out []Finding, nc normCache, d Device, row *Row, by string, pol *Policy, scope Scope, vms *VMSInventory, today Date) []Finding {
	base := deviceBase(d, row, scope.Site)
	site, subject := base.Site, deviceSubjectOf(d, row)
	maker := cmp.Or(d.Manufacturer, d.Brand)
	add := func(kind string, sev Severity, detail string, args ...any) {
		f := base
		f.Kind, f.Severity, f.Key = kind, sev, findingKey(kind, site, subject)
		f.Detail = fmt.Sprintf(detail, args...)
		out = append(out, f)
	}
	what := describe(d)

	if row == nil {
		add(KindUnregisteredCamera, SeverityCritical, "%s at %s matches no registry row (by MAC, serial, or IP with a compatible vendor)", what, addrString(d))
	}

	// The dispensation a row claims covers the device only if it is for
	// the device's real manufacturer.
	var disp Dispensation
	covered := false
	if row != nil && row.DispensationID != "" {
		if dd, ok := pol.Dispensation(row.DispensationID); ok && (maker == "" || nc.same(dd.Manufacturer, maker) || nc.same(dd.Manufacturer, d.Brand)) {
			disp, covered = dd, true
		}
	}
	if covered {
		days := disp.Expires.DaysUntil(today)
		switch {
		case days < 0:
			add(KindDispensationExpired, SeverityHigh, "%s: dispensation %s (%s, owner %s) expired on %s, %d days ago", what, disp.ID, disp.Manufacturer, disp.Owner, disp.Expires, -days)
		case days <= pol.ExpiryWarningDays:
			add(KindDispensationExpiring, SeverityWarning, "%s: dispensation %s (%s, owner %s) expires on %s, in %d days", what, disp.ID, disp.Manufacturer, disp.Owner, disp.Expires, days)
		}
	}
	if nc.banned(pol, maker) && !covered {
		why := "no dispensation covers it"
		if row != nil && row.DispensationID != "" {
			if dd, ok := pol.Dispensation(row.DispensationID); ok {
				why = fmt.Sprintf("its row names %s, which is for %s", dd.ID, dd.Manufacturer)
			} else {
				why = fmt.Sprintf("its row names %s, which the policy does not know", row.DispensationID)
			}
		}
		brand := ""
		if d.Brand != "" && !nc.same(d.Brand, maker) {
			brand = fmt.Sprintf(" (sold as %s)", d.Brand)
		}
		add(KindBannedManufacturer, SeverityHigh, "%s is made by %s%s, a banned manufacturer, and %s", what, maker, brand, why)
	}
	if segs := pol.site(scope.Site).CameraSegments; len(segs) > 0 && d.IP.IsValid() && !containsAddr(segs, d) {
		add(KindOutsideCameraSegment, SeverityHigh, "%s at %s is outside %s's camera segments %s", what, addrString(d), scope.Site, prefixList(segs))
	}
	if vms != nil {
		// The VMS's own list decides, whatever the registry's column says.
		if why := offVMS(d, vms, covered, pol.recording(scope.Site, scope)); why != "" {
			add(KindNotOnCentralVMS, SeverityMedium, "%s at %s: %s", what, addrString(d), why)
		}
	}
	if row == nil {
		return out
	}
	switch {
	case vms != nil:
	case row.VMS == VMSLocal:
		add(KindNotOnCentralVMS, SeverityMedium, "registry row %s records to a local server, not the central VMS", row.ID)
	case row.VMS == VMSClosedNet && !covered:
		add(KindNotOnCentralVMS, SeverityMedium, "registry row %s records on a closed network, allowed only under a dispensation, and none covers it", row.ID)
	}
	if diffs := identityDiffs(d, row); len(diffs) > 0 {
		add(KindIdentityMismatch, SeverityWarning, "matched registry row %s by %s, but %s (swapped device?)", row.ID, by, strings.Join(diffs, "; "))
	}
	if by != MatchIP && row.IP.IsValid() && d.IP.IsValid() && row.IP != d.IP.Unmap() {
		add(KindAddressChanged, SeverityInfo, "registry row %s (matched by %s) is registered at %s, found at %s", row.ID, by, row.IP, addrString(d))
	}
	return out
}

// identityDiffs lists what the row says that the device contradicts. A side
// that says nothing contradicts nothing.
func identityDiffs(d Device, row *Row) []string {
	var diffs []string
	if NormalizeVendor(row.Vendor) != "" && (d.Manufacturer != "" || d.Brand != "") && !vendorCompatible(row.Vendor, d) {
		diffs = append(diffs, fmt.Sprintf("vendor %q registered, %q found", row.Vendor, cmp.Or(d.Brand, d.Manufacturer)))
	}
	if nm := normalizeModel(row.Model); nm != "" && normalizeModel(d.Model) != "" && nm != normalizeModel(d.Model) {
		diffs = append(diffs, fmt.Sprintf("model %q registered, %q found", row.Model, d.Model))
	}
	if row.Serial != "" && d.Serial != "" && serialKey(row.Serial) != serialKey(d.Serial) {
		diffs = append(diffs, fmt.Sprintf("serial %q registered, %q found", row.Serial, d.Serial))
	}
	if mac := deviceMAC(d); row.MAC != "" && mac != "" && row.MAC != mac {
		diffs = append(diffs, fmt.Sprintf("MAC %s registered, %s found", row.MAC, mac))
	}
	return diffs
}

// missingFindings reports rows of the scanned site whose address the sweep
// covered and that no device matched. A row without an IP cannot be placed
// in the scope and is never reported missing.
func missingFindings(rows []Row, claimed []bool, scope Scope) []Finding {
	var out []Finding
	for j := range rows {
		r := &rows[j]
		if scope.Partial || claimed[j] || !inSite(r.Site, scope.Site) || !scope.Contains(r.IP) {
			continue
		}
		out = append(out, Finding{
			Key:  findingKey(KindMissingCamera, r.Site, "row="+r.ID),
			Kind: KindMissingCamera, Severity: SeverityWarning,
			Site: r.Site, IP: r.IP.String(), MAC: r.MAC, RegistryID: r.ID, Brand: r.Vendor, Model: r.Model,
			Detail: fmt.Sprintf("registry row %s (%s, %s) is inside the scanned scope and was not seen", r.ID, cmp.Or(r.Vendor, "vendor unknown"), rowPlace(r)),
		})
	}
	return out
}

func rowPlace(r *Row) string {
	parts := []string{}
	for _, s := range []string{r.Building, r.Location} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "location unknown"
	}
	return strings.Join(parts, ", ")
}

// suppress moves findings under a valid suppression out of the result. An
// expired suppression hides nothing; the finding says it lapsed.
func suppress(all []Finding, pol *Policy, today Date) (kept, hidden []Finding) {
	if len(pol.Suppressions) == 0 {
		return all, nil
	}
	by := make(map[string]Suppression, len(pol.Suppressions))
	for _, s := range pol.Suppressions {
		by[s.Key] = s
	}
	kept = make([]Finding, 0, len(all))
	for _, f := range all {
		s, ok := by[f.Key]
		switch {
		case !ok:
			kept = append(kept, f)
		case s.Expires.DaysUntil(today) >= 0:
			hidden = append(hidden, f)
		default:
			f.Detail += fmt.Sprintf(" (its suppression lapsed on %s: %s)", s.Expires, s.Reason)
			kept = append(kept, f)
		}
	}
	return kept, hidden
}

// sortFindings orders findings worst first, then by key; the rest of the
// comparison only makes the order total when keys repeat. Findings are
// large structs, so the sort permutes indices and moves each finding once.
func sortFindings(fs []Finding) {
	idx := make([]int32, len(fs))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(i, j int32) int { return compareFindings(&fs[i], &fs[j]) })
	sorted := make([]Finding, len(fs))
	for n, i := range idx {
		sorted[n] = fs[i]
	}
	copy(fs, sorted)
}

func compareFindings(a, b *Finding) int {
	if a.Severity != b.Severity {
		return cmp.Compare(b.Severity, a.Severity)
	}
	// Keys are almost always unique, so the later fields rarely decide;
	// they only make the order total. Compared one by one, not gathered
	// into a table first: this runs n log n times on a large estate.
	if r := strings.Compare(a.Key, b.Key); r != 0 {
		return r
	}
	if r := strings.Compare(a.IP, b.IP); r != 0 {
		return r
	}
	if r := strings.Compare(a.MAC, b.MAC); r != 0 {
		return r
	}
	if r := strings.Compare(a.RegistryID, b.RegistryID); r != 0 {
		return r
	}
	return strings.Compare(a.Detail, b.Detail)
}

func describe(d Device) string {
	name := cmp.Or(d.Brand, d.Manufacturer, "unknown maker")
	if d.Model != "" {
		name += " " + d.Model
	}
	return name + " " + cmp.Or(string(d.Class), "device")
}

func addrString(d Device) string {
	if !d.IP.IsValid() {
		return ""
	}
	return d.IP.Unmap().String()
}
