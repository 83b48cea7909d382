package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/maphash"
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

// maxHostEvidence bounds the evidence lines of one host. A camera answers
// every probe with a few dozen facts; thousands for one host is a loop in
// whatever produced the input.
const maxHostEvidence = 4096

// defaultIdentifyWindow is how many hosts identify holds at once. Input
// grouped by host needs one; tools that interleave hosts (one probe over
// all hosts, then the next) need as many as they interleave.
const defaultIdentifyWindow = 10000

// tableBlock is how many rows the table aligns at a time: tabwriter holds
// everything until it is flushed, which would undo the streaming.
const tableBlock = 1024

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
		window int
	)
	cmd := &cobra.Command{
		Use:   "identify",
		Short: "Identify devices from evidence read as JSON lines on stdin",
		Long: `identify reads evidence collected by any tool, one JSON object per line:
  {"host": "10.20.8.31", "probe": "http", "field": "http.server", "value": "App-webs/"}
and prints one verdict per host, in the order hosts first appear. Field names are
listed in docs/evidence.md (http.server, http.realm, http.title, rtsp.server,
tls.subject, mac, onvif.manufacturer, ...).

Input of any size streams: at most --window hosts are held at once, and when a
new host would exceed that, the host seen first is identified and printed. A host
whose lines come back after its verdict was printed is an error naming the line
(sort the input by host, or raise --window).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return withCode(exitError, fmt.Errorf("unknown output format %q (want table or json)", format))
			}
			if window < 1 {
				return withCode(exitError, fmt.Errorf("--window %d: want at least 1 host", window))
			}
			fp, err := loadFingerprints(rules)
			if err != nil {
				return withCode(exitError, err)
			}
			out := newVerdictWriter(cmd.OutOrStdout(), format)
			err = identifyStream(cmd.InOrStdin(), window, func(host string, ev []evidence.Evidence) error {
				return out.write(verdictFor(host, fp.Identify(ev)))
			})
			if ferr := out.flush(); err == nil {
				err = ferr
			}
			if err != nil {
				return withCode(exitError, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output-format", "o", "table", "table or json (JSON lines, one per host)")
	cmd.Flags().StringArrayVar(&rules, "rules", nil, "directory or file of extra fingerprint rules; repeatable")
	cmd.Flags().IntVar(&window, "window", defaultIdentifyWindow, "hosts held at once; a host's lines must come within this many hosts of its first")
	return cmd
}

// pendingHost is a host whose verdict is not written yet.
type pendingHost struct {
	host     string
	line     int // where it first appeared
	evidence []evidence.Evidence
}

// identifyStream reads evidence lines and calls done once per host with all
// of its evidence, in the order hosts first appear. It holds at most window
// hosts: a new host beyond that makes the oldest one done. What it keeps of
// finished hosts is a 64-bit hash each, so a host coming back after its
// verdict is caught (an error, never a second, partial verdict) at a few
// bytes per host instead of the host's evidence.
func identifyStream(r io.Reader, window int, done func(string, []evidence.Evidence) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxIdentifyLine)
	seed := maphash.MakeSeed()
	finished := map[uint64]struct{}{}
	pending := map[string]*pendingHost{}
	var queue []*pendingHost // first-appearance order; queue[head:] pending
	head := 0
	finish := func() error {
		p := queue[head]
		queue[head] = nil
		head++
		if head > len(queue)/2 && head > 1024 {
			queue = append(queue[:0], queue[head:]...)
			head = 0
		}
		delete(pending, p.host)
		finished[maphash.String(seed, p.host)] = struct{}{}
		return done(p.host, p.evidence)
	}
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
			return fmt.Errorf("stdin line %d: %w", line, err)
		}
		if el.Host == "" || el.Field == "" {
			return fmt.Errorf("stdin line %d: \"host\" and \"field\" are required", line)
		}
		p, ok := pending[el.Host]
		if !ok {
			if _, seen := finished[maphash.String(seed, el.Host)]; seen {
				return fmt.Errorf("stdin line %d: host %q comes back after its verdict was written (more than --window=%d hosts since its first line); sort the input by host or raise --window",
					line, evidence.Clean(el.Host, 64), window)
			}
			if len(pending) == window {
				if err := finish(); err != nil {
					return err
				}
			}
			p = &pendingHost{host: el.Host, line: line}
			pending[el.Host] = p
			queue = append(queue, p)
		}
		if len(p.evidence) == maxHostEvidence {
			return fmt.Errorf("stdin line %d: host %q has more than %d evidence lines (first at line %d)", line, evidence.Clean(el.Host, 64), maxHostEvidence, p.line)
		}
		p.evidence = append(p.evidence, evidence.Evidence{Probe: el.Probe, Field: el.Field, Value: el.Value})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("stdin line %d: %w", line+1, err)
	}
	for head < len(queue) {
		if err := finish(); err != nil {
			return err
		}
	}
	return nil
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

// verdictWriter prints verdicts as they come: JSON lines, or a table aligned
// in blocks of tableBlock rows.
type verdictWriter struct {
	w      io.Writer
	json   *json.Encoder
	tw     *tabwriter.Writer
	inTW   int
	header bool
}

func newVerdictWriter(w io.Writer, format string) *verdictWriter {
	if format == "json" {
		return &verdictWriter{w: w, json: json.NewEncoder(w)}
	}
	return &verdictWriter{w: w, tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
}

func (vw *verdictWriter) write(v hostVerdict) error {
	if vw.json != nil {
		return vw.json.Encode(v)
	}
	if !vw.header {
		fmt.Fprintln(vw.tw, "HOST\tCLASS\tBRAND\tMANUFACTURER\tMODEL\tFIRMWARE\tSERIAL\tCONFIDENCE")
		vw.header = true
	}
	// Evidence read from a file reaches the terminal: what a device put
	// in a banner (a screen clear, an OSC 8 link) is shown, not obeyed.
	fmt.Fprintf(vw.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\n", termText(v.Host), termText(string(v.Class)), termText(v.Brand), termText(v.Manufacturer),
		termText(v.Model), termText(v.Firmware), termText(v.Serial), v.Confidence)
	vw.inTW++
	if vw.inTW == tableBlock {
		vw.inTW = 0
		return vw.tw.Flush()
	}
	return nil
}

func (vw *verdictWriter) flush() error {
	if vw.tw == nil {
		return nil
	}
	if !vw.header {
		fmt.Fprintln(vw.tw, "HOST\tCLASS\tBRAND\tMANUFACTURER\tMODEL\tFIRMWARE\tSERIAL\tCONFIDENCE")
	}
	return vw.tw.Flush()
}

// termText is device text made safe for a terminal, "-" when empty.
func termText(s string) string { return orDash(evidence.Clean(s, 0)) }
