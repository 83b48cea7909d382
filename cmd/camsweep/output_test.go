package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostileReportJSON is a saved report whose device text carries terminal
// escapes: a screen clear, an OSC 8 hyperlink, a bell, a bidi override.
const hostileReportJSON = `{"schema":"camsweep.report/v1","site":"NOH","scope":{"targets":["10.20.8.0/24"]},
"devices":[{"ip":"10.20.8.9","mac":"","class":"camera","brand":"Dahua\u001b[2J","manufacturer":"Dahua",
"model":"IPC\u001b]8;;http://evil.example/\u001b\\click\u001b]8;;\u001b\\","serial":"SN\u0007\u202e1",
"evidence":[{"probe":"http","field":"http.server","value":"x\u001b[31mred"}]}],"findings":[]}`

// hostileDiffInputs writes hostileReportJSON and a policy banning Dahua
// into a temporary directory, for `camsweep diff`.
func hostileDiffInputs(t *testing.T) (dir, report, policy string) {
	t.Helper()
	dir = t.TempDir()
	report, policy = filepath.Join(dir, "report.json"), filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(report, []byte(hostileReportJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(policy, []byte("banned_manufacturers: [Dahua]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, report, policy
}

// TestDiffTableShowsEscapesInert: `camsweep diff -o table` of a report
// whose devices said hostile things prints them as text.
func TestDiffTableShowsEscapesInert(t *testing.T) {
	_, rep, pol := hostileDiffInputs(t)
	stdout, stderr, code := camsweep(t, "", "diff", "--policy", pol, "--fail-on", "none", "-o", "table", rep)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "unregistered_camera") {
		t.Fatalf("no findings in the table:\n%s", stdout)
	}
	assertNoControl(t, stdout)
}

// assertNoControl fails on any control character but the line break, and
// on the bidi and zero-width format characters.
func assertNoControl(t *testing.T, out string) {
	t.Helper()
	for i, r := range out {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 || r >= 0x200b && r <= 0x200f || r >= 0x202a && r <= 0x202e {
			t.Fatalf("character %U at byte %d of the output:\n%q", r, i, out)
		}
	}
}

// TestOutputFile: --output never writes through a link, creates the report
// 0600 (or --output-mode), and --csv-separator ';' gives Danish Excel its
// semicolons.
func TestOutputFile(t *testing.T) {
	dir, rep, pol := hostileDiffInputs(t)
	diff := func(extra ...string) (string, int) {
		args := append([]string{"diff", "--policy", pol, "--fail-on", "none"}, extra...)
		_, stderr, code := camsweep(t, "", append(args, rep)...)
		return stderr, code
	}

	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "out.csv")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	stderr, code := diff("-o", "csv", "--output", link)
	if code != exitError || !strings.Contains(stderr, "is a symbolic link") {
		t.Errorf("through a link: exit %d, stderr %q", code, stderr)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the link's target was written: %q", b)
	}

	out := filepath.Join(dir, "noh.csv")
	if stderr, code := diff("-o", "csv", "--csv-separator", ";", "--output", out); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(out)
	if !strings.HasPrefix(string(b), "\ufeff\"severity\";\"kind\";\"key\"") {
		t.Errorf("CSV starts %q", b[:min(40, len(b))])
	}
	if stderr, code := diff("-o", "json", "--output-mode", "0640", "--output", out); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o640 {
		t.Errorf("--output-mode 0640 gave %v", fi.Mode().Perm())
	}
	for _, bad := range [][]string{{"--output-mode", "0666"}, {"--output-mode", "rw"}, {"--csv-separator", ":"}} {
		if stderr, code := diff(append(bad, "--output", out)...); code != exitError {
			t.Errorf("%v: exit %d, stderr %q", bad, code, stderr)
		}
	}
}
