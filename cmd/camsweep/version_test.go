package main

import (
	"regexp"
	"testing"
)

// TestVersionNamesDataDates: a user can tell from `camsweep version` how
// current the shipped recog databases and IEEE registry are.
func TestVersionNamesDataDates(t *testing.T) {
	stdout, stderr, code := camsweep(t, "", "version")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`(?m)^recog data 20\d\d-\d\d-\d\d \(https://github.com/rapid7/recog [0-9a-f]{40}\)$`,
		`(?m)^oui data 20\d\d-\d\d-\d\d \(npm oui-data \d+\.\d+\.\d+ `,
	} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("version output lacks %s:\n%s", want, stdout)
		}
	}
}
