package serve

import (
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/store"
)

// TestUnreadableTokenFileFailsClosed: an operator revokes a token by
// editing the token file and sending SIGHUP. If the file the daemon then
// finds cannot be read or is invalid, keeping the old tokens would keep the
// revoked one alive; the API must refuse every request instead, say so in
// the log and the metrics, and the scheduled scans must go on.
func TestUnreadableTokenFileFailsClosed(t *testing.T) {
	h := startHarness(t, "", newFakeSweep())
	tokens := filepath.Join(h.dir, "tokens")
	status := func(token string) int {
		res, _ := h.do("GET", "/api/v1/sites", token)
		if res == nil {
			t.Fatal("no answer")
		}
		return res.StatusCode
	}
	if got := status(testToken); got != http.StatusOK {
		t.Fatalf("before: %d", got)
	}
	if !strings.Contains(h.metrics(), "camsweep_api_tokens 2\n") {
		t.Errorf("metrics lack camsweep_api_tokens 2")
	}
	h.idle()
	okScans := func() int {
		m := regexp.MustCompile(`camsweep_scans_total\{site="NOH",status="ok"\} (\d+)`).FindStringSubmatch(h.metrics())
		if m == nil {
			t.Fatal("no camsweep_scans_total for NOH")
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}

	for _, tc := range []struct {
		name   string
		break_ func()
	}{
		{"invalid (a token too short to keep)", func() { writeFile(t, tokens, "short\n") }},
		{"unreadable (gone)", func() { _ = os.Remove(tokens) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeFile(t, tokens, testToken+"\nsecond-token-abcdefghijkl\n")
			h.reload <- struct{}{}
			h.waitFor("tokens back", func() bool { return status(testToken) == http.StatusOK })

			tc.break_()
			h.reload <- struct{}{}
			h.waitFor("camsweep_api_tokens 0", func() bool { return strings.Contains(h.metrics(), "camsweep_api_tokens 0\n") })
			for _, tok := range []string{testToken, "second-token-abcdefghijkl", ""} {
				if got := status(tok); got != http.StatusUnauthorized {
					t.Errorf("token %q after a bad token file: %d, want 401", tok, got)
				}
			}
			// Scheduled scans go on: NOH's hourly scan runs.
			before := okScans()
			h.waitFor("schedulers parked", func() bool { return h.clock.pending() == 2 })
			h.clock.Advance(time.Hour)
			h.waitFor("NOH's scheduled scan", func() bool { return okScans() > before })
		})
	}

	// A good file again, without the revoked token: only the new one works.
	writeFile(t, tokens, "a-new-token-0123456789abcdef\n")
	h.reload <- struct{}{}
	h.waitFor("camsweep_api_tokens 1", func() bool { return strings.Contains(h.metrics(), "camsweep_api_tokens 1\n") })
	if status("a-new-token-0123456789abcdef") != http.StatusOK || status(testToken) != http.StatusUnauthorized {
		t.Errorf("new token %d, revoked token %d", status("a-new-token-0123456789abcdef"), status(testToken))
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSecretFilePermissions: a token file or TLS key others may read is a
// warning, or with secret_files: refuse an error, naming the file and its
// mode.
func TestSecretFilePermissions(t *testing.T) {
	dir := t.TempDir()
	writeEnv(t, dir)
	if err := os.Chmod(filepath.Join(dir, "tokens"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(writeConfig(t, dir, validBase))
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(cfg.Warnings(), "\n"); !strings.Contains(w, "api_tokens_file") || !strings.Contains(w, "open to its group and every user (mode 0644)") {
		t.Errorf("warnings %q", w)
	}
	_, err = LoadConfig(writeConfig(t, dir, "secret_files: refuse\n"+validBase))
	if err == nil || !strings.Contains(err.Error(), "api_tokens_file") || !strings.Contains(err.Error(), "mode 0644") {
		t.Errorf("secret_files: refuse: %v", err)
	}
	if err := os.Chmod(filepath.Join(dir, "tokens"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = LoadConfig(writeConfig(t, dir, "secret_files: refuse\n"+validBase))
	if err != nil || len(cfg.Warnings()) != 0 {
		t.Errorf("a 0600 token file: %v, warnings %q", err, cfg.Warnings())
	}
	// The TLS key.
	writeFile(t, filepath.Join(dir, "cert.pem"), "x")
	writeFile(t, filepath.Join(dir, "key.pem"), "x")
	if err := os.Chmod(filepath.Join(dir, "key.pem"), 0o640); err != nil {
		t.Fatal(err)
	}
	_, err = LoadConfig(writeConfig(t, dir, "secret_files: refuse\ntls: {cert_file: cert.pem, key_file: key.pem}\n"+validBase))
	if err == nil || !strings.Contains(err.Error(), "tls.key_file") || !strings.Contains(err.Error(), "open to its group (mode 0640)") {
		t.Errorf("a group-readable TLS key: %v", err)
	}
}

func TestCleartextListenWarns(t *testing.T) {
	dir := t.TempDir()
	writeEnv(t, dir)
	for listen, warn := range map[string]bool{
		"127.0.0.1:9750": false, "[::1]:9750": false, "localhost:9750": false,
		"0.0.0.0:9750": true, ":9750": true, "10.20.1.5:9750": true, "noh-sensor:9750": true,
	} {
		cfg, err := LoadConfig(writeConfig(t, dir, strings.Replace(validBase, "listen: 127.0.0.1:0", "listen: \""+listen+"\"", 1)))
		if err != nil {
			t.Fatalf("%s: %v", listen, err)
		}
		got := strings.Contains(strings.Join(cfg.Warnings(), "\n"), "clear text")
		if got != warn {
			t.Errorf("listen %s: clear-text warning %v, want %v (%q)", listen, got, warn, cfg.Warnings())
		}
	}
}

// TestUnstorableResultIsFailedNotRunning: issue 15 saw a scan recorded as
// ok in the log but left 'running' in the API and history until restart,
// because its report (rate_per_sec +Inf) could not be encoded. A result
// that cannot be stored is recorded as a failed scan.
func TestUnstorableResultIsFailedNotRunning(t *testing.T) {
	sw := newFakeSweep()
	h := startHarness(t, "", sw)
	h.idle()
	sw.mu.Lock()
	sw.mangle = func(r *inventory.Report) { r.Scope.RatePerSec = math.Inf(1) }
	sw.mu.Unlock()
	id := h.startScan(t, "NOH")
	h.waitFor("the scan to end", func() bool { return h.scan(id).Status != store.StatusRunning })
	sc := h.scan(id)
	if sc.Status != store.StatusFailed || !strings.Contains(sc.Error, "could not be recorded") {
		t.Errorf("scan %+v: want failed, saying its result could not be recorded", sc)
	}
}

// TestHistoryFileMode: the history names every camera, its address and its
// findings; the daemon creates it for its owner only unless configured.
func TestHistoryFileMode(t *testing.T) {
	h := startHarness(t, "", newFakeSweep())
	fi, err := os.Stat(filepath.Join(h.dir, "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("history.db mode %v, want 0600", fi.Mode().Perm())
	}
	dir := t.TempDir()
	writeEnv(t, dir)
	cfg := strings.Replace(testConfig(""), "  retention: 720h\n", "  retention: 720h\n  file_mode: \"0640\"\n", 1)
	st, err := LoadConfig(writeConfig(t, dir, cfg))
	if err != nil {
		t.Fatal(err)
	}
	if st.History.Mode() != 0o640 {
		t.Errorf("file_mode 0640 parsed as %v", st.History.Mode())
	}
}

// TestUnfinishedWorkCounted: what a sweep could not do reaches the metrics
// as counters, never as silence.
func TestUnfinishedWorkCounted(t *testing.T) {
	sw := newFakeSweep()
	h := startHarness(t, "", sw)
	h.idle()
	sw.mu.Lock()
	sw.mangle = func(r *inventory.Report) { r.Stats.PacketsNotSent, r.Stats.HostsTimedOut = 3, 2 }
	sw.mu.Unlock()
	id := h.startScan(t, "NOH")
	h.waitFor("the scan to end", func() bool { return h.scan(id).Status != store.StatusRunning })
	m := h.metrics()
	for _, want := range []string{`camsweep_packets_not_sent_total{site="NOH"} 3`, `camsweep_hosts_timed_out_total{site="NOH"} 2`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
