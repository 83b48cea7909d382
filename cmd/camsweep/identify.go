package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/fingerprint"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

// maxIdentifyLine bounds one JSON line of evidence; a banner longer than
// this is not one a device sent to a well-behaved client.
const maxIdentifyLine = 1 << 20

type evidenceLine struct {
	Host  string `json:"host"`
	Probe string `json:"probe"`
	Field string `json:"field"`
	Value string `json:"value"`
}

type hostVerdict struct {
	Host         string         `json:"host"`
	Class        evidence.Class `json:"class"`
	Brand        string         `json:"brand"`
	Manufacturer string         `json:"manufacturer"`
	Model        string         `json:"model"`
	Firmware     string         `json:"firmware"`
	Serial       string         `json:"serial"`
	Confidence   float64        `json:"confidence"`
	Why          []string       `json:"why"`
	Conflicts    []string       `json:"conflicts"`
}

func newIdentifyCommand(g *globalFlags) *cobra.Command {
	var (
		format string
		rules  []string
		site   string
		rf     reconcileFlags
	)
	cmd := &cobra.Command{
		Use:   "identify [FILE...]",
		Short: "Identify devices from evidence JSON lines or nmap XML (files, or stdin)",
		Long: `identify reads evidence collected by any tool and prints one verdict per host.
It reads each FILE (or stdin) in either of two forms, told apart by content:
  - JSON lines, one evidence item per line:
      {"host": "10.20.8.31", "probe": "http", "field": "http.server", "value": "App-webs/"}
    Field names are listed in docs/evidence.md.
  - nmap's XML (-oX), best with -sV and the scripts http-title,
    http-server-header, http-auth, ssl-cert, rtsp-methods (and http-favicon):
      nmap -sV --script http-title,http-server-header,http-auth,ssl-cert,rtsp-methods -oX scan.xml ...
With --registry and/or --policy it reconciles the identified devices and
prints a report with findings instead (-o table, json, csv or html), exiting 1
at --fail-on. An imported scan is partial: nothing is reported missing.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := rf.load()
			if err != nil {
				return err
			}
			verdictFormat := format
			if verdictFormat == "" {
				verdictFormat = "table"
			}
			if !in.enabled && verdictFormat != "table" && verdictFormat != "json" {
				return withCode(exitError, fmt.Errorf("unknown output format %q (want table or json)", format))
			}
			fp, err := loadFingerprints(rules)
			if err != nil {
				return withCode(exitError, err)
			}
			hosts, evidence, err := readIdentifyInputs(cmd.InOrStdin(), args)
			if err != nil {
				return withCode(exitError, err)
			}
			if in.enabled {
				return identifyReport(cmd.OutOrStdout(), fp, hosts, evidence, site, in, format)
			}
			verdicts := make([]hostVerdict, 0, len(hosts))
			for _, h := range hosts {
				verdicts = append(verdicts, verdictFor(h, fp.Identify(evidence[h])))
			}
			return writeVerdicts(cmd.OutOrStdout(), verdictFormat, verdicts)
		},
	}
	cmd.Flags().StringVarP(&format, "output-format", "o", "", "table or json (JSON lines, one per host); with --registry/--policy: table, json, csv or html")
	cmd.Flags().StringArrayVar(&rules, "rules", nil, "directory or file of extra fingerprint rules (YAML, or recog XML); repeatable")
	cmd.Flags().StringVar(&site, "site", "", "site the hosts belong to, for the policy's camera segments (with --registry/--policy)")
	rf.register(cmd)
	return cmd
}

// readIdentifyInputs reads every file (stdin when there are none), each as
// nmap XML or evidence JSON lines, and merges the hosts in order.
func readIdentifyInputs(stdin io.Reader, files []string) ([]string, map[string][]evidence.Evidence, error) {
	type source struct {
		name string
		r    io.Reader
	}
	var sources []source
	if len(files) == 0 {
		sources = append(sources, source{"stdin", stdin})
	}
	var hosts []string
	byHost := map[string][]evidence.Evidence{}
	read := func(name string, r io.Reader) error {
		br := bufio.NewReader(r)
		var hs []string
		var ev map[string][]evidence.Evidence
		var err error
		if looksLikeXML(br) {
			hs, ev, err = readNmapEvidence(br)
		} else {
			hs, ev, err = readEvidence(br)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, h := range hs {
			if _, seen := byHost[h]; !seen {
				hosts = append(hosts, h)
			}
			byHost[h] = evidence.AppendNew(byHost[h], ev[h]...)
		}
		return nil
	}
	for _, s := range sources {
		if err := read(s.name, s.r); err != nil {
			return nil, nil, err
		}
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, err
		}
		err = read(name, f)
		f.Close()
		if err != nil {
			return nil, nil, err
		}
	}
	return hosts, byHost, nil
}

// looksLikeXML peeks at the first non-blank byte: nmap's XML starts with
// "<", evidence JSON lines with "{".
func looksLikeXML(br *bufio.Reader) bool {
	for i := 1; i <= 512; i++ {
		b, err := br.Peek(i)
		if err != nil {
			return false
		}
		switch c := b[i-1]; c {
		case ' ', '\t', '\r', '\n', 0xef, 0xbb, 0xbf: // blanks and a UTF-8 BOM
			continue
		default:
			return c == '<'
		}
	}
	return false
}

// identifyReport reconciles identified hosts like a scan report: devices with
// their verdicts, then findings against the registry and policy. The import
// is partial, so no camera is reported missing.
func identifyReport(w io.Writer, fp *fingerprint.Engine, hosts []string, byHost map[string][]evidence.Evidence, site string, in *reconcileInputs, format string) error {
	rep := &inventory.Report{Schema: inventory.ReportSchema, Site: site, Incomplete: true,
		Started: in.now, Finished: in.now, Scope: inventory.ScopeSummary{Notes: []string{"imported evidence (camsweep identify); not a sweep"}},
		Stats: inventory.Stats{ProbeErrors: map[string]int{}}, Findings: []inventory.Finding{}}
	for _, h := range hosts {
		ip, err := netip.ParseAddr(h)
		if err != nil {
			return withCode(exitError, fmt.Errorf("host %q: reconciling needs IP addresses as hosts", h))
		}
		rep.Scope.Targets = append(rep.Scope.Targets, netip.PrefixFrom(ip, ip.BitLen()).String())
		ev := byHost[h]
		v := fp.Identify(ev)
		d := inventory.Device{IP: ip, Hostnames: []string{}, OpenPorts: []uint16{}, Class: v.Class, Brand: v.Brand,
			Manufacturer: v.Manufacturer, Model: v.Model, Firmware: v.Firmware, Serial: v.Serial,
			Confidence: v.Confidence, Why: v.Why, Evidence: ev}
		for _, e := range ev {
			switch e.Field {
			case "mac":
				// The registry's form (lower-case, colons), so that a
				// MAC nmap or another tool wrote in capitals matches.
				if mac, err := inventory.NormalizeMAC(e.Value); err == nil && d.MAC == "" {
					d.MAC = mac
				}
			case "hostname":
				d.Hostnames = append(d.Hostnames, e.Value)
			case "tcp.open":
				if n, err := strconv.ParseUint(e.Value, 10, 16); err == nil && n > 0 && !slices.Contains(d.OpenPorts, uint16(n)) {
					d.OpenPorts = append(d.OpenPorts, uint16(n))
				}
			}
		}
		slices.Sort(d.OpenPorts)
		if d.IsCameraLike() {
			rep.Stats.Cameras++
		}
		rep.Devices = append(rep.Devices, d)
	}
	rep.Stats.Live = len(rep.Devices)
	rep.Stats.Addresses = uint64(len(rep.Devices))
	if err := in.apply(rep); err != nil {
		return withCode(exitError, err)
	}
	of := outputFlags{format: format}
	if err := of.validate(); err != nil {
		return err
	}
	if err := of.write(w, rep); err != nil {
		return withCode(exitError, err)
	}
	return in.exitFor(rep.Findings)
}

// readEvidence groups evidence by host, hosts in order of first appearance.
func readEvidence(r io.Reader) ([]string, map[string][]evidence.Evidence, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxIdentifyLine)
	var hosts []string
	byHost := map[string][]evidence.Evidence{}
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var el evidenceLine
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&el); err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		if el.Host == "" || el.Field == "" {
			return nil, nil, fmt.Errorf("line %d: \"host\" and \"field\" are required", line)
		}
		if _, ok := byHost[el.Host]; !ok {
			hosts = append(hosts, el.Host)
		}
		byHost[el.Host] = append(byHost[el.Host], evidence.Evidence{Probe: el.Probe, Field: el.Field, Value: el.Value})
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return hosts, byHost, nil
}

func verdictFor(host string, v fingerprint.Verdict) hostVerdict {
	return hostVerdict{
		Host: host, Class: v.Class, Brand: v.Brand, Manufacturer: v.Manufacturer, Model: v.Model,
		Firmware: v.Firmware, Serial: v.Serial, Confidence: v.Confidence,
		Why: nonNilStrings(v.Why), Conflicts: nonNilStrings(v.Conflicts),
	}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func writeVerdicts(w io.Writer, format string, verdicts []hostVerdict) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		for _, v := range verdicts {
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tCLASS\tBRAND\tMANUFACTURER\tMODEL\tFIRMWARE\tSERIAL\tCONFIDENCE")
	for _, v := range verdicts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\n", v.Host, v.Class, orDash(v.Brand), orDash(v.Manufacturer),
			orDash(v.Model), orDash(v.Firmware), orDash(v.Serial), v.Confidence)
	}
	return tw.Flush()
}
