package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/camsweep/camsweep/scanner"
)

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// progressBar draws one self-overwriting line on a terminal. On anything
// else it is nil, so pipes and log files get no control characters.
func progressBar(w io.Writer) func(scanner.Progress) {
	if f, ok := w.(*os.File); !ok || !isTerminal(f) {
		return nil
	}
	return func(p scanner.Progress) { drawProgress(w, p) }
}

func drawProgress(w io.Writer, p scanner.Progress) {
	const width = 30
	frac := 1.0
	if p.Total > 0 {
		frac = float64(p.Swept) / float64(p.Total)
	}
	filled := int(frac * width)
	fmt.Fprintf(w, "\r[%s%s] %5.1f%%  %d/%d addresses  %d live  %d packets ",
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), frac*100, p.Swept, p.Total, p.Live, p.Packets)
	if p.Total > 0 && p.Swept == p.Total {
		fmt.Fprintln(w)
	}
}
