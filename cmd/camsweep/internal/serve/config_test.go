package serve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testToken = "s3cret-token-for-tests-0123456789"

// writeEnv writes a token file, registry and policy into dir and returns
// the base of a valid configuration (top-level keys, no sites).
func writeEnv(t *testing.T, dir string) {
	t.Helper()
	files := map[string]string{
		"tokens":       "# test tokens\n\n" + testToken + "\nsecond-token-abcdefghijkl\n",
		"registry.csv": "id,site,ip,mac,serial,vendor,model,category,owner,vms,dispensation_id\nNOH-1,NOH,10.20.8.5,aa:bb:cc:00:00:05,SN5,Axis,P3245,facility,CEJ,milestone,\n",
		"policy.yaml":  "banned_manufacturers: [Hikvision, Dahua]\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

const validBase = `listen: 127.0.0.1:0
api_tokens_file: tokens
history:
  path: h.db
sites:
  - name: NOH
    scope:
      targets: [10.20.8.0/22]
    registry: registry.csv
    policy: policy.yaml
`

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "camsweep.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigDefaults(t *testing.T) {
	dir := t.TempDir()
	writeEnv(t, dir)
	cfg, err := LoadConfig(writeConfig(t, dir, validBase))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sites[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"interval", s.Schedule.Interval, DefaultInterval},
		{"profile", s.Profile, DefaultProfile},
		{"rate", s.Rate, float64(DefaultRate)},
		{"ports", len(s.Ports) > 0, true},
		{"metrics_auth", cfg.MetricsAuth, "open"},
		{"retention", cfg.History.Retention, DefaultRetention},
		{"shutdown", cfg.ShutdownTimeout, DefaultShutdownTimeout},
		{"history path is relative to the file", cfg.History.Path, filepath.Join(dir, "h.db")},
		{"registry path is relative to the file", s.Registry, filepath.Join(dir, "registry.csv")},
		{"tokens", len(cfg.tokens), 2},
		{"scope parsed", s.ScannerScope() != nil, true},
		{"inventory scope", len(s.InventoryScope().Prefixes), 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestLoadConfigInvalid: each case is a broken file and the exact problem
// (with its position) it must give.
func TestLoadConfigInvalid(t *testing.T) {
	site := func(extra string) string { return validBase + extra }
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"unknown top-level key", "listn: 1.2.3.4:9\n" + validBase, []string{"camsweep.yaml:1: field listn not found"}},
		{"unknown site key", site("    exclud: [10.20.8.1]\n"), []string{"camsweep.yaml:11: field exclud not found"}},
		{"syntax error", "sites: [\n", []string{"camsweep.yaml:"}},
		{"bad duration", site("    schedule: {interval: soon}\n"), []string{"camsweep.yaml:11:"}},
		{"no sites", "api_tokens_file: tokens\n", []string{"no sites configured"}},
		{"listen not host:port", strings.Replace(validBase, "127.0.0.1:0", "9750", 1), []string{"camsweep.yaml:1:9: listen \"9750\" is not host:port"}},
		{"metrics_auth", "metrics_auth: maybe\n" + validBase, []string{"camsweep.yaml:1:15: metrics_auth \"maybe\": want open or token"}},
		{"missing tokens file", strings.Replace(validBase, "api_tokens_file: tokens", "api_tokens_file: nope", 1), []string{"camsweep.yaml:2:18: api_tokens_file:", "no such file"}},
		{"public target", strings.Replace(validBase, "10.20.8.0/22", "8.8.8.0/24", 1), []string{"camsweep.yaml:8:7: site \"NOH\": scanner: scope"}},
		{"bad profile", site("    profile: loud\n"), []string{"camsweep.yaml:11:14: site \"NOH\": profile \"loud\": want one of passive, arp, gentle, full"}},
		{"interval too short", site("    schedule: {interval: 1s}\n"), []string{"camsweep.yaml:11:26: site \"NOH\": schedule.interval 1s: want at least 1m"}},
		{"jitter not below interval", site("    schedule: {interval: 1h, jitter: 2h}\n"), []string{"schedule.jitter 2h0m0s: want 0 or more and less than the interval"}},
		{"quiet hours", site("    schedule:\n      quiet_hours: {start: \"25:00\", end: \"07:00\", timezone: Mars/Olympus}\n"),
			[]string{"camsweep.yaml:12:28: site \"NOH\": schedule.quiet_hours: \"25:00\" is not a time of day HH:MM", "timezone \"Mars/Olympus\""}},
		{"duplicate key", site("    scope:\n      targets: [10.20.8.0/22]\n"), []string{"camsweep.yaml:11: mapping key \"scope\" already defined at line 7"}},
		{"bad OUI", strings.Replace(validBase, "targets: [10.20.8.0/22]", "targets: [10.20.8.0/22]\n      exclude_ouis: [\"00:09:fb\", zz:11]", 1), []string{"camsweep.yaml:9:34: site \"NOH\": exclude_ouis \"zz:11\""}},
		{"bad port", site("    ports: [\"99999\"]\n"), []string{"camsweep.yaml:11:12: site \"NOH\": scanner: port \"99999\""}},
		{"missing registry", strings.Replace(validBase, "registry: registry.csv", "registry: gone.csv", 1), []string{"camsweep.yaml:9:15: site \"NOH\": registry:", "no such file"}},
		{"duplicate site", validBase + "  - name: noh\n    scope: {targets: [10.20.9.0/24]}\n    registry: registry.csv\n    policy: policy.yaml\n", []string{"camsweep.yaml:11:11: site \"noh\": site named twice"}},
		{"overlapping sites", validBase + "  - name: NOH-B\n    scope: {targets: [10.20.9.0/24, 10.30.0.0/24]}\n    registry: registry.csv\n    policy: policy.yaml\n",
			[]string{`camsweep.yaml:12:12: site "NOH-B": scope overlaps site "NOH" at 10.20.9.0-10.20.9.255`}},
		// Issue 15: .inf swept unthrottled, then failed to store the report.
		{"rate .inf", site("    rate: .inf\n"), []string{`camsweep.yaml:11:11: site "NOH": rate .inf: want a positive, finite number`}},
		{"rate -.inf", site("    rate: -.inf\n"), []string{`site "NOH": rate -.inf: want a positive, finite number`}},
		{"rate .nan", site("    rate: .nan\n"), []string{`site "NOH": rate .nan: want a positive, finite number`}},
		{"rate 0", site("    rate: 0\n"), []string{`site "NOH": rate 0: want a positive, finite number`}},
		{"rate negative", site("    rate: -5\n"), []string{`site "NOH": rate -5: want a positive, finite number`}},
		{"history file mode world-writable", "history: {path: h.db, file_mode: \"0666\"}\n" + strings.Replace(validBase, "history:\n  path: h.db\n", "", 1), []string{`history.file_mode "0666": want octal permissions`}},
		{"history file mode not octal", "history: {path: h.db, file_mode: rw-r}\n" + strings.Replace(validBase, "history:\n  path: h.db\n", "", 1), []string{`history.file_mode "rw-r"`}},
		{"bad site name", strings.Replace(validBase, "name: NOH", "name: \"N O H\"", 1), []string{"camsweep.yaml:6:11: site \"N O H\": name must be"}},
		{"bad router MAC", site("    router_macs: [\"00:00:5e:00:01:01\", gateway]\n"), []string{`camsweep.yaml:11:40: site "NOH": router_macs "gateway": want six octets`}},
		{"negative probe budget", site("    triggered_probes_per_minute: -1\n"), []string{`camsweep.yaml:11:34: site "NOH": triggered_probes_per_minute must not be negative`}},
		{"bad interface", site("    interface: \"eth 1\"\n"), []string{`camsweep.yaml:11:16: site "NOH": interface "eth 1" is not an interface name`}},
		{"passive not a bool", site("    passive: sometimes\n"), []string{"camsweep.yaml:11:"}},
		{"infrastructure: literal secret, host name, no roles", site("    infrastructure:\n      credentials:\n        ro: {version: 2c, community: \"hunter2-snmp\"}\n      devices:\n        - address: core1.noh.local\n          credentials: ro\n        - address: 10.20.0.33\n          credentials: ro\n"),
			[]string{"camsweep.yaml:13:38: site \"NOH\": infrastructure: credentials.ro.community: a secret may not stand in a configuration file",
				"camsweep.yaml:15:20: site \"NOH\": infrastructure: devices[0].address: address \"core1.noh.local\" is not an IP address",
				"camsweep.yaml:17:11: site \"NOH\": infrastructure: devices[1].roles: roles is required"}},
		{"infrastructure: unset variable", site("    infrastructure:\n      credentials:\n        ro: {version: 2c, community_env: CAMSWEEP_TEST_UNSET_VAR}\n      devices:\n        - {address: 10.20.0.1, roles: [router], credentials: ro}\n"),
			[]string{"camsweep.yaml:12:7: site \"NOH\": snmp: credential profile \"ro\": community_env: environment variable CAMSWEEP_TEST_UNSET_VAR is empty or unset"}},
		{"infrastructure twice", site("    infrastructure_file: infra.yaml\n    infrastructure:\n      devices: []\n"), []string{"give infrastructure or infrastructure_file, not both"}},
		{"infrastructure file missing", site("    infrastructure_file: infra.yaml\n"), []string{"camsweep.yaml:11:26: site \"NOH\": snmp: infrastructure:", "no such file"}},
		{"flows without a source", "flows: {window: 1h}\n" + validBase, []string{"camsweep.yaml:1:8: flows: name a mirror interface, a netflow collector, or both"}},
		{"collector open to anyone", "flows:\n  netflow:\n    listen: [\"127.0.0.1:2055\"]\n" + validBase, []string{"camsweep.yaml:3:5: flows.netflow.exporters is required"}},
		{"bad exporter", "flows:\n  netflow:\n    listen: [\"127.0.0.1:2055\"]\n    exporters: [router1]\n" + validBase, []string{`camsweep.yaml:4:17: flows.netflow.exporters "router1": want an address or a prefix`}},
		{"bad vms type", site("    vms: {type: genetec, url: \"https://vms.example\", credentials_file: tokens}\n"), []string{`camsweep.yaml:11:17: site "NOH": vms.type "genetec": want milestone`}},
		{"vms over plain http", site("    vms: {type: milestone, url: \"http://vms.example\", credentials_file: nope}\n"), []string{`site "NOH": vms: credentials`, `plain http would send the credentials`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeEnv(t, dir)
			_, err := LoadConfig(writeConfig(t, dir, tc.body))
			if err == nil {
				t.Fatal("LoadConfig accepted it")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %v\nwant it to contain\n  %s", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error quotes a secret: %v", err)
			}
		})
	}
}

