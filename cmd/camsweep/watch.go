package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/cmd/camsweep/internal/sense"
	"github.com/camsweep/camsweep/cmd/camsweep/internal/serve"
	"github.com/camsweep/camsweep/cmd/camsweep/internal/sweep"
	"github.com/camsweep/camsweep/fingerprint"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
)

type watchFlags struct {
	site            string
	ports           []string
	exclude         []string
	excludeOUIs     []string
	allowPublic     bool
	profile         string
	rate            float64
	iface           string
	routerMACs      []string
	probesPerMinute int
	credentials     string
	rules           []string
	format          string
	duration        time.Duration
}

func newWatchCommand(g *globalFlags) *cobra.Command {
	var (
		wf watchFlags
		rf reconcileFlags
	)
	cmd := &cobra.Command{
		Use:   "watch [flags] TARGET...",
		Short: "Listen on the segment and print each new device and finding as it appears, until stopped",
		Long: `Listen on the link-level interface whose subnet holds the TARGETs (or --interface)
and print every device heard as it first appears: its address, true MAC, what it
announced and, from that, who made it. With --registry and --policy each new device
is reconciled at once and its findings printed. The default profile, passive, sends
nothing; with --profile gentle (or full) each new device in the scope is probed at
once, that host alone, within --probes-per-minute. Stop with Ctrl-C (SIGINT) or
SIGTERM: a summary ends the output.

Output is a table on a terminal and JSON lines otherwise (-o table|json):
{"type":"device",...}, {"type":"finding",...} and a closing {"type":"summary",...}.`,
		Example: `  camsweep watch --site NOH --registry noh.csv --policy policy.yaml 10.20.8.0/22
  camsweep watch --site NOH --profile gentle --interface eth1 -o json 10.20.8.0/22 > noh-watch.jsonl`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, targets []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runWatch(cmd.Context(), cmd.OutOrStdout(), targets, &wf, &rf, log)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&wf.site, "site", "", "site name as the registry names it (e.g. NOH)")
	fl.StringSliceVarP(&wf.ports, "ports", "p", nil, "ports a probe of a new device may use (default the camera port set)")
	fl.StringSliceVar(&wf.exclude, "exclude", nil, "addresses, ranges or prefixes never to touch (exclusions win)")
	fl.StringSliceVar(&wf.excludeOUIs, "exclude-oui", nil, "MAC prefixes (OUI) never to probe, e.g. a medical-device maker's block")
	fl.BoolVar(&wf.allowPublic, "allow-public", false, "allow targets outside private, loopback and link-local space")
	fl.StringVar(&wf.profile, "profile", sweep.ProfilePassive, "what may be sent to a new device: passive (nothing), arp, gentle or full")
	fl.Float64Var(&wf.rate, "rate", scanner.DefaultRate, "new connections or packets per second of a probe")
	fl.StringVar(&wf.iface, "interface", "", "interface to listen on (default: the one whose subnet holds the targets)")
	fl.StringSliceVar(&wf.routerMACs, "router-mac", nil, "MACs of the segment's routers (the default gateway's is learned)")
	fl.IntVar(&wf.probesPerMinute, "probes-per-minute", sense.DefaultProbeBudget, "budget of probes of new devices")
	fl.StringVar(&wf.credentials, "credentials", "", "ONVIF credentials file (YAML) for probes")
	fl.StringArrayVar(&wf.rules, "rules", nil, "directory or file of extra fingerprint rules; repeatable")
	fl.StringVarP(&wf.format, "output-format", "o", "", "table or json (JSON lines) (default: table on a terminal, json otherwise)")
	fl.DurationVar(&wf.duration, "for", 0, "stop after this long (default: until Ctrl-C or SIGTERM)")
	rf.register(cmd)
	return cmd
}

