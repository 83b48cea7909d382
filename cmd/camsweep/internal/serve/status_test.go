package serve

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

func statusHarness(t *testing.T) *harness {
	sw := newFakeSweep()
	hostile := nohDahua
	// A device that names itself with markup must not inject any.
	hostile.Evidence = append(append([]evidence.Evidence(nil), nohDahua.Evidence...),
		evidence.Evidence{Probe: "http", Field: "http.title", Value: `<script>alert(1)</script>`})
	sw.devs["NOH"] = []inventory.Device{hostile, nohAxis}
	sw.devs["RH"] = []inventory.Device{rhLTS}
	h := startHarness(t, "", sw)
	h.waitFor("first scans", func() bool { return h.finishedScans("NOH") >= 1 && h.finishedScans("RH") >= 1 })
	h.idle()
	return h
}

func TestStatusPage(t *testing.T) {
	h := statusHarness(t)
	res, body := h.do("GET", "/", "")
	if res == nil || res.StatusCode != 200 {
		t.Fatalf("GET /: %v", res)
	}
	page := string(body)
	tests := []struct {
		name string
		want string
		not  bool
	}{
		{"site NOH", `id="site-NOH"`, false},
		{"site RH", `id="site-RH"`, false},
		{"unregistered Dahua", `<td>10.20.8.11</td><td>e0:50:8b:3d:72:19</td><td class="where"><span class="none">not known</span></td><td>Dahua</td><td>Dahua</td><td>IPC-HDW2431T-AS-S2</td>`, false},
		{"white-label Hikvision", `<td>LTS</td><td>Hikvision</td>`, false},
		{"where it is plugged in", `<td class="where">rh-a2-asw01 Gi1/0/7 VLAN 130 &#34;Opgang B, 2. sal&#34;</td>`, false},
		{"how its MAC was learnt", `<small>snmp router rh-core1</small>`, false},
		{"its evidence", `<code>dhip.model</code> = IPC-HDW2431T-AS-S2`, false},
		{"critical count", `sev-critical">critical</span></td><td>1</td>`, false},
		{"last scan ok", `<span class="ok">ok</span>`, false},
		{"escaped markup", `&lt;script&gt;alert(1)&lt;/script&gt;`, false},
		{"no raw markup", `<script>`, true},
		{"no external assets", `src="http`, true},
		{"no external stylesheets", `<link`, true},
	}
	for _, tc := range tests {
		if strings.Contains(page, tc.want) == tc.not {
			t.Errorf("%s: page contains %q = %v, want %v", tc.name, tc.want, !tc.not, !tc.not)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if res, _ := h.do("GET", "/nope", ""); res == nil || res.StatusCode != 404 {
		t.Errorf("GET /nope: %v, want 404", res)
	}
}

// TestStatusPageChromium renders the page in headless Chromium: the DOM it
// builds must name the unregistered camera, and the screenshot is kept
// (in $CAMSWEEP_SCREENSHOT_DIR when set) for a human to look at.
func TestStatusPageChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (Debian package chromium); skipping the headless browser test")
	}
	if testing.Short() {
		t.Skip("starts a browser")
	}
	h := statusHarness(t)
	run := func(extra ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		args := append([]string{
			"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir(), "--window-size=1280,1024",
		}, extra...)
		args = append(args, h.url+"/")
		cmd := exec.CommandContext(ctx, bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
		}
		return stdout.Bytes()
	}

	dom := string(run("--dump-dom"))
	for _, want := range []string{"unregistered-camera", "10.20.8.11", "IPC-HDW2431T-AS-S2", "10.30.8.40", "Site NOH", "Site RH"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}

	dir := os.Getenv("CAMSWEEP_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	shot := filepath.Join(dir, "camsweep-status.png")
	run("--screenshot=" + shot)
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 1000 || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot %s is not a PNG worth the name (%d bytes)", shot, len(png))
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
}
