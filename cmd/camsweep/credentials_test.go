package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/probe"
	"github.com/camsweep/camsweep/scanner/scantest"
)

// TestCredentialsNeverLeak runs a credentialed sweep of a camera that
// demands a WS-UsernameToken (its clock two hours off) with debug logging,
// and greps every log line and every report format for the password.
func TestCredentialsNeverLeak(t *testing.T) {
	p, err := scantest.PersonaByName("annke-c500-skewed-clock")
	if err != nil {
		t.Fatal(err)
	}
	if p.ONVIF == nil || p.ONVIF.Password == "" {
		t.Fatal("persona no longer requires credentials; the test would prove nothing")
	}
	password := p.ONVIF.Password
	base := scantest.RandomBase()
	n := scantest.StartTB(t, []scantest.HostSpec{{Persona: p}}, scantest.Options{Base: base, Logger: zerolog.Nop()})

	creds := filepath.Join(t.TempDir(), "credentials.yaml")
	if err := os.WriteFile(creds, []byte("onvif:\n  username: "+p.ONVIF.Username+"\n  password: \""+password+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(probe.EnvONVIFUsername, "")
	t.Setenv(probe.EnvONVIFPassword, "")
	target := n.Hosts[0].Addr.String()
	for _, format := range []string{"json", "table", "csv", "html"} {
		stdout, stderr, code := camsweep(t, "", "scan", "--profile", "full", "--ports", strings.Join(n.PortSpec(), ","),
			"--credentials", creds, "--log-level", "debug", "--log-format", "json", "--fail-on", "none",
			"--probe-timeout", "3s", "-o", format, target)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		if strings.Contains(stdout, password) || strings.Contains(stderr, password) {
			t.Fatalf("%s: the password appears in the output or the logs", format)
		}
		if format == "json" {
			// The device answers GetDeviceInformation only to a valid token
			// signed on its own clock, so the manufacturer proves that the
			// credentialed path ran.
			var rep inventory.Report
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Devices) != 1 {
				t.Fatalf("report: %v, %d devices", err, len(rep.Devices))
			}
			ev := rep.Devices[0].Evidence
			if !slices.Contains(ev, evidence.Evidence{Probe: "onvif", Field: "onvif.auth", Value: "ws-usernametoken"}) ||
				!slices.ContainsFunc(ev, func(e evidence.Evidence) bool { return e.Field == "onvif.manufacturer" }) {
				t.Fatalf("the credentialed ONVIF path did not run; evidence: %v", ev)
			}
		}
	}
}
