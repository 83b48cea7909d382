package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/fingerprint"
)

// version is set at link time (-ldflags "-X main.version=...").
var version = "dev"

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rev := ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						rev = " " + s.Value
					}
				}
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "camsweep %s%s %s %s/%s\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			// The shipped fingerprint data, so a user can tell how current
			// the recog databases and the IEEE registry are.
			for _, d := range fingerprint.DataSources() {
				fmt.Fprintf(out, "%s data %s (%s)\n", d.Name, d.Date, d.Detail)
			}
			return nil
		},
	}
}
