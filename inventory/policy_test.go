package inventory

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// designPolicy is the policy as docs/registry.md shows it.
const designPolicy = `banned_manufacturers: [Hikvision, Dahua]      # judged on the real manufacturer, so rebrands count
expiry_warning_days: 30
dispensations:
  - id: DISP-HIK-70
    manufacturer: Hikvision
    owner: CIMT
    reason: clinical cameras, hard to replace; separate closed network with compensating controls
    expires: 2026-08-18
    max_cameras: 70                           # more rows claiming it is itself a finding
sites:
  NOH:
    camera_segments: [10.20.8.0/22]           # the closed camera networks of the site
suppressions:
  - key: "unregistered_camera/NOH/mac=3c:ef:8c:00:00:01"
    reason: "accepted until the building closes"
    expires: 2027-03-31
`

func TestParsePolicyDesignExample(t *testing.T) {
	p, err := ParsePolicy("policy.yaml", []byte(designPolicy))
	if err != nil {
		t.Fatal(err)
	}
	want := &Policy{
		BannedManufacturers: []string{"Hikvision", "Dahua"},
		ExpiryWarningDays:   30,
		Dispensations: []Dispensation{{ID: "DISP-HIK-70", Manufacturer: "Hikvision", Owner: "CIMT",
			Reason:  "clinical cameras, hard to replace; separate closed network with compensating controls",
			Expires: Date{2026, time.August, 18}, MaxCameras: 70, Line: 4}},
		Sites: map[string]SitePolicy{"NOH": {CameraSegments: []netip.Prefix{netip.MustParsePrefix("10.20.8.0/22")}}},
		Suppressions: []Suppression{{Key: "unregistered_camera/NOH/mac=3c:ef:8c:00:00:01", Reason: "accepted until the building closes",
			Expires: Date{2027, time.March, 31}, Line: 14}},
		Location: mustLoadLocation(t, DefaultPolicyTimezone),
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got  %+v\nwant %+v", p, want)
	}
	if !p.Banned("Hangzhou Hikvision Digital Technology Co.,Ltd.") || p.Banned("Axis Communications AB") || p.Banned("") {
		t.Error("Banned judges names wrongly")
	}
}

