package snmp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxConfigFile bounds the infrastructure file.
const maxConfigFile = 4 << 20

// LoadConfig reads an infrastructure file (`camsweep scan --infrastructure`):
// strict YAML (an unknown key is an error), every problem reported at once
// with its file:line:col, and credentials_file resolved against the file's
// directory. The credentials themselves are read by ResolveCredentials.
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("snmp: infrastructure: %w", err)
	}
	if len(raw) > maxConfigFile {
		return nil, fmt.Errorf("snmp: infrastructure %s: file larger than %d bytes", path, maxConfigFile)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("snmp: infrastructure %s: %w", path, err)
	}
	cfg := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("snmp: infrastructure %s: %w", path, err)
	}
	var msgs []string
	for _, p := range cfg.Validate() {
		msgs = append(msgs, path+":"+positioned(p.Path, &root, p.Msg))
	}
	if len(msgs) > 0 {
		return nil, fmt.Errorf("snmp: infrastructure: %s", strings.Join(msgs, "; "))
	}
	cfg.ResolvePaths(filepath.Dir(path))
	return cfg, nil
}

// ResolvePaths makes a relative credentials_file relative to dir, the
// directory of the file the configuration came from.
func (c *Config) ResolvePaths(dir string) {
	if c.CredentialsFile != "" && !filepath.IsAbs(c.CredentialsFile) {
		c.CredentialsFile = filepath.Join(dir, c.CredentialsFile)
	}
}
