package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/fingerprint"
)

func newRulesCommand(_ *globalFlags) *cobra.Command {
	rules := &cobra.Command{Use: "rules", Short: "Work with fingerprint rule files"}
	rules.AddCommand(&cobra.Command{
		Use:   "verify FILE...",
		Short: "Check rule files (YAML rules, the OEM map, recog XML databases): every example matches and yields its values, ids are unique, no rule shadows another",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			problems := 0
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					return withCode(exitError, err)
				}
				for _, e := range fingerprint.Verify(f, data) {
					problems++
					fmt.Fprintln(cmd.OutOrStdout(), e)
				}
				if strings.HasSuffix(f, ".xml") {
					printRecogStats(cmd.OutOrStdout(), f, data)
				}
			}
			if problems > 0 {
				return withCode(exitError, fmt.Errorf("%d problem(s) in %d file(s)", problems, len(files)))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d file(s) verified\n", len(files))
			return nil
		},
	})
	return rules
}

// printRecogStats says what loading a recog database would do: how many
// fingerprints load, how many examples pass, and which fingerprints are
// left out and why.
func printRecogStats(w io.Writer, file string, data []byte) {
	st, _ := fingerprint.VerifyRecog(file, data)
	if st.Files == 0 {
		return
	}
	fmt.Fprintf(w, "%s: %d fingerprints, %d load; %d examples, %d pass\n", file, st.Fingerprints, st.Loaded, st.Examples, st.ExamplesPassed)
	for _, s := range st.Skipped {
		if s.Kind == "unsupported" || s.Kind == "untested" {
			fmt.Fprintf(w, "%s:%d: not loaded: %q: %s\n", s.File, s.Line, s.Description, s.Reason)
		}
	}
}