func TestParsePolicyDefaults(t *testing.T) {
	p, err := ParsePolicy("p.yaml", []byte("banned_manufacturers: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.ExpiryWarningDays != DefaultExpiryWarningDays {
		t.Errorf("default warning window %d, want %d", p.ExpiryWarningDays, DefaultExpiryWarningDays)
	}
}

// TestParsePolicyInvalid: each bad policy gives exactly these errors, in
// this order, at these positions.
func TestParsePolicyRecording(t *testing.T) {
	doc := `approved_recorders: [10.20.1.10, 10.20.1.0/28]
internal_prefixes: [10.0.0.0/8, 2001:db8:100::/40]
sites:
  NOH:
    camera_segments: [10.20.8.0/22]
    approved_recorders: [10.20.8.40]
    approved_viewers: ["2001:db8:100::7"]
`
	p, err := ParsePolicy("p.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := RecordingPolicy{
		ApprovedRecorders: []netip.Prefix{netip.MustParsePrefix("10.20.1.10/32"), netip.MustParsePrefix("10.20.1.0/28")},
		InternalPrefixes:  []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:100::/40")},
	}
	if !reflect.DeepEqual(p.Recording, want) {
		t.Errorf("region-wide recording %+v, want %+v", p.Recording, want)
	}
	noh := p.Sites["NOH"].Recording
	if len(noh.ApprovedRecorders) != 1 || noh.ApprovedRecorders[0] != netip.MustParsePrefix("10.20.8.40/32") || noh.ApprovedViewers[0] != netip.MustParsePrefix("2001:db8:100::7/128") {
		t.Errorf("NOH's recording %+v", noh)
	}
	rp := p.recording("NOH", Scope{Prefixes: []netip.Prefix{netip.MustParsePrefix("192.168.50.0/24")}})
	if !rp.enforced || len(rp.recorders) != 3 || rp.external(netip.MustParseAddr("10.9.9.9")) || !rp.external(netip.MustParseAddr("172.16.0.1")) || rp.external(netip.MustParseAddr("192.168.50.9")) {
		t.Errorf("joined recording policy %+v: the region's internal prefixes replace the private default; the scope is always internal", rp)
	}
}

func TestParsePolicyInvalid(t *testing.T) {
	disp := "dispensations:\n  - id: D-1\n    manufacturer: Hikvision\n    owner: CIMT\n    reason: r\n    expires: 2026-08-18\n    max_cameras: 7\n"
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"unknown key", "banned_manufacturer: [Dahua]\n", []string{`p.yaml:1:1: unknown key "banned_manufacturer"`}},
		{"banned not list", "banned_manufacturers: Dahua\n", []string{"p.yaml:1:23: banned_manufacturers: want a list"}},
		{"banned twice", "banned_manufacturers: [Dahua, 'Dahua Technology Co., Ltd.']\n", []string{`p.yaml:1:31: manufacturer "Dahua Technology Co., Ltd." listed twice`}},
		{"banned empty name", "banned_manufacturers: [Dahua, '']\n", []string{"p.yaml:1:31: banned_manufacturers: want a manufacturer name"}},
		{"window", "expiry_warning_days: soon\n", []string{"p.yaml:1:22: expiry_warning_days: want a whole number"}},
		{"window negative", "expiry_warning_days: -1\n", []string{"p.yaml:1:22: expiry_warning_days"}},
		{"key twice", "expiry_warning_days: 1\nexpiry_warning_days: 2\n", []string{"p.yaml:2:1: expiry_warning_days given twice"}},
		{"dispensation date", strings.Replace(disp, "2026-08-18", "2026-02-30", 1), []string{`p.yaml:6:14: dispensation D-1: expires "2026-02-30": want YYYY-MM-DD`}},
		{"dispensation owner", strings.Replace(disp, "CIMT", "IT", 1), []string{`p.yaml:4:12: dispensation D-1: owner "IT": want CEJ or CIMT`}},
		{"dispensation max", strings.Replace(disp, "max_cameras: 7", "max_cameras: 0", 1), []string{`p.yaml:7:18: dispensation D-1: max_cameras "0"`}},
		{"dispensation missing", strings.Replace(disp, "    reason: r\n", "", 1), []string{"p.yaml:2:5: dispensation D-1: reason is required"}},
		{"dispensation unknown key", disp + "    scope: all\n", []string{`p.yaml:8:5: dispensation D-1: unknown key "scope"`}},
		{"dispensation duplicate", disp + strings.TrimPrefix(disp, "dispensations:\n"), []string{"p.yaml:8:9: dispensation D-1: duplicate id (first at line 2)"}},
		{"dispensation id", strings.Replace(disp, "D-1", "D 1", 1), []string{`p.yaml:2:9: dispensation D 1: id "D 1"`}},
		{"segment", "sites:\n  NOH:\n    camera_segments: [10.20.8.0/33]\n", []string{`p.yaml:3:23: site NOH: "10.20.8.0/33" is not a prefix`}},
		{"segment host bits", "sites:\n  NOH:\n    camera_segments: [10.20.9.0/22]\n", []string{"p.yaml:3:23: site NOH: 10.20.9.0/22 has host bits set; did you mean 10.20.8.0/22?"}},
		{"site key", "sites:\n  NOH:\n    segments: [10.20.8.0/22]\n", []string{`p.yaml:3:5: site NOH: unknown key "segments"`}},
		{"recorder not an address", "approved_recorders: [10.20.1.10, vms01]\n", []string{`p.yaml:1:34: policy: "vms01" is not an address such as 10.20.1.10 or a prefix`}},
		{"recorders not a list", "approved_recorders: 10.20.1.10\n", []string{"p.yaml:1:21: policy: approved_recorders: want a list of addresses or prefixes"}},
		{"viewer host bits", "sites:\n  NOH:\n    approved_viewers: [10.20.2.7/24]\n", []string{"p.yaml:3:24: site NOH: 10.20.2.7/24 has host bits set; did you mean 10.20.2.0/24?"}},
		{"internal zone", "internal_prefixes: ['fe80::1%eth0']\n", []string{`p.yaml:1:21: policy: "fe80::1%eth0" is not an address`}},
		{"suppression expiry", "suppressions:\n  - key: k\n    reason: r\n", []string{"p.yaml:2:5: suppression: expires is required"}},
		{"suppression reason", "suppressions:\n  - key: k\n    reason: ''\n    expires: 2027-01-01\n", []string{"p.yaml:3:13: suppression: reason: say why"}},
		{"suppression twice", "suppressions:\n  - {key: k, reason: r, expires: 2027-01-01}\n  - {key: k, reason: r, expires: 2027-01-01}\n", []string{`p.yaml:3:11: suppression: key "k" already suppressed at line 2`}},
		{"not a mapping", "- a\n", []string{"p.yaml:1:1: want a mapping"}},
		{"empty", "", []string{"p.yaml:1:1: empty policy"}},
		{"syntax", "sites: [\n", []string{"p.yaml:1: YAML"}},
		{"timezone", "timezone: Europe/Kobenhavn\n", []string{`p.yaml:1:11: timezone "Europe/Kobenhavn": want an IANA time zone name`}},
		{"timezone empty", "timezone: ''\n", []string{`p.yaml:1:11: timezone "": want an IANA`}},
		{"many at once", "banned_manufacturers: Dahua\nexpiry_warning_days: x\n", []string{"p.yaml:1:23:", "p.yaml:2:22:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicy("p.yaml", []byte(tt.doc))
			if err == nil {
				t.Fatalf("no error; policy %+v", p)
			}
			if p != nil {
				t.Error("a policy came back with the error")
			}
			var errs *Errors
			if !errors.As(err, &errs) || !strings.HasPrefix(err.Error(), "inventory: parse policy: ") {
				t.Fatalf("error %T %q: want *Errors prefixed inventory: parse policy", err, err)
			}
			if len(errs.Errs) != len(tt.want) {
				t.Fatalf("got %d errors %q, want %d %q", len(errs.Errs), err, len(tt.want), tt.want)
			}
			for i, e := range errs.Errs {
				if !strings.Contains(e.Error(), tt.want[i]) {
					t.Errorf("error %d = %q, want %q", i, e, tt.want[i])
				}
				var re *RowError
				if !errors.As(e, &re) {
					t.Errorf("error %d is %T, want *RowError", i, e)
				}
			}
		})
	}
}

func mustLoadLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestPolicyExpiryTimezone: an expiry date means a calendar day in the
// policy's zone, Danish by default, whatever zone the process runs in.
func TestPolicyExpiryTimezone(t *testing.T) {
	const doc = "dispensations:\n  - {id: D-1, manufacturer: Hikvision, owner: CIMT, reason: r, expires: 2026-08-18, max_cameras: 1}\n"
	// 22:30 UTC on the expiry day is 00:30 the next day in Copenhagen (CEST).
	lateOnExpiryDay := time.Date(2026, time.August, 18, 22, 30, 0, 0, time.UTC)
	tests := []struct {
		name, timezone string
		now            time.Time
		wantToday      Date
		wantState      string
		wantEnds       time.Time
	}{
		{"default zone, after Danish midnight", "", lateOnExpiryDay, Date{2026, time.August, 19}, DispensationExpired,
			time.Date(2026, time.August, 18, 22, 0, 0, 0, time.UTC)},
		{"default zone, before Danish midnight", "", lateOnExpiryDay.Add(-time.Hour), Date{2026, time.August, 18}, DispensationExpiring,
			time.Date(2026, time.August, 18, 22, 0, 0, 0, time.UTC)},
		{"UTC policy", "timezone: UTC\n", lateOnExpiryDay, Date{2026, time.August, 18}, DispensationExpiring,
			time.Date(2026, time.August, 19, 0, 0, 0, 0, time.UTC)},
		{"winter time", "timezone: Europe/Copenhagen\n", time.Date(2026, time.January, 1, 23, 30, 0, 0, time.UTC), Date{2026, time.January, 2}, DispensationValid,
			time.Date(2026, time.August, 18, 22, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicy("p.yaml", []byte(tt.timezone+doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Today(tt.now); got != tt.wantToday {
				t.Errorf("Today = %v, want %v", got, tt.wantToday)
			}
			claims := DispensationClaims(nil, p, tt.now)
			if len(claims) != 1 || claims[0].State != tt.wantState {
				t.Errorf("claims %+v, want one in state %s", claims, tt.wantState)
			}
			if got := p.ExpiryInstant(p.Dispensations[0].Expires); !got.Equal(tt.wantEnds) {
				t.Errorf("ExpiryInstant = %v, want %v", got.UTC(), tt.wantEnds)
			}
		})
	}
}

func TestDateDaysUntil(t *testing.T) {
	exp := Date{2026, time.August, 18}
	tests := []struct {
		now  time.Time
		want int
	}{
		{time.Date(2026, 8, 18, 23, 59, 0, 0, time.UTC), 0},
		{time.Date(2026, 8, 19, 0, 0, 0, 0, time.UTC), -1},
		{time.Date(2026, 7, 19, 12, 0, 0, 0, time.UTC), 30},
		{time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), -102},
		// The date is taken in the time's own zone: 23:30 UTC on the 18th
		// is already the 19th in Copenhagen.
		{time.Date(2026, 8, 18, 23, 30, 0, 0, time.FixedZone("CEST", 2*3600)), 0},
		{time.Date(2026, 8, 18, 23, 30, 0, 0, time.UTC).In(time.FixedZone("CEST", 2*3600)), -1},
	}
	for _, tt := range tests {
		if got := exp.DaysUntil(DateOf(tt.now)); got != tt.want {
			t.Errorf("%v: DaysUntil = %d, want %d", tt.now, got, tt.want)
		}
	}
}
