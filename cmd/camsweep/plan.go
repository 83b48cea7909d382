package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/camsweep/camsweep/cmd/camsweep/internal/sweep"
)

// printPlan is --dry-run: it says what a sweep would send, and sends
// nothing, so a safety reviewer can sign it off before a clinical network
// sees its first packet.
func printPlan(w io.Writer, cfg sweep.Config, notes ...string) error {
	p, err := sweep.MakePlan(cfg)
	if err != nil {
		return withCode(exitError, err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "camsweep dry run: nothing is sent\n\n")
	fmt.Fprintf(tw, "site\t%s\n", orDash(cfg.Site))
	fmt.Fprintf(tw, "targets\t%s\n", strings.Join(cfg.Targets, " "))
	fmt.Fprintf(tw, "excluded\t%s\n", orDash(strings.Join(append(append([]string{}, cfg.Exclude...), prefixAll("oui ", cfg.ExcludeOUIs)...), " ")))
	fmt.Fprintf(tw, "addresses in scope\t%d\n", p.Addresses)
	for _, r := range p.Ranges {
		fmt.Fprintf(tw, "  range\t%s\n", r)
	}
	fmt.Fprintf(tw, "profile\t%s\n", cfg.Profile)
	fmt.Fprintf(tw, "link-level interface\t%s\n", orDash(p.Interface))
	fmt.Fprintf(tw, "host discovery\t%s\n", strings.Join(p.Discovery, ", "))
	fmt.Fprintf(tw, "ports\t%s\n", strings.Join(p.Ports, " "))
	fmt.Fprintf(tw, "probes on live hosts\t%s\n", orDash(strings.Join(p.Probes, ", ")))
	fmt.Fprintf(tw, "camera probes (camera-looking hosts only)\t%s\n", orDash(strings.Join(p.CameraProbes, ", ")))
	fmt.Fprintf(tw, "rate\t%.0f new connections or packets per second\n", p.Rate)
	fmt.Fprintf(tw, "connections per host\tat most %d at once; at most %d to a host that does not look like a camera\n", p.MaxInFlightPerHost, p.NonCameraBudget)
	if err := tw.Flush(); err != nil {
		return err
	}
	// Every kind of packet, in its own table so its wide first column does
	// not push the one above.
	fmt.Fprintf(w, "\npackets sent, at least and at most (every address a live camera, ARP retried, every follow-up asked):\n")
	st := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, snd := range p.Sends {
		fmt.Fprintf(st, "  %s\t%d to %d\tto %s\n", snd.What, snd.Min, snd.Max, snd.To)
	}
	if err := st.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintf(tw, "packets expected\t%d to %d, every kind above\n", p.PacketsMin, p.PacketsMax)
	fmt.Fprintf(tw, "duration expected\t%s to %s\n", p.DurationMin.Round(time.Second), p.DurationMax.Round(time.Second))
	for _, n := range append(p.Notes, notes...) {
		fmt.Fprintf(tw, "note\t%s\n", n)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func prefixAll(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}
