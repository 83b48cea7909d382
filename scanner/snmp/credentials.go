package snmp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/gosnmp/gosnmp"
	"go.yaml.in/yaml/v3"

	"github.com/camsweep/camsweep/internal/yamlpos"
	"github.com/camsweep/camsweep/scanner/secret"
)

// CredentialSpec is a credential profile as written: in the credentials
// file, where secrets may stand literally, or inline in a configuration,
// where they may only be taken from the environment. The secret fields are
// secret.Secret, so a profile printed, logged or encoded shows
// "[redacted]".
type CredentialSpec struct {
	// Version is "2c" or "3".
	Version      string        `yaml:"version"`
	Community    secret.Secret `yaml:"community"`
	CommunityEnv string        `yaml:"community_env"`

	Username string `yaml:"username"`
	// SecurityLevel is authPriv (the default). authNoPriv and
	// noAuthNoPriv send the device's tables in clear text, or unsigned,
	// and are refused unless AllowInsecure says the site means it.
	SecurityLevel   string        `yaml:"security_level"`
	AllowInsecure   bool          `yaml:"allow_insecure"`
	AuthProtocol    string        `yaml:"auth_protocol"`
	AuthPassword    secret.Secret `yaml:"auth_password"`
	AuthPasswordEnv string        `yaml:"auth_password_env"`
	PrivProtocol    string        `yaml:"priv_protocol"`
	PrivPassword    secret.Secret `yaml:"priv_password"`
	PrivPasswordEnv string        `yaml:"priv_password_env"`
	// ContextName selects an SNMPv3 context (some switches serve a VLAN's
	// bridge tables in a context of their own).
	ContextName string `yaml:"context_name"`
}

// Security levels (RFC 3411 names).
const (
	LevelAuthPriv     = "authPriv"
	LevelAuthNoPriv   = "authNoPriv"
	LevelNoAuthNoPriv = "noAuthNoPriv"
)

// The protocols camsweep accepts: the SHA family and AES. MD5 and DES are
// refused; a device that offers nothing better should not be trusted with
// a credential that reads its tables.
var (
	authProtocols = map[string]gosnmp.SnmpV3AuthProtocol{
		"SHA": gosnmp.SHA, "SHA224": gosnmp.SHA224, "SHA256": gosnmp.SHA256, "SHA384": gosnmp.SHA384, "SHA512": gosnmp.SHA512,
	}
	privProtocols = map[string]gosnmp.SnmpV3PrivProtocol{
		"AES": gosnmp.AES, "AES192": gosnmp.AES192, "AES256": gosnmp.AES256, "AES192C": gosnmp.AES192C, "AES256C": gosnmp.AES256C,
	}
)

// minPasswordLen is RFC 3414's minimum for a USM password.
const minPasswordLen = 8

func protocolNames[V any](m map[string]V) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// secretRef is one secret of a profile: a literal value or the name of an
// environment variable holding it.
type secretRef struct {
	key, envKey string
	value       secret.Secret
	env         string
}

func (s CredentialSpec) secrets() []secretRef {
	return []secretRef{
		{"community", "community_env", s.Community, s.CommunityEnv},
		{"auth_password", "auth_password_env", s.AuthPassword, s.AuthPasswordEnv},
		{"priv_password", "priv_password_env", s.PrivPassword, s.PrivPasswordEnv},
	}
}

func (s CredentialSpec) level() string {
	if s.SecurityLevel == "" {
		return LevelAuthPriv
	}
	return s.SecurityLevel
}

