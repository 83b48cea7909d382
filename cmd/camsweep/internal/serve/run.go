package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory/store"
)

// Option adjusts Run.
type Option func(*options)

type options struct {
	listener net.Listener
	reload   <-chan struct{}
	clock    Clock
	version  string
	signals  bool
	passive  *Passive
}

// WithListener serves on l instead of listening on the configured address
// (tests pass a 127.0.0.1:0 listener; socket activation could too). TLS, if
// configured, is still applied on top.
func WithListener(l net.Listener) Option { return func(o *options) { o.listener = l } }

// WithReload makes every receive on ch reload the configuration, and turns
// off Run's own signal handling (SIGHUP, SIGTERM, SIGINT): the caller then
// owns signals, and cancels ctx to shut down.
func WithReload(ch <-chan struct{}) Option {
	return func(o *options) { o.reload, o.signals = ch, false }
}

// WithClock replaces the wall clock (tests drive schedules with it).
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithVersion names the build in camsweep_build_info and on the status page.
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// Run is `camsweep serve`: it loads the configuration at configPath, opens
// the history, schedules the sites and serves the API, metrics and status
// page until ctx is cancelled (or, unless WithReload is given, SIGTERM or
// SIGINT arrives). SIGHUP (or a receive on the WithReload channel) reloads
// the configuration; a bad one is logged and the running one kept, and a
// running scan is never disturbed. Shutdown cancels running scans, records
// them as cancelled and drains requests within the configured
// shutdown_timeout. It returns nil after a clean shutdown.
func Run(ctx context.Context, configPath string, sweep SweepFunc, log zerolog.Logger, opts ...Option) error {
	o := options{clock: realClock{}, version: "dev", signals: true}
	for _, opt := range opts {
		opt(&o)
	}
	if sweep == nil {
		return errors.New("serve: run: no sweep function")
	}
	cfg, err := LoadConfig(configPath)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings() {
		log.Warn().Msg(w)
	}
	reload := o.reload
	if o.signals {
		var stop context.CancelFunc
		ctx, reload, stop = handleSignals(ctx)
		defer stop()
	}

	st, err := store.Open(ctx, cfg.History.Path, log.With().Str("component", "store").Logger(), store.WithFileMode(cfg.History.Mode()))
	if err != nil {
		return fmt.Errorf("serve: run: %w", err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error().Err(err).Msg("history not closed cleanly")
		}
	}()

	ln := o.listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			return fmt.Errorf("serve: listen: %w", err)
		}
	}
	d := newDaemon(ctx, cfg, st, sweep, o.clock, log)
	d.passive = o.passive
	if cfg.Flows != nil {
		// The flow sources live as long as the daemon; a change to their
		// configuration takes a restart (a reload keeps them as they are).
		if d.flows, err = startFlows(d.scanCtx, *cfg.Flows, cfg.Sites, o.clock, log); err != nil {
			return err
		}
		defer d.flows.close()
		go d.republishFlows(d.scanCtx)
	}
	var ready atomic.Bool
	srv := newServer(newHandler(d, o.version, &ready, log), cfg, log)
	serveErr := serveHTTP(srv, ln, cfg.TLS)
	d.start(ctx)
	ready.Store(true)
	log.Info().Str("listen", ln.Addr().String()).Bool("tls", cfg.TLS != nil).Int("sites", len(cfg.Sites)).
		Str("history", cfg.History.Path).Msg("camsweep serving")

	runErr := d.serveUntilDone(ctx, configPath, reload, serveErr)
	ready.Store(false)
	if err := shutdown(ctx, d, srv, log); err != nil {
		runErr = errors.Join(runErr, err)
	}
	return runErr
}

