package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/fingerprint"
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
	)
	cmd := &cobra.Command{
		Use:   "identify",
		Short: "Identify devices from evidence read as JSON lines on stdin",
		Long: `identify reads evidence collected by any tool, one JSON object per line:
  {"host": "10.20.8.31", "probe": "http", "field": "http.server", "value": "App-webs/"}
and prints one verdict per host. Field names are listed in docs/evidence.md
(http.server, http.realm, http.title, rtsp.server, tls.subject, mac, onvif.manufacturer, ...).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return withCode(exitError, fmt.Errorf("unknown output format %q (want table or json)", format))
			}
			fp, err := loadFingerprints(rules)
			if err != nil {
				return withCode(exitError, err)
			}
			hosts, evidence, err := readEvidence(cmd.InOrStdin())
			if err != nil {
				return withCode(exitError, err)
			}
			verdicts := make([]hostVerdict, 0, len(hosts))
			for _, h := range hosts {
				verdicts = append(verdicts, verdictFor(h, fp.Identify(evidence[h])))
			}
			return writeVerdicts(cmd.OutOrStdout(), format, verdicts)
		},
	}
	cmd.Flags().StringVarP(&format, "output-format", "o", "table", "table or json (JSON lines, one per host)")
	cmd.Flags().StringArrayVar(&rules, "rules", nil, "directory or file of extra fingerprint rules; repeatable")
	return cmd
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
			return nil, nil, fmt.Errorf("stdin line %d: %w", line, err)
		}
		if el.Host == "" || el.Field == "" {
			return nil, nil, fmt.Errorf("stdin line %d: \"host\" and \"field\" are required", line)
		}
		if _, ok := byHost[el.Host]; !ok {
			hosts = append(hosts, el.Host)
		}
		byHost[el.Host] = append(byHost[el.Host], evidence.Evidence{Probe: el.Probe, Field: el.Field, Value: el.Value})
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("stdin line %d: %w", line+1, err)
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
