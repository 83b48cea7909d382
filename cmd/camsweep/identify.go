package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/maphash"
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

// maxHostEvidence bounds the evidence of one host. A camera answers every
// probe with a few dozen facts; thousands for one host is a loop in
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
		site   string
		window int
		rf     reconcileFlags
	)
	cmd := &cobra.Command{
		Use:   "identify [FILE...]",
		Short: "Identify devices from evidence JSON lines or nmap XML (files, or stdin)",
		Long: `identify reads evidence collected by any tool and prints one verdict per host,
in the order hosts first appear. It reads each FILE (or stdin) in either of two
forms, told apart by content:
  - JSON lines, one evidence item per line:
      {"host": "10.20.8.31", "probe": "http", "field": "http.server", "value": "App-webs/"}
    Field names are listed in docs/evidence.md.
  - nmap's XML (-oX), best with -sV and the scripts http-title,
    http-server-header, http-auth, ssl-cert, rtsp-methods (and http-favicon):
      nmap -sV --script http-title,http-server-header,http-auth,ssl-cert,rtsp-methods -oX scan.xml ...
Input of any size streams: at most --window hosts are held at once, and when a
new host would exceed that, the host seen first is identified and printed. A host
whose evidence comes back after its verdict was printed is an error naming where
(sort the input by host, or raise --window).
With --registry and/or --policy it reconciles the identified devices and
prints a report with findings instead (-o table, json, csv or html), exiting 1
at --fail-on; that needs every host at once, so more than --window hosts is an
error. An imported scan is partial: nothing is reported missing.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			rf.ctx = cmd.Context()
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
			if window < 1 {
				return withCode(exitError, fmt.Errorf("--window %d: want at least 1 host", window))
			}
			fp, err := loadFingerprints(rules)
			if err != nil {
				return withCode(exitError, err)
			}
			if in.enabled {
				// Reconciling judges all hosts together: they are all held,
				// up to the window.
				var hosts []string
				byHost := map[string][]evidence.Evidence{}
				c := newHostCollector(window, true, func(h string, ev []evidence.Evidence) error {
					hosts = append(hosts, h)
					byHost[h] = ev
					return nil
				})
				if err := readIdentifyInputs(cmd.InOrStdin(), args, c); err != nil {
					return withCode(exitError, err)
				}
				return identifyReport(cmd.OutOrStdout(), fp, hosts, byHost, site, in, format)
			}
			out := newVerdictWriter(cmd.OutOrStdout(), verdictFormat)
			c := newHostCollector(window, false, func(h string, ev []evidence.Evidence) error {
				return out.write(verdictFor(h, fp.Identify(ev)))
			})
			err = readIdentifyInputs(cmd.InOrStdin(), args, c)
			if ferr := out.flush(); err == nil {
				err = ferr
			}
			if err != nil {
				return withCode(exitError, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output-format", "o", "", "table or json (JSON lines, one per host); with --registry/--policy: table, json, csv or html")
	cmd.Flags().StringArrayVar(&rules, "rules", nil, "directory or file of extra fingerprint rules (YAML, or recog XML); repeatable")
	cmd.Flags().StringVar(&site, "site", "", "site the hosts belong to, for the policy's camera segments (with --registry/--policy)")
	cmd.Flags().IntVar(&window, "window", defaultIdentifyWindow, "hosts held at once: a host's evidence must come within this many hosts of its first (with --registry/--policy: the most hosts)")
	rf.register(cmd)
	return cmd
}

// readIdentifyInputs reads every file (stdin when there are none), each as
// nmap XML or evidence JSON lines, into c, and closes c.
func readIdentifyInputs(stdin io.Reader, files []string, c *hostCollector) error {
	read := func(name string, r io.Reader) error {
		br := bufio.NewReader(r)
		if !looksLikeXML(br) {
			return readEvidenceLines(br, name, c)
		}
		// nmap's XML is read whole (its parser bounds it); its hosts then
		// join the stream.
		hs, ev, err := readNmapEvidence(br)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, h := range hs {
			if err := c.add(h, ev[h], name); err != nil {
				return err
			}
		}
		return nil
	}
	if len(files) == 0 {
		if err := read("stdin", stdin); err != nil {
			return err
		}
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		err = read(name, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return c.close()
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

// readEvidenceLines reads evidence JSON lines into c.
func readEvidenceLines(r io.Reader, name string, c *hostCollector) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxIdentifyLine)
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
			return fmt.Errorf("%s: line %d: %w", name, line, err)
		}
		if el.Host == "" || el.Field == "" {
			return fmt.Errorf("%s: line %d: \"host\" and \"field\" are required", name, line)
		}
		if err := c.add(el.Host, []evidence.Evidence{{Probe: el.Probe, Field: el.Field, Value: el.Value}}, fmt.Sprintf("%s: line %d", name, line)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: line %d: %w", name, line+1, err)
	}
	return nil
}

// hostCollector gathers each host's evidence and calls done once per host,
// in the order hosts first appear. It holds at most window hosts: a new
// host beyond that makes the oldest one done (or, when every host must be
// held, is an error). What it keeps of finished hosts is a 64-bit hash each,
// so a host coming back after its verdict is caught (an error, never a
// second verdict from part of its evidence) at a few bytes per host instead
// of the host's evidence.
type hostCollector struct {
	window   int
	holdAll  bool
	done     func(string, []evidence.Evidence) error
	seed     maphash.Seed
	finished map[uint64]struct{}
	pending  map[string]*pendingHost
	queue    []*pendingHost // first-appearance order; queue[head:] pending
	head     int
}

// pendingHost is a host whose verdict is not written yet.
type pendingHost struct {
	host     string
	where    string // where it first appeared
	evidence []evidence.Evidence
}

func newHostCollector(window int, holdAll bool, done func(string, []evidence.Evidence) error) *hostCollector {
	return &hostCollector{window: window, holdAll: holdAll, done: done, seed: maphash.MakeSeed(),
		finished: map[uint64]struct{}{}, pending: map[string]*pendingHost{}}
}

// add adds evidence for host, read at where (for errors).
func (c *hostCollector) add(host string, ev []evidence.Evidence, where string) error {
	p, ok := c.pending[host]
	if !ok {
		if _, seen := c.finished[maphash.String(c.seed, host)]; seen {
			return fmt.Errorf("%s: host %q comes back after its verdict was written (more than --window=%d hosts since its first evidence); sort the input by host or raise --window",
				where, evidence.Clean(host, 64), c.window)
		}
		if len(c.pending) == c.window {
			if c.holdAll {
				return fmt.Errorf("%s: more than --window=%d hosts; reconciling holds every host at once: raise --window", where, c.window)
			}
			if err := c.finishOldest(); err != nil {
				return err
			}
		}
		p = &pendingHost{host: host, where: where}
		c.pending[host] = p
		c.queue = append(c.queue, p)
	}
	if len(p.evidence)+len(ev) > maxHostEvidence {
		return fmt.Errorf("%s: host %q has more than %d evidence items (first at %s)", where, evidence.Clean(host, 64), maxHostEvidence, p.where)
	}
	if len(ev) == 1 {
		p.evidence = append(p.evidence, ev[0])
	} else {
		p.evidence = evidence.AppendNew(p.evidence, ev...)
	}
	return nil
}

func (c *hostCollector) finishOldest() error {
	p := c.queue[c.head]
	c.queue[c.head] = nil
	c.head++
	if c.head > len(c.queue)/2 && c.head > 1024 {
		c.queue = append(c.queue[:0], c.queue[c.head:]...)
		c.head = 0
	}
	delete(c.pending, p.host)
	c.finished[maphash.String(c.seed, p.host)] = struct{}{}
	return c.done(p.host, p.evidence)
}

// close finishes every host still pending.
func (c *hostCollector) close() error {
	for c.head < len(c.queue) {
		if err := c.finishOldest(); err != nil {
			return err
		}
	}
	return nil
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
