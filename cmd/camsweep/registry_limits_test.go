package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRegistryLimitFlags: a registry over its row limit is an error naming
// the flag that raises it; the flag raises it; a negative limit is refused.
func TestRegistryLimitFlags(t *testing.T) {
	reg := filepath.Join(t.TempDir(), "noh.csv")
	body := "id,site,ip,category,owner,vms\n" +
		"NOH-1,NOH,10.20.8.1,facility,CEJ,milestone\n" +
		"NOH-2,NOH,10.20.8.2,facility,CEJ,milestone\n" +
		"NOH-3,NOH,10.20.8.3,facility,CEJ,milestone\n"
	if err := os.WriteFile(reg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, _, code := camsweep(t, "", "registry", "check", "--registry-max-rows", "2", reg)
	if code != exitError || !strings.Contains(stdout, "more than 2 registry rows") || !strings.Contains(stdout, "--registry-max-rows") {
		t.Errorf("over the limit: exit %d, %s", code, stdout)
	}
	if stdout, _, code := camsweep(t, "", "registry", "check", "--registry-max-rows", "3", reg); code != exitOK || !strings.Contains(stdout, "3 row(s) loaded") {
		t.Errorf("at the limit: exit %d, %s", code, stdout)
	}
	if _, stderr, code := camsweep(t, "", "registry", "check", "--registry-max-bytes", "-5", reg); code != exitError || !strings.Contains(stderr, "--registry-max-bytes -5: want a positive number") {
		t.Errorf("negative limit: exit %d, %s", code, stderr)
	}
}
