package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles writes CPU and heap profiles when asked (--cpuprofile,
// --memprofile), for the performance work in docs/BENCHMARKS.md. The
// returned function stops them; call it once.
func startProfiles(cpuPath, memPath string) (func(), error) {
	stop := func() {}
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		stop = func() { pprof.StopCPUProfile(); f.Close() }
	}
	if memPath == "" {
		return stop, nil
	}
	stopCPU := stop
	return func() {
		stopCPU()
		f, err := os.Create(memPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "camsweep: --memprofile:", err)
			return
		}
		defer f.Close()
		runtime.GC()
		_ = pprof.Lookup("allocs").WriteTo(f, 0)
	}, nil
}
