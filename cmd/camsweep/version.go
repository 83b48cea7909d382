package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/fingerprint"
)

// version is set at link time (-ldflags "-X main.version=...", as make
// build and make release do). A binary built by `go install
// github.com/camsweep/camsweep/cmd/camsweep@v1.2.3` has no such flag and
// takes the module version from its build information instead.
var version = "dev"

// moduleVersion returns the version to print: the stamped one, else the
// module's own ("(devel)" in a build from a work tree, which says nothing).
func moduleVersion(stamped string, bi *debug.BuildInfo) string {
	if stamped != "dev" || bi == nil || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return stamped
	}
	return bi.Main.Version
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rev := ""
			bi, ok := debug.ReadBuildInfo()
			if ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						rev = " " + s.Value
					}
				}
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "camsweep %s%s %s %s/%s\n", moduleVersion(version, bi), rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			// The shipped fingerprint data, so a user can tell how current
			// the recog databases and the IEEE registry are.
			for _, d := range fingerprint.DataSources() {
				fmt.Fprintf(out, "%s data %s (%s)\n", d.Name, d.Date, d.Detail)
			}
			return nil
		},
	}
}
