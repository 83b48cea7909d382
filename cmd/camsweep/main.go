// Command camsweep finds the IP cameras on a hospital's networks, tells who
// really made them, and holds them against the camera registry and policy.
//
// Exit codes: 0 done; 1 findings at or above --fail-on; 2 usage or runtime
// error; 3 the sweep was interrupted (a partial report was still written).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes, documented in the README.
const (
	exitOK          = 0
	exitFindings    = 1
	exitError       = 2
	exitInterrupted = 3
)

// exitError carries an exit code through cobra's error return.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

func withCode(code int, err error) error { return &codedError{code: code, err: err} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ce *codedError
	if errors.As(err, &ce) {
		if ce.err != nil && ce.code != exitFindings {
			fmt.Fprintln(stderr, "camsweep:", ce.err)
		}
		return ce.code
	}
	fmt.Fprintln(stderr, "camsweep:", err)
	return exitError
}

func newRootCommand() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "camsweep",
		Short: "Find every IP camera on the network, tell who made it, and diff against the registry",
		Long: `camsweep sweeps network segments for IP cameras, identifies the real manufacturer
(white-label Hikvision and Dahua included) and reconciles what it found against the
official camera registry and the camera policy.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Bad logging flags are usage errors for every command, even one that
	// would not log.
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if _, err := g.logger(io.Discard); err != nil {
			return err
		}
		stop, err := startProfiles(g.cpuProfile, g.memProfile)
		if err != nil {
			return withCode(exitError, err)
		}
		g.stopProfiles = stop
		return nil
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if g.stopProfiles != nil {
			g.stopProfiles()
		}
	}
	root.PersistentFlags().StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	root.PersistentFlags().StringVar(&g.memProfile, "memprofile", "", "write an allocation profile to this file")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	_ = root.PersistentFlags().MarkHidden("memprofile")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "console", "log format on stderr: console or json")
	root.AddCommand(
		newScanCommand(g),
		newIdentifyCommand(g),
		newDiffCommand(g),
		newRegistryCommand(g),
		newRulesCommand(g),
		newOUICommand(),
		newDemoCommand(g),
		newServeCommand(g),
		newWatchCommand(g),
		newVersionCommand(),
	)
	return root
}