// validate checks a profile. literalOK says whether secrets may stand in
// it (the credentials file) or only be named by variable (a configuration).
// No message quotes a secret.
func (s CredentialSpec) validate(literalOK bool) []Problem {
	var out []Problem
	add := func(msg string, key string) { out = append(out, Problem{Path: []any{key}, Msg: msg}) }
	need := map[string]bool{}
	switch s.Version {
	case "2c":
		need["community"] = true
		for _, k := range []struct {
			set bool
			key string
		}{
			{s.Username != "", "username"}, {s.SecurityLevel != "", "security_level"},
			{s.AuthProtocol != "", "auth_protocol"}, {s.PrivProtocol != "", "priv_protocol"},
			{!s.AuthPassword.IsZero() || s.AuthPasswordEnv != "", "auth_password"},
			{!s.PrivPassword.IsZero() || s.PrivPasswordEnv != "", "priv_password"},
			{s.ContextName != "", "context_name"},
		} {
			if k.set {
				add("is an SNMPv3 setting; this profile is version 2c", k.key)
			}
		}
	case "3":
		if s.Username == "" {
			add("username is required for SNMPv3", "username")
		}
		if !s.Community.IsZero() || s.CommunityEnv != "" {
			add("is an SNMPv2c setting; this profile is version 3", "community")
		}
		lvl := s.level()
		switch lvl {
		case LevelAuthPriv:
			need["auth_password"], need["priv_password"] = true, true
		case LevelAuthNoPriv:
			need["auth_password"] = true
		case LevelNoAuthNoPriv:
		default:
			add(fmt.Sprintf("unknown security level %q (want authPriv, authNoPriv or noAuthNoPriv)", lvl), "security_level")
		}
		if !s.AllowInsecure && (lvl == LevelAuthNoPriv || lvl == LevelNoAuthNoPriv) {
			what := "unencrypted"
			if lvl == LevelNoAuthNoPriv {
				what = "unencrypted and unauthenticated"
			}
			add(fmt.Sprintf("%s is refused: the device's tables would cross the network %s; use authPriv, or set allow_insecure: true if the site accepts it", lvl, what), "security_level")
		}
		if need["auth_password"] {
			if _, ok := authProtocols[strings.ToUpper(s.AuthProtocol)]; !ok {
				add(fmt.Sprintf("auth_protocol %q is not accepted (want one of %s; MD5 is refused)", s.AuthProtocol, protocolNames(authProtocols)), "auth_protocol")
			}
		} else if s.AuthProtocol != "" {
			add("is set but the security level uses no authentication", "auth_protocol")
		}
		if need["priv_password"] {
			if _, ok := privProtocols[strings.ToUpper(s.PrivProtocol)]; !ok {
				add(fmt.Sprintf("priv_protocol %q is not accepted (want one of %s; DES is refused)", s.PrivProtocol, protocolNames(privProtocols)), "priv_protocol")
			}
		} else if s.PrivProtocol != "" {
			add("is set but the security level uses no privacy", "priv_protocol")
		}
	case "":
		add("version is required: 2c or 3", "version")
		return out
	default:
		add(fmt.Sprintf("unknown version %q (want 2c or 3; SNMPv1 has no GETBULK and is not supported)", s.Version), "version")
		return out
	}
	for _, r := range s.secrets() {
		literal := !r.value.IsZero()
		switch {
		case literal && r.env != "":
			add(fmt.Sprintf("give %s or %s, not both", r.key, r.envKey), r.key)
		case literal && !literalOK:
			add(fmt.Sprintf("a secret may not stand in a configuration file: put it in the credentials_file, or name a variable with %s", r.envKey), r.key)
		case need[r.key] && !literal && r.env == "":
			add(fmt.Sprintf("%s or %s is required", r.key, r.envKey), r.key)
		case !need[r.key] && (literal || r.env != ""):
			if s.Version == "3" && r.key != "community" {
				add("is not used at this security level", r.key)
			}
		case literal && r.key != "community" && len(r.value.Reveal()) < minPasswordLen:
			add(fmt.Sprintf("an SNMPv3 password has at least %d characters (RFC 3414)", minPasswordLen), r.key)
		}
	}
	return out
}

// Credential is a profile resolved for use: secrets read from the file or
// the environment, protocols looked up.
type Credential struct {
	Version      gosnmp.SnmpVersion
	Community    secret.Secret
	Username     string
	Flags        gosnmp.SnmpV3MsgFlags
	AuthProtocol gosnmp.SnmpV3AuthProtocol
	AuthPassword secret.Secret
	PrivProtocol gosnmp.SnmpV3PrivProtocol
	PrivPassword secret.Secret
	ContextName  string
}

// resolve reads the referenced variables; errors name the variable, never
// its value.
func (s CredentialSpec) resolve(getenv func(string) string) (Credential, error) {
	read := func(r secretRef) (secret.Secret, error) {
		if r.env == "" {
			return r.value, nil
		}
		v := secret.New(getenv(r.env))
		if v.IsZero() {
			return v, fmt.Errorf("%s: environment variable %s is empty or unset", r.envKey, r.env)
		}
		if r.key != "community" && len(v.Reveal()) < minPasswordLen {
			return v, fmt.Errorf("%s: the password in %s is shorter than %d characters (RFC 3414)", r.envKey, r.env, minPasswordLen)
		}
		return v, nil
	}
	refs := s.secrets()
	var c Credential
	var err error
	switch s.Version {
	case "2c":
		c.Version = gosnmp.Version2c
		c.Community, err = read(refs[0])
		return c, err
	case "3":
	default:
		return c, fmt.Errorf("unknown version %q", s.Version)
	}
	c.Version, c.Username, c.ContextName = gosnmp.Version3, s.Username, s.ContextName
	switch s.level() {
	case LevelNoAuthNoPriv:
		c.Flags = gosnmp.NoAuthNoPriv
		return c, nil
	case LevelAuthNoPriv:
		c.Flags = gosnmp.AuthNoPriv
	default:
		c.Flags = gosnmp.AuthPriv
	}
	c.AuthProtocol = authProtocols[strings.ToUpper(s.AuthProtocol)]
	if c.AuthPassword, err = read(refs[1]); err != nil {
		return c, err
	}
	if c.Flags == gosnmp.AuthPriv {
		c.PrivProtocol = privProtocols[strings.ToUpper(s.PrivProtocol)]
		if c.PrivPassword, err = read(refs[2]); err != nil {
			return c, err
		}
	}
	return c, nil
}