// TestExampleConfig loads deploy/examples/camsweep.yaml with its token file
// and history pointed into a temporary directory, so the file operators
// copy is known to load.
func TestExampleConfig(t *testing.T) {
	ex := filepath.Join("..", "..", "..", "..", "deploy", "examples")
	data, err := os.ReadFile(filepath.Join(ex, "camsweep.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeEnv(t, dir)
	body := strings.NewReplacer(
		"/etc/camsweep/api-tokens", filepath.Join(dir, "tokens"),
		"/var/lib/camsweep/history.db", filepath.Join(dir, "h.db"),
	).Replace(string(data))
	// Beside copies of the example registry, column map and policy, the
	// relative paths in the file resolve as they do in deploy/examples.
	for _, name := range []string{"registry.csv", "registry-columns.yaml", "policy.yaml"} {
		b, err := os.ReadFile(filepath.Join(ex, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := writeConfig(t, dir, body)
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Sites) != 2 || cfg.Sites[0].Name != "NOH" || cfg.Sites[1].Name != "RH" {
		t.Fatalf("sites %+v", cfg.Sites)
	}
	if q := cfg.Sites[0].Schedule.QuietHours; q == nil || q.start != 7*60 || q.end != 9*60+30 {
		t.Errorf("NOH quiet hours %+v", q)
	}
	if cfg.Sites[0].Schedule.Interval != 6*time.Hour || len(cfg.Sites[0].RegistryColumns.Columns) == 0 {
		t.Errorf("NOH schedule %+v columns %+v", cfg.Sites[0].Schedule, cfg.Sites[0].RegistryColumns)
	}
	if err := CheckConfig(p, nil); err != nil {
		t.Errorf("CheckConfig(example): %v", err)
	}
}