// runWatch listens until ctx ends (or --for passes) and prints as it goes.
func runWatch(ctx context.Context, stdout io.Writer, targets []string, wf *watchFlags, rf *reconcileFlags, log zerolog.Logger) error {
	format := wf.format
	if format == "" {
		format = "json"
		if f, ok := stdout.(*os.File); ok && isTerminal(f) {
			format = "table"
		}
	}
	if format != "table" && format != "json" {
		return withCode(exitError, fmt.Errorf("watch: output format %q: want table or json", format))
	}
	if wf.probesPerMinute <= 0 {
		return withCode(exitError, fmt.Errorf("watch: --probes-per-minute must be positive"))
	}
	cfg := sweep.Config{
		Site: wf.site, Targets: targets, Exclude: wf.exclude, ExcludeOUIs: wf.excludeOUIs, AllowPublic: wf.allowPublic,
		Ports: wf.ports, Profile: wf.profile, Rate: wf.rate, Interface: wf.iface, RouterMACs: wf.routerMACs,
	}
	if err := cfg.Validate(); err != nil {
		return withCode(exitError, err)
	}
	scope, err := scanner.NewScope(targets, wf.exclude, wf.allowPublic)
	if err != nil {
		return withCode(exitError, err)
	}
	in, err := rf.load()
	if err != nil {
		return err
	}
	fp, err := loadFingerprints(wf.rules)
	if err != nil {
		return withCode(exitError, err)
	}
	if wf.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wf.duration)
		defer cancel()
	}
	out := newWatchOutput(stdout, format == "table", fp)
	invScope := inventory.Scope{Site: wf.site, Prefixes: scope.Prefixes()}
	look := func(ctx context.Context, t sense.Target) error {
		dev, err := lookAt(ctx, cfg, scope, wf.credentials, t, fp, log)
		if err != nil {
			return err
		}
		var findings []inventory.Finding
		if in.enabled {
			dev, findings = sense.Judge(dev, nil, in.registry, in.policy, invScope, in.now)
		}
		out.looked(t, dev, findings)
		return nil
	}
	sensor := sense.New(sense.Options{
		Site: wf.site, InScope: scope.Contains, ExcludedMAC: sweepMACExcluder(wf.excludeOUIs),
		Probe: look, ProbeBudget: wf.probesPerMinute, CameraLike: cameraLike(fp), OnEvent: out.event, Log: log,
	})
	sctx, stop := context.WithCancel(ctx)
	sensorDone := make(chan struct{})
	go func() { _ = sensor.Run(sctx); close(sensorDone) }()
	var (
		iface   string
		dropped func() uint64
	)
	listenErr := listenLink(ctx, wf.iface, scope, wf.routerMACs, log, func(l serve.Listening) {
		iface, dropped = l.Interface, l.Dropped
		log.Info().Str("interface", l.Interface).Str("profile", wf.profile).Msg("watching; Ctrl-C to stop")
	}, sensor.Heard, nil)
	stop()
	<-sensorDone
	st := sensor.Stats()
	var lost uint64
	if dropped != nil {
		lost = dropped()
	}
	out.summary(iface, st, lost)
	if listenErr != nil {
		return withCode(exitError, fmt.Errorf("watch: %w", listenErr))
	}
	return in.exitForSeverity(out.worstSeverity())
}

// sweepMACExcluder is the excluded-OUI check the sweep uses, for the sensor.
func sweepMACExcluder(ouis []string) func(string) bool {
	if len(ouis) == 0 {
		return nil
	}
	var norm []string
	for _, o := range ouis {
		norm = append(norm, strings.NewReplacer(":", "", "-", "", ".", "").Replace(strings.ToLower(o)))
	}
	return func(mac string) bool {
		hex := strings.ReplaceAll(strings.ToLower(mac), ":", "")
		for _, p := range norm {
			if strings.HasPrefix(hex, p) {
				return true
			}
		}
		return false
	}
}

