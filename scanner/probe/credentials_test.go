package probe

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/scanner/scantest"
	"go.yaml.in/yaml/v3"
)

const secretValue = "hunter2-do-not-print"

func TestSecretRedacts(t *testing.T) {
	c := Credentials{Username: "u", Password: NewSecret(secretValue)}
	j, _ := json.Marshal(c)
	y, _ := yaml.Marshal(c)
	outs := []string{
		fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s %q %x %X %d", c, c, c, c.Password, c.Password, c.Password, c.Password, c.Password),
		string(j), string(y), fmt.Errorf("wrap: %v", c.Password).Error(),
	}
	for _, o := range outs {
		if strings.Contains(o, secretValue) || strings.Contains(o, fmt.Sprintf("%x", secretValue)) {
			t.Errorf("secret leaked: %s", o)
		}
	}
	if c.Password.Reveal() != secretValue {
		t.Fatal("Reveal lost the value")
	}
}

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string { return scantest.WriteFile(t, dir, name, body) }
	env := map[string]string{"MY_PASS": "from-env"}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		name, path string
		env        map[string]string
		user, pass string
		err        bool
	}{
		{"file", write("a.yaml", "onvif:\n  username: ro\n  password: \""+secretValue+"\"\n"), nil, "ro", secretValue, false},
		{"password_env", write("b.yaml", "onvif:\n  username: ro\n  password_env: MY_PASS\n"), nil, "ro", "from-env", false},
		{"env overrides", write("c.yaml", "onvif:\n  username: ro\n  password: x\n"), map[string]string{EnvONVIFPassword: "y"}, "ro", "y", false},
		{"env only", "", map[string]string{EnvONVIFUsername: "e", EnvONVIFPassword: "p"}, "e", "p", false},
		{"none", "", nil, "", "", false},
		{"unknown key", write("d.yaml", "onvif:\n  user: ro\n  password: "+secretValue+"\n"), nil, "", "", true},
		{"user without password", write("e.yaml", "onvif:\n  username: ro\n"), nil, "", "", true},
		{"both password and env", write("f.yaml", "onvif:\n  username: ro\n  password: a\n  password_env: MY_PASS\n"), nil, "", "", true},
		{"bad yaml quoting the secret", write("g.yaml", "onvif:\n  username: ro\n  password: ["+secretValue+"\n"), nil, "", "", true},
		{"missing file", filepath.Join(dir, "nope.yaml"), nil, "", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ge := getenv
			if tc.env != nil {
				ge = func(k string) string {
					if v, ok := tc.env[k]; ok {
						return v
					}
					return env[k]
				}
			}
			c, err := LoadCredentials(tc.path, ge)
			if tc.err {
				if err == nil {
					t.Fatal("want an error")
				}
				if strings.Contains(err.Error(), secretValue) {
					t.Errorf("error quotes the secret: %v", err)
				}
				if !strings.HasPrefix(err.Error(), "scanner: load credentials") {
					t.Errorf("error %q lacks the prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Username != tc.user || c.Password.Reveal() != tc.pass {
				t.Errorf("got %q/%q", c.Username, c.Password.Reveal())
			}
		})
	}
}