// handleSignals turns SIGTERM and SIGINT into the cancellation of the
// returned context and SIGHUP into a receive on reload, until stop is
// called.
func handleSignals(parent context.Context) (ctx context.Context, reload <-chan struct{}, stop func()) {
	ctx, stopNotify := signal.NotifyContext(parent, syscall.SIGTERM, os.Interrupt)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	ch := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				select {
				case ch <- struct{}{}:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return ctx, ch, func() {
		signal.Stop(hup)
		stopNotify()
	}
}

// serveHTTP serves srv on ln, with TLS when configured, in the background.
// The channel yields the error that stopped it, if any, and is closed when
// it stops.
func serveHTTP(srv *http.Server, ln net.Listener, tlsCfg *TLS) <-chan error {
	serveErr := make(chan error, 1)
	go func() {
		var err error
		if tlsCfg != nil {
			err = srv.ServeTLS(ln, tlsCfg.CertFile, tlsCfg.KeyFile)
		} else {
			err = srv.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			serveErr <- err
		}
		close(serveErr)
	}()
	return serveErr
}

// serveUntilDone reloads the configuration at each receive on reload
// until ctx ends or the HTTP server stops, whose error it returns. A bad
// configuration is logged and the running one kept.
func (d *daemon) serveUntilDone(ctx context.Context, configPath string, reload <-chan struct{}, serveErr <-chan error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err, ok := <-serveErr:
			if ok && err != nil {
				return fmt.Errorf("serve: http: %w", err)
			}
			return nil
		case <-reload:
			next, err := LoadConfig(configPath)
			if err != nil {
				d.log.Error().Err(err).Msg("configuration not reloaded; the running one is kept")
				d.reloadTokens()
				continue
			}
			for _, w := range next.Warnings() {
				d.log.Warn().Msg(w)
			}
			d.applyConfig(ctx, next)
			d.log.Info().Int("sites", len(next.Sites)).Msg("configuration reloaded")
		}
	}
}

// shutdown cancels running scans and waits for them to be recorded, then
// drains requests, all within the configured shutdown_timeout.
func shutdown(ctx context.Context, d *daemon, srv *http.Server, log zerolog.Logger) error {
	cur := d.config()
	log.Info().Dur("deadline", cur.ShutdownTimeout).Msg("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cur.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := d.shutdown(sctx); err != nil {
		log.Error().Err(err).Msg("scans not stopped cleanly")
		errs = append(errs, err)
	}
	if err := srv.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("serve: shutdown http: %w", err))
	}
	log.Info().Msg("stopped")
	return errors.Join(errs...)
}

// SweepEstimate gives the least time a sweep of the site can take at its
// rate (what it must send, divided by the rate), for CheckConfig.
type SweepEstimate func(Site) (time.Duration, error)

// CheckConfig is `camsweep serve --check-config`: it validates the file,
// and also parses each site's registry and policy as a scan would. With
// estimate, a site whose sweep cannot finish within its schedule interval
// at its rate is refused, saying how long it would take: its scans would
// run back to back and its findings always be an interval late.
func CheckConfig(path string, estimate SweepEstimate) error {
	cfg, err := LoadConfig(path)
	if err != nil {
		return err
	}
	var errs []error
	refs := newRefCache()
	for _, s := range cfg.Sites {
		if estimate != nil {
			d, err := estimate(s)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("site %s: %w", s.Name, err))
			case d > s.Schedule.Interval:
				errs = append(errs, fmt.Errorf("site %s: at rate %g per second a sweep takes at least %s, longer than schedule.interval %s: raise rate, narrow the scope or lengthen the interval",
					s.Name, s.Rate, d.Round(time.Second), s.Schedule.Interval))
			}
		}
		r, err := refs.load(context.Background(), s, cfg.RegistryLimits.Limits(), zerolog.Nop())
		if err != nil {
			errs = append(errs, fmt.Errorf("site %s: %w", s.Name, err))
			continue
		}
		for _, e := range r.rowErrors {
			errs = append(errs, fmt.Errorf("site %s: %w", s.Name, e))
		}
	}
	return errors.Join(errs...)
}
