package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func unitPath(t *testing.T) string {
	return filepath.Join(deployDir(t), "systemd", "camsweep.service")
}

// unitDirectives returns the [Service] section's directives; keys that repeat
// (SystemCallFilter) keep every value.
func unitDirectives(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	section := ""
	for _, line := range strings.Split(string(readFile(t, unitPath(t))), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			section = line
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok && section == "[Service]" {
			out[k] = append(out[k], v)
		}
	}
	return out
}

func TestSystemdUnitHardening(t *testing.T) {
	d := unitDirectives(t)
	want := map[string]string{
		"DynamicUser":             "yes",
		"AmbientCapabilities":     "CAP_NET_RAW",
		"CapabilityBoundingSet":   "CAP_NET_RAW",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"StateDirectory":          "camsweep",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_PACKET AF_NETLINK AF_UNIX",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectKernelLogs":       "yes",
		"ProtectControlGroups":    "yes",
		"RestrictNamespaces":      "yes",
		"LockPersonality":         "yes",
		// A bad config must fail the start or reload, checked inside the
		// unit's sandbox with its credentials, before the daemon sees it.
		"ExecStartPre": "/usr/local/bin/camsweep serve --check-config --config /etc/camsweep/camsweep.yaml",
		"ExecReload":   "/usr/local/bin/camsweep serve --check-config --config /etc/camsweep/camsweep.yaml | /bin/kill -HUP $MAINPID",
	}
	for k, v := range want {
		if got := strings.Join(d[k], " | "); got != v {
			t.Errorf("%s=%q, want %q", k, got, v)
		}
	}
	if f := d["SystemCallFilter"]; len(f) == 0 || f[0] != "@system-service" {
		t.Errorf("SystemCallFilter=%v, want @system-service first", f)
	}
	if !strings.Contains(strings.Join(d["ExecStart"], ""), " serve ") {
		t.Errorf("ExecStart %v does not run `camsweep serve`", d["ExecStart"])
	}
	// Either would cut the sensor off from the host's networks or its capability.
	for _, k := range []string{"PrivateNetwork", "PrivateUsers"} {
		if len(d[k]) > 0 {
			t.Errorf("%s must not be set: the sensor needs the host's interfaces with CAP_NET_RAW", k)
		}
	}
}

// systemdCopy writes the unit with ExecStart pointing at an executable that
// exists here, since systemd-analyze verify checks the binary is there.
func systemdCopy(t *testing.T) string {
	dir := t.TempDir()
	bin := filepath.Join(dir, "camsweep")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	unit := strings.ReplaceAll(string(readFile(t, unitPath(t))), "/usr/local/bin/camsweep", bin)
	path := filepath.Join(dir, "camsweep.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSystemdAnalyzeVerify(t *testing.T) {
	sa := needTool(t, "systemd-analyze", "systemd")
	unit := systemdCopy(t)
	out, err := runTool(t, filepath.Dir(unit), sa, "verify", unit)
	// verify exits 0 on unknown keys and unparsable values, printing a
	// warning; any output about the unit is a defect.
	if err != nil || strings.Contains(out, "camsweep.service") {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// The exposure score systemd computes for the unit (0 is best, 10 worst);
// 2.5 leaves room for what the sensor must keep (network, CAP_NET_RAW).
func TestSystemdSecurityExposure(t *testing.T) {
	sa := needTool(t, "systemd-analyze", "systemd")
	unit := systemdCopy(t)
	out, _ := runTool(t, filepath.Dir(unit), sa, "security", "--offline=yes", unit)
	m := regexp.MustCompile(`Overall exposure level for camsweep\.service: ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Skipf("systemd-analyze security --offline unsupported here (systemd < 250?):\n%s", out)
	}
	score, _ := strconv.ParseFloat(m[1], 64)
	t.Logf("systemd-analyze security exposure: %.1f", score)
	if score > 2.5 {
		t.Errorf("exposure %.1f > 2.5:\n%s", score, out)
	}
}
