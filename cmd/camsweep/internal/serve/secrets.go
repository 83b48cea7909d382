package serve

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
)

// Values of secret_files: what the daemon does with a token file or TLS key
// that users other than its owner may read.
const (
	SecretFilesWarn   = "warn"
	SecretFilesRefuse = "refuse"
)

// checkSecretFile looks at a secret's permission bits. Anyone who can read
// the token file can use the API (start sweeps of clinical networks, read
// every finding); anyone who can read the TLS key can impersonate the
// sensor. It follows links, as Kubernetes mounts secrets through them.
// Windows has no such bits; there it says nothing.
func checkSecretFile(path, key, policy string) (warning string, err error) {
	if runtime.GOOS == "windows" || path == "" {
		return "", nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", nil // reading it reports the problem
	}
	perm := fi.Mode().Perm()
	if perm&0o077 == 0 {
		return "", nil
	}
	var who []string
	if perm&0o070 != 0 {
		who = append(who, "its group")
	}
	if perm&0o007 != 0 {
		who = append(who, "every user")
	}
	msg := fmt.Sprintf("%s %s is open to %s (mode %04o): whoever can read it holds the secret; chmod 600 it", key, path, strings.Join(who, " and "), perm)
	if policy == SecretFilesRefuse {
		return "", errors.New(msg + " (secret_files: refuse)")
	}
	return msg + " (secret_files: refuse makes this an error)", nil
}

// readTokenFile checks the token file's permissions, then reads it.
func readTokenFile(path, policy string) ([]tokenHash, string, error) {
	warn, err := checkSecretFile(path, "api_tokens_file", policy)
	if err != nil {
		return nil, "", err
	}
	toks, err := readTokens(path)
	return toks, warn, err
}

// cleartextWarning says when the API and the device data would cross the
// network unencrypted: a listen address other than loopback, without TLS.
func cleartextWarning(listen string, tls bool) string {
	if tls {
		return ""
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	if strings.EqualFold(host, "localhost") {
		return ""
	}
	if a, err := netip.ParseAddr(host); err == nil && a.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("listen %s is not a loopback address and tls is not set: bearer tokens, findings and device addresses cross the network in clear text; set tls (cert_file, key_file) or listen on 127.0.0.1 behind a TLS proxy", listen)
}
