package inventory

import (
	"strings"
	"testing"
)

// TestPolicyNumbersFinite pins issue 15's rule for the policy: every number
// is a finite whole number in its range; YAML's .inf and .nan, and
// negatives, are errors at their position. (expiry_warning_days 0 is
// meaningful: warn on the expiry day only.)
func TestPolicyNumbersFinite(t *testing.T) {
	disp := func(max string) string {
		return "dispensations:\n  - {id: D1, manufacturer: Hikvision, owner: CIMT, reason: r, expires: 2026-08-18, max_cameras: " + max + "}\n"
	}
	tests := []struct{ doc, want string }{
		{"expiry_warning_days: .inf\n", "policy.yaml:1:22: expiry_warning_days: want a whole number of days, 0 to 3650"},
		{"expiry_warning_days: .nan\n", "policy.yaml:1:22: expiry_warning_days: want a whole number"},
		{"expiry_warning_days: -1\n", "policy.yaml:1:22: expiry_warning_days: want a whole number"},
		{"expiry_warning_days: 1e3\n", "policy.yaml:1:22: expiry_warning_days: want a whole number"},
		{disp(".inf"), `max_cameras ".inf": want a whole number, at least 1`},
		{disp("-.inf"), `max_cameras "-.inf": want a whole number, at least 1`},
		{disp(".NaN"), `max_cameras ".NaN": want a whole number, at least 1`},
		{disp("0"), `max_cameras "0": want a whole number, at least 1`},
		{disp("-3"), `max_cameras "-3": want a whole number, at least 1`},
	}
	for _, tt := range tests {
		_, err := ParsePolicy("policy.yaml", []byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want it to contain %q", tt.doc, err, tt.want)
		}
	}
	if _, err := ParsePolicy("policy.yaml", []byte("expiry_warning_days: 0\n"+disp("70"))); err != nil {
		t.Errorf("valid numbers refused: %v", err)
	}
}
