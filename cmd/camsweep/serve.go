package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/cmd/camsweep/internal/serve"
	"github.com/camsweep/camsweep/cmd/camsweep/internal/sweep"
	"github.com/camsweep/camsweep/fingerprint"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/probe"
	"github.com/camsweep/camsweep/scanner/snmp"
)

func newServeCommand(g *globalFlags) *cobra.Command {
	var (
		configPath  string
		checkConfig bool
		rules       []string
	)
	cmd := &cobra.Command{
		Use:   "serve --config camsweep.yaml",
		Short: "Run the per-site daemon: scheduled sweeps, on-demand sweep API, history, /metrics, status page",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configPath == "" {
				return withCode(exitError, fmt.Errorf("--config is required"))
			}
			if checkConfig {
				// CheckConfig also parses each site's registry and policy,
				// as a scan would; LoadConfig again only to count the sites.
				if err := serve.CheckConfig(configPath, sweepEstimate); err != nil {
					return withCode(exitError, err)
				}
				cfg, err := serve.LoadConfig(configPath)
				if err != nil {
					return withCode(exitError, err)
				}
				for _, w := range cfg.Warnings() {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: warning: %s\n", configPath, w)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: configuration ok (%d site(s))\n", configPath, len(cfg.Sites))
				return nil
			}
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fp, err := loadFingerprints(rules)
			if err != nil {
				return withCode(exitError, err)
			}
			passive := serve.Passive{Listen: siteListener(), Look: siteLooker(fp), CameraLike: cameraLike(fp)}
			if err := serve.Run(cmd.Context(), configPath, siteSweeper(fp), log, serve.WithVersion(version), serve.WithPassive(passive)); err != nil {
				return withCode(exitError, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "daemon configuration file (YAML)")
	cmd.Flags().BoolVar(&checkConfig, "check-config", false, "validate the configuration and exit")
	cmd.Flags().StringArrayVar(&rules, "rules", nil, "directory or file of extra fingerprint rules; repeatable")
	return cmd
}

// siteSweeper is the daemon's view of the sweep: one site's configuration
// in, a report with identified devices out; the daemon reconciles.
func siteSweeper(fp *fingerprint.Engine) serve.SweepFunc {
	return func(ctx context.Context, site serve.Site, log zerolog.Logger) (*inventory.Report, error) {
		creds, err := probe.LoadCredentials(site.CredentialsFile, os.Getenv)
		if err != nil {
			return nil, err
		}
		cfg := siteSweepConfig(site)
		cfg.Credentials = creds
		if site.Infrastructure != nil {
			cfg.Infrastructure = site.Infrastructure
			// Read the secrets at every sweep, so a rotated community
			// needs no reload. If they cannot be read the sweep still
			// runs; each device then reports why it was not asked.
			ic, err := snmp.ResolveCredentials(site.Infrastructure, os.Getenv)
			if err != nil {
				log.Error().Err(err).Msg("snmp: infrastructure credentials; the devices will not be asked")
			}
			cfg.InfraCredentials = ic
		}
		return sweep.Run(ctx, cfg, fp, log, nil)
	}
}

func siteSweepConfig(site serve.Site) sweep.Config {
	return sweep.Config{
		Site:        site.Name,
		Targets:     site.Scope.Targets,
		Exclude:     site.Scope.Exclude,
		ExcludeOUIs: site.Scope.ExcludeOUIs,
		AllowPublic: site.Scope.AllowPublic,
		Ports:       site.Ports,
		Profile:     site.Profile,
		Rate:        site.Rate,
		Interface:   site.Interface,
		RouterMACs:  site.RouterMACs,
	}
}

// sweepEstimate prices a site's sweep as --dry-run does: the fewest packets
// it can send, at its rate.
func sweepEstimate(site serve.Site) (time.Duration, error) {
	p, err := sweep.MakePlan(siteSweepConfig(site))
	if err != nil {
		return 0, err
	}
	return p.DurationMin, nil
}
