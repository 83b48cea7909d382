package snmp_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/snmp"
)

const secret = "hunter2-snmp-do-not-print"

func TestCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"AUTH": "auth-from-env-123", "SHORT": "short"}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		name, body string
		wantErr    string // a substring of the error; "" for none
		check      func(t *testing.T, c snmp.Credential)
	}{
		{name: "v2c", body: "snmp:\n  p:\n    version: 2c\n    community: \"" + secret + "\"\n",
			check: func(t *testing.T, c snmp.Credential) {
				if c.Version != gosnmp.Version2c || c.Community.Reveal() != secret {
					t.Errorf("got %+v", c)
				}
			}},
		{name: "v3 authPriv", body: "snmp:\n  p:\n    version: \"3\"\n    username: ro\n    auth_protocol: SHA256\n    auth_password_env: AUTH\n    priv_protocol: aes\n    priv_password: \"" + secret + "\"\n",
			check: func(t *testing.T, c snmp.Credential) {
				if c.Version != gosnmp.Version3 || c.Flags != gosnmp.AuthPriv || c.AuthProtocol != gosnmp.SHA256 || c.PrivProtocol != gosnmp.AES ||
					c.AuthPassword.Reveal() != "auth-from-env-123" || c.PrivPassword.Reveal() != secret || c.Username != "ro" {
					t.Errorf("got %+v", c)
				}
			}},
		{name: "v3 without auth is refused", body: "snmp:\n  p:\n    version: \"3\"\n    username: ro\n    security_level: noAuthNoPriv\n", wantErr: "noAuthNoPriv is refused"},
		{name: "v3 without privacy is refused", body: "snmp:\n  p:\n    version: \"3\"\n    username: ro\n    security_level: authNoPriv\n    auth_protocol: SHA\n    auth_password: \"" + secret + "\"\n", wantErr: "authNoPriv is refused"},
		{name: "noAuthNoPriv when explicit", body: "snmp:\n  p:\n    version: \"3\"\n    username: ro\n    security_level: noAuthNoPriv\n    allow_insecure: true\n",
			check: func(t *testing.T, c snmp.Credential) {
				if c.Flags != gosnmp.NoAuthNoPriv {
					t.Errorf("got %+v", c)
				}
			}},
		{name: "MD5 refused", body: "snmp:\n  p:\n    version: \"3\"\n    username: ro\n    auth_protocol: MD5\n    auth_password: \"" + secret + "\"\n    priv_protocol: AES\n    priv_password: \"" + secret + "\"\n", wantErr: "MD5 is refused"},
		{name: "DES refused", body: "snmp:\n  p:\n    version: \"3\"\n    username: ro\n    auth_protocol: SHA\n    auth_password: \"" + secret + "\"\n    priv_protocol: DES\n    priv_password: \"" + secret + "\"\n", wantErr: "DES is refused"},
		{name: "short v3 password", body: "snmp:\n  p:\n    version: \"3\"\n    username: ro\n    auth_protocol: SHA\n    auth_password: short\n    priv_protocol: AES\n    priv_password: \"" + secret + "\"\n", wantErr: "at least 8"},
		{name: "short v3 password from env", body: "snmp:\n  p:\n    version: \"3\"\n    username: ro\n    auth_protocol: SHA\n    auth_password_env: SHORT\n    priv_protocol: AES\n    priv_password: \"" + secret + "\"\n", wantErr: "shorter than 8"},
		{name: "v1 refused", body: "snmp:\n  p:\n    version: \"1\"\n    community: x\n", wantErr: "SNMPv1"},
		{name: "community and env", body: "snmp:\n  p:\n    version: 2c\n    community: \"" + secret + "\"\n    community_env: AUTH\n", wantErr: "not both"},
		{name: "unset env", body: "snmp:\n  p:\n    version: 2c\n    community_env: NOPE\n", wantErr: "NOPE is empty or unset"},
		{name: "unknown key quoting the secret", body: "snmp:\n  p:\n    version: 2c\n    " + secret + ": x\n", wantErr: "line 4"},
		{name: "bad YAML quoting the secret", body: "snmp:\n  p:\n    version: 2c\n    community: [" + secret + "\n", wantErr: "invalid YAML"},
		{name: "wrong type quoting the secret", body: "snmp:\n  p:\n    version: 2c\n    allow_insecure: " + secret + "\n", wantErr: "wrong type"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := scantest.WriteFile(t, dir, fmt.Sprintf("c%d.yaml", i), tc.body)
			cfg := &snmp.Config{CredentialsFile: path, Devices: []snmp.Device{{Credentials: "p"}}}
			creds, err := snmp.ResolveCredentials(cfg, getenv)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error quotes the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := creds["p"]
			tc.check(t, c)
			for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v %#v", c, c)} {
				if strings.Contains(s, secret) || strings.Contains(s, "auth-from-env-123") {
					t.Errorf("a credential prints its secret: %s", s)
				}
			}
		})
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, body string
		want       []string // substrings of the error, each with its position
	}{
		{name: "good", body: "credentials_file: creds.yaml\ndefaults:\n  timeout: 1s\n  retries: 0\ndevices:\n  - name: core\n    address: 10.20.0.1\n    roles: [router]\n    credentials: v3\n  - address: 10.20.0.33\n    roles: [switch]\n    credentials: v3\n    uplinks: [Gi1/0/48]\n"},
		{name: "literal secret inline", body: "credentials:\n  p:\n    version: 2c\n    community: \"" + secret + "\"\ndevices:\n  - address: 10.0.0.1\n    roles: [router]\n    credentials: p\n",
			want: []string{":4:16: a secret may not stand in a configuration file"}},
		{name: "host name, unknown role, unknown profile", body: "devices:\n  - address: 10.0.0.1\n    roles: [core]\n    credentials: nope\n  - address: 10.0.0.1\n    roles: [switch]\n    credentials: nope\n",
			want: []string{":3:13: unknown role \"core\"", ":4:18: credential profile \"nope\" is not defined", ":5:14: address 10.0.0.1:161 is already devices[0]"}},
		{name: "no address", body: "devices:\n  - name: x\n    roles: [switch]\n    credentials: p\ncredentials:\n  p: {version: 2c, community_env: X}\n", want: []string{":2:5: address is required"}},
		{name: "bounds", body: "defaults:\n  max_repetitions: 5000\n  retries: 9\ndevices:\n  - address: 10.0.0.1\n    roles: [switch]\n    credentials: p\n    rate: -1\ncredentials:\n  p: {version: 2c, community_env: X}\n",
			want: []string{":2:20: at most 100", ":3:12: must be between 0 and 5", ":8:11: must be between 0 and 1000"}},
		{name: "unknown key", body: "devicez: []\n", want: []string{"line 1: field devicez not found"}},
		{name: "address as host name", body: "devices:\n  - address: core1.noh.local\n", want: []string{":2:14: address \"core1.noh.local\" is not an IP address"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("infra%d.yaml", i))
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := snmp.LoadConfig(path)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.CredentialsFile != filepath.Join(dir, "creds.yaml") {
					t.Errorf("credentials_file %q not resolved against the file's directory", cfg.CredentialsFile)
				}
				if r := cfg.Resolved(0); *r.Retries != 0 || r.Timeout.Seconds() != 1 || r.Port != 161 || r.MaxRepetitions != snmp.DefaultMaxRepetitions {
					t.Errorf("defaults not applied: %+v", r.Tuning)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error quotes the secret")
			}
		})
	}
}
