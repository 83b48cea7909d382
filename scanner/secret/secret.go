// Package secret holds Secret, the type every credential camsweep is given
// (ONVIF passwords, SNMP communities and SNMPv3 passwords) is kept in, so
// that none can be printed, logged, encoded or reported by mistake. It is a
// leaf, shared by the probers and the infrastructure harvest.
package secret

import (
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// redacted is what a Secret prints as, everywhere.
const redacted = "[redacted]"

// Secret holds a password. Every way Go prints or encodes a value (fmt verbs,
// %#v, JSON, text, YAML) yields "[redacted]", so a Secret that slips into a
// log line, an error or a report leaks nothing. Only Reveal gives the value,
// and only the code that signs a request calls it.
type Secret struct{ value string }

// New wraps a password.
func New(s string) Secret { return Secret{value: s} }

// Reveal returns the password, for signing a request and nothing else.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether no password is set.
func (s Secret) IsZero() bool { return s.value == "" }

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return redacted }

// Format covers every verb, including %x and %q, which would otherwise
// bypass String.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (s Secret) MarshalYAML() (any, error)    { return redacted, nil }

// UnmarshalYAML reads the password from a credentials file.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	var v string
	if err := n.Decode(&v); err != nil {
		return err
	}
	s.value = v
	return nil
}