// watchOutput prints what the watch sees, from the sensor's goroutine and
// the probe worker's, one whole line at a time.
type watchOutput struct {
	w       io.Writer
	table   bool
	fp      *fingerprint.Engine
	started time.Time

	mu     sync.Mutex
	header bool
	// devices maps a device key to the latest class printed, for the
	// summary. A watch may run for days under a flood of new MACs, so it
	// holds as many devices as the sensor does and counts the rest.
	devices          map[string]string
	devicesUntracked int
	// Findings are counted by severity, not kept: the lines are the
	// record.
	bySeverity map[inventory.Severity]int
}

// watchMaxDevices bounds the summary's device table, as the sensor bounds
// its own.
const watchMaxDevices = sense.DefaultMaxHosts

func newWatchOutput(w io.Writer, table bool, fp *fingerprint.Engine) *watchOutput {
	return &watchOutput{w: w, table: table, fp: fp, started: time.Now(), devices: map[string]string{}, bySeverity: map[inventory.Severity]int{}}
}

// watchLine is one JSON line.
type watchLine struct {
	Type         string              `json:"type"`
	Time         time.Time           `json:"time"`
	Event        string              `json:"event,omitempty"`
	IP           string              `json:"ip,omitempty"`
	MAC          string              `json:"mac,omitempty"`
	PreviousMAC  string              `json:"previous_mac,omitempty"`
	Class        string              `json:"class,omitempty"`
	Brand        string              `json:"brand,omitempty"`
	Manufacturer string              `json:"manufacturer,omitempty"`
	Model        string              `json:"model,omitempty"`
	Heard        []string            `json:"heard,omitempty"`
	Foreign      bool                `json:"foreign_subnet,omitempty"`
	FirstHeard   *time.Time          `json:"first_heard,omitempty"`
	Finding      *inventory.Finding  `json:"finding,omitempty"`
	Evidence     []evidence.Evidence `json:"evidence,omitempty"`
}

func (o *watchOutput) event(ev sense.Event) {
	v := o.fp.Identify(ev.Evidence)
	first := ev.FirstHeard
	o.print(watchLine{Type: "device", Time: time.Now(), Event: ev.Kind, IP: inventory.AddrOrEmpty(ev.Addr), MAC: ev.MAC, PreviousMAC: ev.PrevMAC,
		Class: string(v.Class), Brand: v.Brand, Manufacturer: v.Manufacturer, Model: v.Model, Heard: ev.Heard, Foreign: ev.Foreign,
		FirstHeard: &first, Evidence: ev.Evidence})
}

func (o *watchOutput) looked(t sense.Target, dev inventory.Device, findings []inventory.Finding) {
	now := time.Now()
	o.print(watchLine{Type: "device", Time: now, Event: "identified", IP: inventory.AddrOrEmpty(dev.IP), MAC: dev.MAC,
		Class: string(dev.Class), Brand: dev.Brand, Manufacturer: dev.Manufacturer, Model: dev.Model, Foreign: t.Foreign, Evidence: dev.Evidence})
	for _, f := range findings {
		f := f
		o.print(watchLine{Type: "finding", Time: now, IP: f.IP, MAC: f.MAC, Manufacturer: f.Manufacturer, Model: f.Model, Finding: &f})
	}
}

