package inventory

import (
	"fmt"
	"time"
)

// Date is a calendar day, as policy documents write expiry dates. A
// dispensation or suppression that expires on a Date is valid through the
// whole of that day, wherever the caller's clock is: Reconcile compares it
// with the calendar date of the time it is given, in that time's location.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses YYYY-MM-DD and refuses impossible days (2026-02-30).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("inventory: parse date: %q is not a date in YYYY-MM-DD form", s)
	}
	return DateOf(t), nil
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// MarshalText writes YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Time returns midnight at the start of d in loc (UTC when nil), e.g. for a
// metric's timestamp.
func (d Date) Time(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// DaysUntil counts whole days from today to d: 0 on the day itself,
// negative once d has passed.
func (d Date) DaysUntil(today Date) int {
	return int(d.Time(time.UTC).Sub(today.Time(time.UTC)).Hours() / 24)
}
