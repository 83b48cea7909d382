package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfigRefusesARateTooLowForTheInterval: a sweep that cannot
// finish within its schedule interval at its rate would run back to back
// forever; --check-config refuses it and says how long it would take.
func TestCheckConfigRefusesARateTooLowForTheInterval(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"tokens":       "token-for-the-check-0123456789\n",
		"registry.csv": "id,site,ip,category,owner,vms\n",
		"policy.yaml":  "banned_manufacturers: [Hikvision]\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	config := func(rate, interval string) string {
		p := filepath.Join(dir, "camsweep.yaml")
		body := `listen: 127.0.0.1:9750
api_tokens_file: tokens
history: {path: h.db}
sites:
  - name: NOH
    scope: {targets: [10.20.0.0/16]}
    schedule: {interval: ` + interval + `}
    ports: ["80", "554"]
    rate: ` + rate + `
    registry: registry.csv
    policy: policy.yaml
`
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// 65,536 addresses, at least a connection attempt to each of the two
	// ports (nothing answers in the fewest case): 131,072 packets, at 2 per
	// second 65,536 s.
	_, stderr, code := camsweep(t, "", "serve", "--check-config", "--config", config("2", "6h"))
	if code != exitError || !strings.Contains(stderr, "site NOH: at rate 2 per second a sweep takes at least 18h12m16s") ||
		!strings.Contains(stderr, "longer than schedule.interval 6h0m0s") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	stdout, stderr, code := camsweep(t, "", "serve", "--check-config", "--config", config("200", "6h"))
	if code != exitOK || !strings.Contains(stdout, "configuration ok") {
		t.Errorf("a rate that fits: exit %d, %s%s", code, stdout, stderr)
	}
}