// secretValues lists the secrets a credential holds, so that an error
// text from the SNMP library can be checked against them before it is
// shown anywhere.
func (c Credential) secretValues() []string {
	var out []string
	for _, s := range []secret.Secret{c.Community, c.AuthPassword, c.PrivPassword} {
		if !s.IsZero() {
			out = append(out, s.Reveal())
		}
	}
	return out
}

// credentialsFile is the on-disk layout of a credentials file:
//
//	snmp:
//	  core-v3:
//	    version: "3"
//	    username: camsweep-ro
//	    auth_protocol: SHA256
//	    auth_password: "..."
//	    priv_protocol: AES
//	    priv_password_env: NOH_SNMP_PRIV
//	  access-v2c:
//	    version: 2c
//	    community: "..."
type credentialsFile struct {
	SNMP map[string]CredentialSpec `yaml:"snmp"`
}

// maxCredentialsFile bounds the file read: it holds a few short profiles.
const maxCredentialsFile = 256 << 10

// LoadCredentialsFile reads and checks a credentials file. Errors give the
// file and line, and never quote the file's text, which may be a secret.
func LoadCredentialsFile(path string) (map[string]CredentialSpec, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("snmp: credentials: %w", err)
	}
	if len(raw) > maxCredentialsFile {
		return nil, fmt.Errorf("snmp: credentials %s: file larger than %d bytes", path, maxCredentialsFile)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("snmp: credentials %s: %s", path, scrubYAML(err))
	}
	var f credentialsFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("snmp: credentials %s: %s", path, scrubYAML(err))
	}
	var problems []string
	names := make([]string, 0, len(f.SNMP))
	for n := range f.SNMP {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, p := range f.SNMP[n].validate(true) {
			path := append([]any{"snmp", n}, p.Path...)
			problems = append(problems, positioned(path, &root, p.Msg))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("snmp: credentials %s: %s", path, strings.Join(problems, "; "))
	}
	return f.SNMP, nil
}

// positioned names a problem's line:col from the parsed document, or its
// key path when the document is empty.
func positioned(path []any, root *yaml.Node, msg string) string {
	if n := yamlpos.Find(yamlpos.Root(root), path...); n != nil {
		return fmt.Sprintf("%d:%d: %s", n.Line, n.Column, msg)
	}
	return Problem{Path: path, Msg: msg}.Error()
}

// scrubYAML keeps the line of a YAML error and drops its text, which can
// quote the value of a secret.
func scrubYAML(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines := []string{}
		for _, e := range te.Errors {
			if n := yamlpos.Line(errors.New(e)); n > 0 {
				lines = append(lines, fmt.Sprintf("line %d", n))
			}
		}
		return fmt.Sprintf("%d unknown key(s) or value(s) of the wrong type at %s", len(te.Errors), strings.Join(lines, ", "))
	}
	if n := yamlpos.Line(err); n > 0 {
		return fmt.Sprintf("invalid YAML at line %d", n)
	}
	return "invalid YAML"
}

// ResolveCredentials gathers the profiles the devices use (from the
// credentials file, when the configuration names one, and from the
// configuration itself) and reads their secrets. getenv is os.Getenv
// outside tests.
func ResolveCredentials(c *Config, getenv func(string) string) (map[string]Credential, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	specs := map[string]CredentialSpec{}
	if c.CredentialsFile != "" {
		f, err := LoadCredentialsFile(c.CredentialsFile)
		if err != nil {
			return nil, err
		}
		specs = f
	}
	for name, s := range c.Credentials {
		if _, dup := specs[name]; dup {
			return nil, fmt.Errorf("snmp: credential profile %q is defined both in %s and in the configuration", name, c.CredentialsFile)
		}
		specs[name] = s
	}
	out := map[string]Credential{}
	var errs []error
	for _, d := range c.Devices {
		if _, done := out[d.Credentials]; done {
			continue
		}
		spec, ok := specs[d.Credentials]
		if !ok {
			errs = append(errs, fmt.Errorf("snmp: device %s: credential profile %q is not defined", d.Label(), d.Credentials))
			continue
		}
		cred, err := spec.resolve(getenv)
		if err != nil {
			errs = append(errs, fmt.Errorf("snmp: credential profile %q: %w", d.Credentials, err))
			continue
		}
		out[d.Credentials] = cred
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
