package inventory

import (
	"slices"
	"strings"
	"time"
)

// DispensationClaim is one dispensation with how many registry rows claim
// it, for the daemon's metrics (expiry timestamps, claims against the cap).
type DispensationClaim struct {
	Dispensation
	// Claimed counts registry rows naming the dispensation, all sites.
	Claimed int `json:"claimed"`
	// ClaimedBySite splits Claimed by the rows' site (as written).
	ClaimedBySite map[string]int `json:"claimed_by_site"`
	// DaysLeft is the number of days until expiry from today: 0 on the
	// expiry day, negative once expired.
	DaysLeft int `json:"days_left"`
	// State is "valid", "expiring" (inside the warning window) or "expired".
	State string `json:"state"`
}

// Dispensation states.
const (
	DispensationValid    = "valid"
	DispensationExpiring = "expiring"
	DispensationExpired  = "expired"
)

// DispensationClaims lists the policy's dispensations, sorted by id, with
// their claim counts and their state on now's calendar date.
func DispensationClaims(reg *Registry, pol *Policy, now time.Time) []DispensationClaim {
	if pol == nil {
		return nil
	}
	today := pol.Today(now)
	out := make([]DispensationClaim, 0, len(pol.Dispensations))
	index := map[string]int{}
	for _, d := range pol.Dispensations {
		c := DispensationClaim{Dispensation: d, ClaimedBySite: map[string]int{}, DaysLeft: d.Expires.DaysUntil(today)}
		switch {
		case c.DaysLeft < 0:
			c.State = DispensationExpired
		case c.DaysLeft <= pol.ExpiryWarningDays:
			c.State = DispensationExpiring
		default:
			c.State = DispensationValid
		}
		index[d.ID] = len(out)
		out = append(out, c)
	}
	if reg != nil {
		for _, r := range reg.Rows {
			if i, ok := index[r.DispensationID]; ok && r.DispensationID != "" {
				out[i].Claimed++
				out[i].ClaimedBySite[r.Site]++
			}
		}
	}
	slices.SortFunc(out, func(a, b DispensationClaim) int { return strings.Compare(a.ID, b.ID) })
	return out
}
