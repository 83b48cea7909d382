package serve

import (
	"time"
)

// nextRun is when a site's next scheduled scan starts.
//
// It is one interval after the previous scheduled start, but never in the
// past: a daemon that was down, or a scan that overran its interval, gives
// one catch-up run now rather than a burst of missed ones. A random jitter
// in [0, Jitter) spreads sites, and a time inside the quiet hours moves to
// the window's end (plus a fresh jitter, so that every site does not start
// the moment the window closes). rnd returns a value in [0, n).
func nextRun(sch Schedule, last, now time.Time, rnd func(n int64) int64) time.Time {
	next := now
	if !last.IsZero() {
		if due := last.Add(sch.Interval); due.After(now) {
			next = due
		}
	}
	next = next.Add(jitter(sch.Jitter, rnd))
	// A window is at most a day long, so a few rounds settle it even when
	// jitter lands the end of one window inside the next (short gaps).
	for range 3 {
		end, quiet := sch.QuietHours.until(next)
		if !quiet {
			break
		}
		next = end.Add(jitter(sch.Jitter, rnd))
	}
	return next
}

func jitter(max time.Duration, rnd func(n int64) int64) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(rnd(int64(max)))
}

// length is how long the window lasts (daylight-saving days aside); 0
// for no window.
func (q *QuietHours) length() time.Duration {
	if q == nil || q.start == q.end {
		return 0
	}
	minutes := q.end - q.start
	if minutes < 0 { // across midnight
		minutes += 24 * 60
	}
	return time.Duration(minutes) * time.Minute
}

// until reports whether t falls in the quiet window and, if so, when the
// window ends. Times are read in the window's time zone, so "07:00" stays
// seven in the morning across daylight-saving changes. A nil window is
// never quiet.
func (q *QuietHours) until(t time.Time) (time.Time, bool) {
	if q == nil {
		return time.Time{}, false
	}
	loc := q.loc
	if loc == nil {
		loc = time.Local
	}
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	at := func(dayOffset, minutes int) time.Time {
		return time.Date(lt.Year(), lt.Month(), lt.Day()+dayOffset, minutes/60, minutes%60, 0, 0, loc)
	}
	switch {
	case q.start < q.end: // e.g. 07:00-09:00
		if m >= q.start && m < q.end {
			return at(0, q.end), true
		}
	case q.start > q.end: // e.g. 22:00-06:00, across midnight
		if m >= q.start {
			return at(1, q.end), true
		}
		if m < q.end {
			return at(0, q.end), true
		}
	}
	return time.Time{}, false
}
