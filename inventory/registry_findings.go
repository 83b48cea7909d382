package inventory

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// registryFindings reports what is wrong with the registry itself, for the
// rows of site ("" for all): registry_conflict and dispensation_overclaimed.
// A group of rows is reported when any of its rows belongs to the site.
func registryFindings(rows []Row, pol *Policy, site string) []Finding {
	var out []Finding
	conflict := func(what, value string, ids []string, keySite string) {
		slices.Sort(ids)
		out = append(out, Finding{
			Key:  findingKey(KindRegistryConflict, keySite, what+"="+value),
			Kind: KindRegistryConflict, Severity: SeverityWarning, Site: keySite,
			RegistryID: ids[0], RegistryIDs: ids,
			Detail: fmt.Sprintf("%d registry rows claim %s %s: %s", len(ids), what, value, strings.Join(ids, ", ")),
		})
	}
	group := func(what string, keyOf func(r *Row) string, global bool) {
		groups := map[string][]int{}
		for j := range rows {
			if k := keyOf(&rows[j]); k != "" && (global || inSite(rows[j].Site, site)) {
				groups[k] = append(groups[k], j)
			}
		}
		for k, js := range groups {
			if len(js) < 2 || !anyInSite(rows, js, site) {
				continue
			}
			ids := make([]string, len(js))
			for n, j := range js {
				ids[n] = rows[j].ID
			}
			value := k
			if what == "ip" {
				value = k[strings.IndexByte(k, '|')+1:]
			}
			conflict(what, value, ids, siteOr(site, rows[js[0]].Site))
		}
	}
	group("id", func(r *Row) string { return r.ID }, true)
	group("mac", func(r *Row) string { return r.MAC }, true)
	group("serial", func(r *Row) string {
		if r.Serial == "" {
			return ""
		}
		return serialKey(r.Serial)
	}, true)
	// The same private address at two hospitals is no conflict.
	group("ip", func(r *Row) string {
		if !r.IP.IsValid() {
			return ""
		}
		return strings.ToUpper(r.Site) + "|" + r.IP.String()
	}, false)

	if pol == nil {
		return out
	}
	claims := map[string][]int{}
	for j := range rows {
		r := &rows[j]
		if r.DispensationID == "" {
			continue
		}
		if _, ok := pol.Dispensation(r.DispensationID); !ok {
			if inSite(r.Site, site) {
				out = append(out, Finding{
					Key:  findingKey(KindRegistryConflict, r.Site, "row="+r.ID+"/dispensation"),
					Kind: KindRegistryConflict, Severity: SeverityWarning, Site: r.Site,
					IP: AddrOrEmpty(r.IP), MAC: r.MAC, RegistryID: r.ID,
					Detail: fmt.Sprintf("registry row %s names dispensation %q, which the policy does not know", r.ID, r.DispensationID),
				})
			}
			continue
		}
		claims[r.DispensationID] = append(claims[r.DispensationID], j)
	}
	for _, d := range pol.Dispensations {
		js := claims[d.ID]
		if len(js) <= d.MaxCameras || !anyInSite(rows, js, site) {
			continue
		}
		ids := make([]string, len(js))
		for n, j := range js {
			ids[n] = rows[j].ID
		}
		slices.Sort(ids)
		keySite := siteOr(site, rows[js[0]].Site)
		out = append(out, Finding{
			Key:  findingKey(KindDispensationOverclaimed, keySite, "dispensation="+d.ID),
			Kind: KindDispensationOverclaimed, Severity: SeverityWarning, Site: keySite,
			RegistryID: ids[d.MaxCameras], RegistryIDs: ids,
			Detail: fmt.Sprintf("%d registry rows claim dispensation %s, which allows %d; the first over the limit (by id) is %s", len(ids), d.ID, d.MaxCameras, ids[d.MaxCameras]),
		})
	}
	return out
}

func anyInSite(rows []Row, js []int, site string) bool {
	for _, j := range js {
		if inSite(rows[j].Site, site) {
			return true
		}
	}
	return false
}

func siteOr(site, fallback string) string {
	if site != "" {
		return site
	}
	return fallback
}

// AddrOrEmpty is an address as reports and logs show it: "" for the zero
// address, which String would print as "invalid IP".
func AddrOrEmpty(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
