package probe

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/camsweep/camsweep/scanner/secret"
)

// Secret holds a password so that it never prints (package secret, which
// the SNMP harvest shares).
type Secret = secret.Secret

// NewSecret wraps a password.
func NewSecret(s string) Secret { return secret.New(s) }

// Credentials are what a site lets the scanner use for authenticated ONVIF
// reads (GetDeviceInformation and friends). They are never guessed: the
// scanner tries no default passwords, only what the site configured.
type Credentials struct {
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
}

// Valid reports whether both parts are set.
func (c Credentials) Valid() bool { return c.Username != "" && !c.Password.IsZero() }

// Environment variables that override the credentials file, so a container
// can take the password from a secret store without a file on disk.
const (
	EnvONVIFUsername = "CAMSWEEP_ONVIF_USERNAME"
	EnvONVIFPassword = "CAMSWEEP_ONVIF_PASSWORD"
)

// credentialsFile is the on-disk layout:
//
//	onvif:
//	  username: camsweep-ro
//	  password: "..."            # or
//	  password_env: ONVIF_PASS   # read the password from this variable
type credentialsFile struct {
	ONVIF struct {
		Username    string `yaml:"username"`
		Password    Secret `yaml:"password"`
		PasswordEnv string `yaml:"password_env"`
	} `yaml:"onvif"`
}

// maxCredentialsFile bounds the file read: it holds two short strings.
const maxCredentialsFile = 64 << 10

// LoadCredentials reads the ONVIF credentials from path (when not empty) and
// then lets EnvONVIFUsername / EnvONVIFPassword override them; getenv is
// os.Getenv outside tests. Errors never quote the file's contents, since a
// YAML error could echo the password line.
func LoadCredentials(path string, getenv func(string) string) (Credentials, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var c Credentials
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return Credentials{}, fmt.Errorf("scanner: load credentials: %w", err)
		}
		if len(raw) > maxCredentialsFile {
			return Credentials{}, fmt.Errorf("scanner: load credentials %s: file larger than %d bytes", path, maxCredentialsFile)
		}
		var f credentialsFile
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil {
			return Credentials{}, fmt.Errorf("scanner: load credentials %s: %w", path, scrubYAMLError(err))
		}
		c.Username = strings.TrimSpace(f.ONVIF.Username)
		c.Password = f.ONVIF.Password
		if f.ONVIF.PasswordEnv != "" {
			if !c.Password.IsZero() {
				return Credentials{}, fmt.Errorf("scanner: load credentials %s: both password and password_env are set", path)
			}
			c.Password = NewSecret(getenv(f.ONVIF.PasswordEnv))
			if c.Password.IsZero() {
				return Credentials{}, fmt.Errorf("scanner: load credentials %s: password_env %s is empty", path, f.ONVIF.PasswordEnv)
			}
		}
	}
	if u := getenv(EnvONVIFUsername); u != "" {
		c.Username = u
	}
	if p := getenv(EnvONVIFPassword); p != "" {
		c.Password = NewSecret(p)
	}
	if (c.Username == "") != c.Password.IsZero() {
		return Credentials{}, errors.New("scanner: load credentials: username and password must be set together")
	}
	return c, nil
}

// scrubYAMLError keeps the line number of a YAML error but drops the text
// it quotes, which may be part of the password.
func scrubYAMLError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return fmt.Errorf("%d field(s) of the wrong type or unknown", len(te.Errors))
	}
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		end := i + len("line ")
		for end < len(msg) && msg[end] >= '0' && msg[end] <= '9' {
			end++
		}
		return errors.New("invalid YAML at " + msg[i:end])
	}
	return errors.New("invalid YAML")
}
