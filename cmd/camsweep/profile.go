package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/camsweep/camsweep/internal/safefile"
)

// startProfiles writes CPU and heap profiles when asked (--cpuprofile,
// --memprofile), for the performance work in docs/BENCHMARKS.md. The
// returned function stops them; call it once.
func startProfiles(cpuPath, memPath string) (func(), error) {
	stop := func() {}
	if cpuPath != "" {
		f, err := safefile.Create(cpuPath, safefile.DefaultMode)
		if err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		stop = func() {
			pprof.StopCPUProfile()
			if err := f.Commit(); err != nil {
				fmt.Fprintln(os.Stderr, "camsweep: --cpuprofile:", err)
			}
		}
	}
	if memPath == "" {
		return stop, nil
	}
	stopCPU := stop
	return func() {
		stopCPU()
		runtime.GC()
		err := safefile.Write(memPath, safefile.DefaultMode, func(w io.Writer) error { return pprof.Lookup("allocs").WriteTo(w, 0) })
		if err != nil {
			fmt.Fprintln(os.Stderr, "camsweep: --memprofile:", err)
		}
	}, nil
}
