package serve

import (
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata" // the tests never depend on the machine's zone files
)

func quiet(t *testing.T, start, end, tz string) *QuietHours {
	t.Helper()
	q := &QuietHours{Start: start, End: end, Timezone: tz}
	var problems []string
	q.validate(func(msg, key string) { problems = append(problems, key+": "+msg) })
	if len(problems) > 0 {
		t.Fatalf("quiet hours %s-%s %s: %v", start, end, tz, problems)
	}
	return q
}

func TestNextRun(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatalf("no tz database (time/tzdata is linked in): %v", err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, cph)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	none := func(int64) int64 { return 0 }
	most := func(n int64) int64 { return n - 1 }
	tests := []struct {
		name      string
		sch       Schedule
		last, now string
		rnd       func(int64) int64
		want      time.Time
	}{
		{"first run is now", Schedule{Interval: time.Hour}, "", "2026-03-02 12:00", none, at("2026-03-02 12:00")},
		{"one interval after the last start", Schedule{Interval: time.Hour}, "2026-03-02 11:30", "2026-03-02 12:00", none, at("2026-03-02 12:30")},
		{"missed runs give one run now, not a burst", Schedule{Interval: time.Hour}, "2026-03-01 02:00", "2026-03-02 12:00", none, at("2026-03-02 12:00")},
		{"jitter delays within its bound", Schedule{Interval: time.Hour, Jitter: 10 * time.Minute}, "2026-03-02 11:30", "2026-03-02 12:00", most, at("2026-03-02 12:40").Add(-time.Nanosecond)},
		{"inside quiet hours moves to their end", Schedule{Interval: time.Hour, QuietHours: quiet(t, "07:00", "09:30", "Europe/Copenhagen")}, "2026-03-02 06:30", "2026-03-02 07:00", none, at("2026-03-02 09:30")},
		{"quiet end, jitter drawn as zero", Schedule{Interval: time.Hour, Jitter: time.Minute, QuietHours: quiet(t, "07:00", "09:30", "Europe/Copenhagen")}, "2026-03-02 06:15", "2026-03-02 07:00", none, at("2026-03-02 09:30")},
		{"quiet end, jitter drawn as its most", Schedule{Interval: time.Hour, Jitter: time.Minute, QuietHours: quiet(t, "07:00", "09:30", "Europe/Copenhagen")}, "2026-03-02 06:15", "2026-03-02 07:00", most, at("2026-03-02 09:31").Add(-time.Nanosecond)},
		{"outside quiet hours untouched", Schedule{Interval: time.Hour, QuietHours: quiet(t, "07:00", "09:30", "Europe/Copenhagen")}, "2026-03-02 09:00", "2026-03-02 09:45", none, at("2026-03-02 10:00")},
		{"window across midnight, evening", Schedule{Interval: time.Hour, QuietHours: quiet(t, "22:00", "06:00", "Europe/Copenhagen")}, "2026-03-02 22:00", "2026-03-02 22:30", none, at("2026-03-03 06:00")},
		{"window across midnight, early morning", Schedule{Interval: time.Hour, QuietHours: quiet(t, "22:00", "06:00", "Europe/Copenhagen")}, "2026-03-03 01:00", "2026-03-03 01:30", none, at("2026-03-03 06:00")},
		{"end is the first minute outside", Schedule{Interval: time.Hour, QuietHours: quiet(t, "22:00", "06:00", "Europe/Copenhagen")}, "2026-03-03 05:00", "2026-03-03 05:30", none, at("2026-03-03 06:00")},
		{"quiet hours over a DST change keep the wall clock", Schedule{Interval: time.Hour, QuietHours: quiet(t, "01:00", "04:00", "Europe/Copenhagen")}, "2026-03-29 00:30", "2026-03-29 01:00", none, at("2026-03-29 04:00")},
		{"zone of the window, not of the clock", Schedule{Interval: time.Hour, QuietHours: quiet(t, "07:00", "09:00", "UTC")}, "2026-03-02 07:00", "2026-03-02 07:30", none, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var last time.Time
			if tc.last != "" {
				last = at(tc.last)
			}
			got := nextRun(tc.sch, last, at(tc.now), tc.rnd)
			if !got.Equal(tc.want) {
				t.Errorf("nextRun = %v, want %v", got.In(cph), tc.want.In(cph))
			}
			if end, q := tc.sch.QuietHours.until(got); q {
				t.Errorf("next run %v is inside quiet hours (until %v)", got, end)
			}
		})
	}
}

// TestQuietEndGetsFreshJitter: sites whose runs all fall in the same quiet
// window must not all start at its end; each gets its own jitter after it.
// A real random source, so that a schedule that dropped the second jitter
// (every run exactly at 09:30) fails.
func TestQuietEndGetsFreshJitter(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	sch := Schedule{Interval: time.Hour, Jitter: 10 * time.Minute, QuietHours: quiet(t, "07:00", "09:30", "Europe/Copenhagen")}
	now := time.Date(2026, 3, 2, 7, 0, 0, 0, cph)
	end := time.Date(2026, 3, 2, 9, 30, 0, 0, cph)
	seen := map[time.Time]bool{}
	for range 50 {
		got := nextRun(sch, time.Time{}, now, rand.Int64N)
		if got.Before(end) || !got.Before(end.Add(sch.Jitter)) {
			t.Fatalf("run %v outside [end of quiet hours, +jitter)", got.In(cph))
		}
		seen[got] = true
	}
	if len(seen) < 10 {
		t.Errorf("50 runs after the quiet window gave only %d distinct times", len(seen))
	}
}

// TestJitterSpreadsSites: with a real random source the jitter lands
// inside [0, Jitter) and not always on the same value.
func TestJitterSpreadsSites(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	sch := Schedule{Interval: time.Hour, Jitter: 10 * time.Minute}
	seen := map[time.Time]bool{}
	for range 50 {
		got := nextRun(sch, time.Time{}, now, rand.Int64N)
		if got.Before(now) || !got.Before(now.Add(sch.Jitter)) {
			t.Fatalf("jittered run %v outside [now, now+jitter)", got)
		}
		seen[got] = true
	}
	if len(seen) < 10 {
		t.Errorf("50 jittered runs gave only %d distinct times", len(seen))
	}
}

// The quiet window's length is what the staleness alerts add to three
// intervals (camsweep_scan_quiet_seconds).
func TestQuietHoursLength(t *testing.T) {
	tests := []struct {
		name       string
		start, end string
		want       time.Duration
	}{
		{"morning rounds", "07:00", "09:30", 150 * time.Minute},
		{"across midnight", "22:00", "06:00", 8 * time.Hour},
		{"all but a minute", "00:01", "00:00", 24*time.Hour - time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := quiet(t, tt.start, tt.end, "Europe/Copenhagen").length(); got != tt.want {
				t.Errorf("%s-%s lasts %v, want %v", tt.start, tt.end, got, tt.want)
			}
		})
	}
	var none *QuietHours
	if got := none.length(); got != 0 {
		t.Errorf("no window lasts %v, want 0", got)
	}
}
