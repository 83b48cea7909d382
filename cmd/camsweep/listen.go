package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/cmd/camsweep/internal/sense"
	"github.com/camsweep/camsweep/cmd/camsweep/internal/serve"
	"github.com/camsweep/camsweep/cmd/camsweep/internal/sweep"
	"github.com/camsweep/camsweep/fingerprint"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/link"
	"github.com/camsweep/camsweep/scanner/probe"
)

// listenReadBuffer is the continuous listener's socket buffer: at the
// 60-byte frames of an ARP storm a few seconds of them, kernel memory
// that holds a burst while the listener is busy.
const listenReadBuffer = 4 << 20

// listenLink opens the interface for listening (wrapping serve.ErrNoLink
// when no interface holds the scope and none was named) and hears until
// ctx ends. The socket is listen-only: nothing can be sent through it,
// whatever a bug asked. extra consumers of the frames subscribe through consume,
// called before the first frame is read: the fan-out point where a
// mirror-port flow tracker (issue 14, scanner/flow) shares the socket.
func listenLink(ctx context.Context, name string, scope *scanner.Scope, routerMACs []string, log zerolog.Logger,
	listening func(serve.Listening), heard func(link.Heard), consume func(tap *link.Tap)) error {
	if !link.RawFramesSupported {
		if name == "" {
			return fmt.Errorf("%w: %w", serve.ErrNoLink, link.ErrNeedsLinux)
		}
		return link.ErrNeedsLinux
	}
	ifc, err := link.ChooseInterface(name, scope.Prefixes())
	if err != nil {
		if name == "" {
			return fmt.Errorf("%w: %w", serve.ErrNoLink, err)
		}
		return err
	}
	ifc.Requested = true // the interface holds the scope, or the user named it
	if !link.CanRawSocket() {
		return serve.ErrNoRawSocket
	}
	routers := make([]net.HardwareAddr, 0, len(routerMACs))
	for _, m := range routerMACs {
		hw, err := net.ParseMAC(m)
		if err != nil {
			return fmt.Errorf("router MAC %q: %w", m, err)
		}
		routers = append(routers, hw)
	}
	filter, err := link.PassiveFilter()
	if err != nil {
		return err
	}
	raw, err := link.OpenFrameConn(ifc, link.FrameOptions{Filter: filter, AllMulticast: true, ReadBuffer: listenReadBuffer})
	if err != nil {
		return err
	}
	defer raw.Close()
	tap := link.NewTap(link.ListenOnly(raw))
	passiveConn := tap.Subscribe(0)
	if consume != nil {
		consume(tap)
	}
	tctx, stop := context.WithCancel(ctx)
	defer func() { stop(); <-tap.Done() }()
	tapErr := make(chan error, 1)
	go func() { tapErr <- tap.Run(tctx) }()
	p := link.NewPassive(passiveConn, link.DecoderOptions{Interface: &ifc, Routers: routers, Gateways: link.DefaultGateways(ifc.Name)}, log)
	dropped := func() uint64 {
		n := passiveConn.Dropped()
		if dc, ok := raw.(link.DropCounter); ok {
			n += dc.Dropped()
		}
		return n
	}
	listening(serve.Listening{Interface: ifc.Name, Dropped: dropped})
	if err := p.Hear(tctx, heard); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	// The tap ended on its own: the socket failed.
	stop()
	if err := <-tapErr; err != nil {
		return fmt.Errorf("listen on %s: %w", ifc.Name, err)
	}
	return fmt.Errorf("listen on %s: the socket closed", ifc.Name)
}

// siteListener is the daemon's continuous listener for a site.
func siteListener() serve.ListenFunc {
	return func(ctx context.Context, site serve.Site, log zerolog.Logger, listening func(serve.Listening), heard func(link.Heard)) error {
		return listenLink(ctx, site.Interface, site.ScannerScope(), site.RouterMACs, log, listening, heard, nil)
	}
}

// siteLooker is the daemon's triggered probe: what was heard, and what a
// probe of that one host adds where the profile and scope allow.
func siteLooker(fp *fingerprint.Engine) serve.LookFunc {
	return func(ctx context.Context, site serve.Site, t sense.Target, log zerolog.Logger) (inventory.Device, error) {
		cfg := sweep.Config{
			Site: site.Name, Exclude: site.Scope.Exclude, ExcludeOUIs: site.Scope.ExcludeOUIs,
			AllowPublic: site.Scope.AllowPublic, Ports: site.Ports, Profile: site.Profile, Rate: site.Rate,
			Interface: site.Interface, RouterMACs: site.RouterMACs,
		}
		return lookAt(ctx, cfg, site.ScannerScope(), site.CredentialsFile, t, fp, log)
	}
}

// lookAt identifies t from what was heard and, unless the profile is
// passive or the host is outside the scope (a factory default on another
// subnet, which nothing routes to), from a probe of that host alone under
// cfg's rate, ports and exclusions: no multicast, nothing else.
func lookAt(ctx context.Context, cfg sweep.Config, scope *scanner.Scope, credentials string, t sense.Target, fp *fingerprint.Engine, log zerolog.Logger) (inventory.Device, error) {
	hr := scanner.HostResult{Addr: t.Addr, MAC: t.MAC, Evidence: slices.Clone(t.Evidence)}
	if cfg.Profile != sweep.ProfilePassive && t.Addr.IsValid() && !t.Foreign && scope != nil && scope.Contains(t.Addr) {
		creds, err := probe.LoadCredentials(credentials, os.Getenv)
		if err != nil {
			return inventory.Device{}, err
		}
		cfg.Credentials = creds
		cfg.Targets = []string{t.Addr.String()}
		cfg.Targeted = true
		rep, err := sweep.Run(ctx, cfg, fp, log, nil)
		if err != nil && ctx.Err() == nil {
			// What was heard still says something; say the probe failed.
			log.Warn().Err(err).Msg("probe of the new host failed; identified from what it announced")
		}
		if rep != nil {
			for _, d := range rep.Devices {
				if d.IP != t.Addr {
					continue
				}
				hr.Evidence = evidence.AppendNew(hr.Evidence, d.Evidence...)
				hr.OpenPorts = d.OpenPorts
				hr.Connections = d.Connections
				if hr.MAC == "" {
					hr.MAC = d.MAC
				}
			}
		}
	}
	return sweep.DeviceFrom(hr, fp), nil
}

// cameraLike ranks waiting looks: what was heard already says camera or
// recorder (a Hello, SADP, DHIP, a camera maker's OUI).
func cameraLike(fp *fingerprint.Engine) func([]evidence.Evidence) bool {
	return func(ev []evidence.Evidence) bool {
		switch fp.Identify(ev).Class {
		case evidence.Camera, evidence.Recorder:
			return true
		}
		return false
	}
}
