package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/cmd/camsweep/internal/serve"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/store"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/probe"
	"github.com/camsweep/camsweep/scanner/scantest"
)

// syncBuffer is a log sink written by the daemon's goroutines and read by
// the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestServeCredentialsNeverLeak runs `camsweep serve` (the CLI, in
// process, with the real sweep) against a camera that demands a
// WS-UsernameToken signed on its own clock, two hours off. The site's
// credentials_file holds the password. A scan is triggered over the API
// and waited for; then /metrics, the status page, the report, findings and
// devices are fetched. The password must appear in no log line (debug
// level, JSON) and no response, and the device's evidence must show that
// the credentialed ONVIF path ran.
func TestServeCredentialsNeverLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end daemon test")
	}
	p, err := scantest.PersonaByName("annke-c500-skewed-clock")
	if err != nil {
		t.Fatal(err)
	}
	if p.ONVIF == nil || p.ONVIF.Password == "" {
		t.Fatal("persona no longer requires credentials; the test would prove nothing")
	}
	password := p.ONVIF.Password
	n := scantest.StartTB(t, []scantest.HostSpec{{Persona: p}}, scantest.Options{Base: scantest.RandomBase(), Logger: zerolog.Nop()})
	target := n.Hosts[0].Addr.String()

	// The credentials come from the file only.
	t.Setenv(probe.EnvONVIFUsername, "")
	t.Setenv(probe.EnvONVIFPassword, "")
	const token = "e2e-token-0123456789abcdef"
	dir := t.TempDir()
	ports, err := json.Marshal(n.PortSpec())
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"tokens":           token + "\n",
		"credentials.yaml": "onvif:\n  username: " + p.ONVIF.Username + "\n  password: \"" + password + "\"\n",
		// A registry that does not list the camera: it must come out as an
		// unregistered camera, named in the metrics and on the page.
		"registry.csv": "id,site,building,location,ip,mac,serial,vendor,model,category,owner,vms,dispensation_id\n" +
			"NOH-CAM-1,NOH,B1,Entrance,10.20.8.20,ac:cc:8e:00:00:20,ACCC8E000020,Axis,P3245-V,facility,CEJ,milestone,\n",
		"policy.yaml": "banned_manufacturers: [Hikvision, Dahua]\n",
		"camsweep.yaml": fmt.Sprintf(`listen: 127.0.0.1:0
api_tokens_file: tokens
history:
  path: history.db
shutdown_timeout: 20s
sites:
  - name: NOH
    scope:
      targets: [%s]
    schedule:
      interval: 24h
    profile: full
    rate: 1000
    ports: %s
    credentials_file: credentials.yaml
    registry: registry.csv
    policy: policy.yaml
`, target, ports),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	var logs, stdout syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"serve", "--config", filepath.Join(dir, "camsweep.yaml"),
			"--log-level", "debug", "--log-format", "json"}, strings.NewReader(""), &stdout, &logs)
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-exited:
			if code != exitOK {
				t.Errorf("serve exited %d; logs:\n%s", code, logs.String())
			}
		case <-time.After(60 * time.Second):
			t.Fatal("serve did not stop after its context was cancelled")
		}
	}
	defer stop()

	url := "http://" + listenAddr(t, &logs, exited)
	client := &http.Client{Timeout: 30 * time.Second}
	get := func(path string, auth bool) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest("GET", url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return res.StatusCode, body
	}
	scanStatus := func(id int64) store.Scan {
		t.Helper()
		code, body := get(fmt.Sprintf("/api/v1/scans/%d", id), true)
		var sc store.Scan
		if code != http.StatusOK || json.Unmarshal(body, &sc) != nil {
			t.Fatalf("scan %d: %d %s", id, code, body)
		}
		return sc
	}
	waitScan := func(id int64) store.Scan {
		t.Helper()
		deadline := time.Now().Add(120 * time.Second) // a bound against hanging, not an assertion on speed
		for {
			if sc := scanStatus(id); sc.Status != store.StatusRunning {
				return sc
			}
			if time.Now().After(deadline) {
				t.Fatalf("scan %d still running; logs:\n%s", id, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// The first scheduled scan starts at once (the history is empty); the
	// on-demand one is started after it, so that it is the API that
	// triggered the scan the checks below read.
	var id int64
	for id == 0 {
		req, _ := http.NewRequest("POST", url+"/api/v1/sites/NOH/scans", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var out struct {
			ID      int64 `json:"id"`
			Running int64 `json:"running_scan_id"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("POST scans: %d %s", res.StatusCode, body)
		}
		switch res.StatusCode {
		case http.StatusAccepted:
			id = out.ID
		case http.StatusConflict:
			waitScan(out.Running)
		default:
			t.Fatalf("POST scans: %d %s", res.StatusCode, body)
		}
	}
	if sc := waitScan(id); sc.Status != store.StatusOK || sc.Trigger != serve.TriggerAPI {
		t.Fatalf("on-demand scan: %+v; logs:\n%s", sc, logs.String())
	}

	fetched := map[string][]byte{}
	for _, f := range []struct {
		path string
		auth bool
	}{
		{"/metrics", false},
		{"/", false},
		{"/api/v1/sites/NOH/report", true},
		{"/api/v1/findings", true},
		{"/api/v1/devices", true},
	} {
		code, body := get(f.path, f.auth)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", f.path, code, body)
		}
		fetched[f.path] = body
	}

	// The credentialed path ran: the camera answers GetDeviceInformation
	// only to a token signed on its clock, and the evidence says so.
	wsToken := evidence.Evidence{Probe: "onvif", Field: "onvif.auth", Value: "ws-usernametoken"}
	var rep inventory.Report
	if err := json.Unmarshal(fetched["/api/v1/sites/NOH/report"], &rep); err != nil || len(rep.Devices) != 1 {
		t.Fatalf("report: %v, %d devices", err, len(rep.Devices))
	}
	ev := rep.Devices[0].Evidence
	if !slices.Contains(ev, wsToken) || !slices.ContainsFunc(ev, func(e evidence.Evidence) bool { return e.Field == "onvif.manufacturer" }) {
		t.Fatalf("the credentialed ONVIF path did not run; evidence: %v", ev)
	}
	var devs struct {
		Devices []store.DeviceRecord `json:"devices"`
	}
	if err := json.Unmarshal(fetched["/api/v1/devices"], &devs); err != nil || len(devs.Devices) != 1 || !slices.Contains(devs.Devices[0].Evidence, wsToken) {
		t.Fatalf("devices API: %v %s", err, fetched["/api/v1/devices"])
	}
	var findings struct {
		Findings []store.FindingRecord `json:"findings"`
	}
	if err := json.Unmarshal(fetched["/api/v1/findings"], &findings); err != nil ||
		!slices.ContainsFunc(findings.Findings, func(f store.FindingRecord) bool {
			return f.Kind == inventory.KindUnregisteredCamera && f.IP == target
		}) {
		t.Fatalf("findings API lacks the unregistered camera: %v %s", err, fetched["/api/v1/findings"])
	}
	if m := string(fetched["/metrics"]); !strings.Contains(m, `camsweep_unregistered_camera_info{`) || !strings.Contains(m, `ip="`+target+`"`) ||
		!strings.Contains(m, `camsweep_build_info{goversion=`) || !strings.Contains(m, `version="`+version+`"`) {
		t.Errorf("metrics do not name the camera or the build:\n%s", m)
	}
	if !strings.Contains(string(fetched["/"]), target) {
		t.Errorf("status page does not name the camera")
	}

	stop()
	for path, body := range fetched {
		if bytes.Contains(body, []byte(password)) {
			t.Errorf("GET %s: the password appears in the response", path)
		}
	}
	if strings.Contains(stdout.String(), password) {
		t.Errorf("the password appears on stdout")
	}
	// Every log line is JSON; the debug ones are there (else this would
	// prove nothing about them); none carries the password.
	levels := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	lines := 0
	for sc.Scan() {
		line := sc.Text()
		lines++
		var entry struct {
			Level string `json:"level"`
		}
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("log line %d is not JSON: %q", lines, line)
		}
		levels[entry.Level]++
		if strings.Contains(line, password) {
			t.Errorf("log line %d carries the password: %s", lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if levels["debug"] == 0 || levels["info"] == 0 {
		t.Errorf("expected debug and info log lines, got %v over %d lines", levels, lines)
	}
	t.Logf("%d log lines checked (%v)", lines, levels)
}

// listenAddr waits for the daemon's "camsweep serving" log line and returns
// the address it names (the config asks for port 0).
func listenAddr(t *testing.T, logs *syncBuffer, exited <-chan int) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second) // a bound against hanging, not an assertion on speed
	for {
		for _, line := range strings.Split(logs.String(), "\n") {
			var entry struct {
				Message string `json:"message"`
				Listen  string `json:"listen"`
			}
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Message == "camsweep serving" && entry.Listen != "" {
				return entry.Listen
			}
		}
		select {
		case code := <-exited:
			t.Fatalf("serve exited %d before serving; logs:\n%s", code, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