// print writes one line: JSON, or a table row under a header.
func (o *watchOutput) print(l watchLine) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if l.Type == "device" {
		k := l.MAC
		if k == "" {
			k = l.IP
		}
		if _, known := o.devices[k]; !known && len(o.devices) >= watchMaxDevices {
			o.devicesUntracked++
		} else if l.Class != "" || o.devices[k] == "" {
			o.devices[k] = l.Class
		}
	}
	if l.Finding != nil {
		o.bySeverity[l.Finding.Severity]++
	}
	if !o.table {
		b, _ := json.Marshal(l)
		fmt.Fprintf(o.w, "%s\n", b)
		return
	}
	if !o.header {
		o.header = true
		fmt.Fprintf(o.w, "%-8s  %-10s  %-15s  %-17s  %-8s  %-14s  %s\n", "TIME", "EVENT", "IP", "MAC", "CLASS", "MAKER", "DETAIL")
	}
	event, detail := l.Event, ""
	switch {
	case l.Finding != nil:
		event, detail = l.Finding.Severity.String(), l.Finding.Kind+": "+l.Finding.Detail
	default:
		var parts []string
		if l.Model != "" {
			parts = append(parts, l.Model)
		}
		if len(l.Heard) > 0 {
			parts = append(parts, "heard "+strings.Join(l.Heard, ","))
		}
		if l.Foreign {
			parts = append(parts, "on this link with another subnet's address")
		}
		if l.PreviousMAC != "" {
			parts = append(parts, "was "+l.PreviousMAC)
		}
		detail = strings.Join(parts, "; ")
	}
	maker := l.Manufacturer
	if l.Brand != "" && !strings.EqualFold(l.Brand, l.Manufacturer) {
		maker = l.Brand + " (" + l.Manufacturer + ")"
	}
	fmt.Fprintf(o.w, "%-8s  %-10s  %-15s  %-17s  %-8s  %-14s  %s\n", l.Time.Local().Format(time.TimeOnly), event, orDash(l.IP), orDash(l.MAC),
		orDash(l.Class), orDash(maker), detail)
}

// worstSeverity is the worst severity printed, if any finding was.
func (o *watchOutput) worstSeverity() (inventory.Severity, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.worstLocked()
}

func (o *watchOutput) worstLocked() (inventory.Severity, bool) {
	var worst inventory.Severity
	for sev := range o.bySeverity {
		worst = max(worst, sev)
	}
	return worst, len(o.bySeverity) > 0
}

// summary closes the output.
func (o *watchOutput) summary(iface string, st sense.Stats, dropped uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	bySev, findings := map[string]int{}, 0
	for sev, n := range o.bySeverity {
		bySev[sev.String()] = n
		findings += n
	}
	worst := ""
	if sev, ok := o.worstLocked(); ok {
		worst = sev.String()
	}
	took := time.Since(o.started).Round(time.Second)
	cameras := 0
	for _, class := range o.devices {
		if class == string(evidence.Camera) || class == string(evidence.Recorder) {
			cameras++
		}
	}
	if !o.table {
		b, _ := json.Marshal(map[string]any{
			"type": "summary", "time": time.Now(), "interface": iface, "seconds": took.Seconds(),
			"frames_heard": st.Frames, "frames_dropped": dropped, "devices": len(o.devices) + o.devicesUntracked, "devices_untracked": o.devicesUntracked, "cameras": cameras, "new_devices": st.DevicesFirstSeen,
			"mac_changes": st.MACChanges, "findings": findings, "findings_by_severity": bySev, "worst_severity": worst,
			"probes": st.Probes.OK, "probes_failed": st.Probes.Failed, "probes_refused": st.Probes.Refused,
		})
		fmt.Fprintf(o.w, "%s\n", b)
		return
	}
	fmt.Fprintf(o.w, "\nwatched %s from %s for %s: %d frames heard (%d dropped), %d devices (%d camera-like), %d address(es) changed MAC\n",
		orDash(iface), o.started.Local().Format(time.DateTime), took, st.Frames, dropped, len(o.devices)+o.devicesUntracked, cameras, st.MACChanges)
	if o.devicesUntracked > 0 {
		fmt.Fprintf(o.w, "(%d more devices than the %d the summary tracks: their classes are not counted)\n", o.devicesUntracked, watchMaxDevices)
	}
	fmt.Fprintf(o.w, "%d finding(s)", findings)
	for _, sev := range []string{"critical", "high", "medium", "warning", "info"} {
		if n := bySev[sev]; n > 0 {
			fmt.Fprintf(o.w, ", %d %s", n, sev)
		}
	}
	fmt.Fprintf(o.w, "; %d probe(s) of new devices (%d failed, %d refused by the budget)\n", st.Probes.OK+st.Probes.Failed, st.Probes.Failed, st.Probes.Refused)
}
