//go:build linux

package netlab

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// SNMPDConfig is what the router's agent accepts.
type SNMPDConfig struct {
	// Community is a read-only v2c community, granted to the scanner's
	// subnet only; empty grants none.
	Community string
	// Users are read-only SNMPv3 users (authPriv).
	Users []SNMPDUser
}

// SNMPDUser is an SNMPv3 USM user as net-snmp's createUser takes it.
type SNMPDUser struct {
	Name     string
	Auth     string // SHA, SHA-224, SHA-256, SHA-384, SHA-512
	AuthPass string
	Priv     string // AES, AES-192, AES-256
	PrivPass string
}

// SNMPDSkip says why the router agent cannot run here, or "".
func SNMPDSkip() string {
	if _, err := exec.LookPath("snmpd"); err != nil {
		return "netlab: needs net-snmp's snmpd (apt-get install snmpd); .ci/run installs it"
	}
	return ""
}

// StartSNMPD runs Debian's net-snmp agent in the router namespace,
// listening on the router's address towards the scanner, serving the
// namespace's own tables (the kernel neighbour table as IP-MIB's
// ipNetToPhysicalTable and RFC 1213's ipNetToMediaTable, IF-MIB), and
// returns where it listens. It stops with the lab. Without snmpd the test
// is skipped.
func (r *Routed) StartSNMPD(t testing.TB, cfg SNMPDConfig) netip.AddrPort {
	t.Helper()
	if why := SNMPDSkip(); why != "" {
		t.Skip(why)
	}
	dir := t.TempDir()
	at := netip.AddrPortFrom(r.RouterAddr, 161)
	var conf strings.Builder
	fmt.Fprintf(&conf, "agentAddress udp:%s\n", at)
	if cfg.Community != "" {
		fmt.Fprintf(&conf, "rocommunity %s %s\n", cfg.Community, r.ScannerPrefix)
	}
	for _, u := range cfg.Users {
		fmt.Fprintf(&conf, "createUser %s %s %q %s %q\nrouser %s priv\n", u.Name, u.Auth, u.AuthPass, u.Priv, u.PrivPass, u.Name)
	}
	fmt.Fprintf(&conf, "sysName %s-router\nsysDescr netlab router %s (net-snmp)\n", r.ID, r.ID)
	path := filepath.Join(dir, "snmpd.conf")
	if err := os.WriteFile(path, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	// -C: only this file; -Lo: log to stdout, where readiness shows;
	// -I -smux: no SMUX listener on TCP 199; no MIB files are parsed.
	cmd := r.Command(context.Background(), r.RouterNS, "snmpd", "-f", "-Lo", "-C", "-c", path,
		"-p", filepath.Join(dir, "pid"), "--persistentDir="+filepath.Join(dir, "persist"), "-I", "-smux", "-m", "")
	cmd.Env = append(os.Environ(), "MIBS=", "MIBDIRS="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := r.Start(cmd); err != nil {
		t.Fatal(err)
	}
	// The agent prints its version line once it listens; if it exits
	// first, what it printed says why.
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		var log strings.Builder
		for sc.Scan() {
			if strings.Contains(sc.Text(), "NET-SNMP version") {
				ready <- ""
				for sc.Scan() {
				}
				return
			}
			if log.Len() < 8<<10 {
				log.WriteString(sc.Text() + "\n")
			}
		}
		ready <- "snmpd exited: " + log.String()
	}()
	select {
	case msg := <-ready:
		if msg != "" {
			t.Fatalf("netlab: %s", msg)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("netlab: snmpd did not start in 15 s")
	}
	return at
}
