package probe

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/rs/zerolog"
)

// maxRedirects is how many same-host redirects of GET / are followed: enough
// for the usual "/" -> "/doc/page/login.asp" -> "/login" dance of camera web
// UIs, few enough to stay gentle.
const maxRedirects = 2

// HTTPProber reads what a host's web servers say about themselves: status,
// Server, WWW-Authenticate realm, title, redirects, a few telling headers,
// a body excerpt, the favicon hash, and the TLS certificate on https ports.
// It only sends GET requests and never logs in.
type HTTPProber struct {
	log zerolog.Logger
	// RequestTimeout caps each request, so that one silent port does not use
	// the whole host budget; the context deadline still wins.
	RequestTimeout time.Duration
}

// NewHTTPProber returns the "http" prober.
func NewHTTPProber(log zerolog.Logger) *HTTPProber {
	return &HTTPProber{log: log.With().Str("probe", "http").Logger(), RequestTimeout: defaultTimeout}
}

// Name implements Prober.
func (p *HTTPProber) Name() string { return "http" }

// Probe implements Prober. Ports that do not answer HTTP give no evidence;
// only a target that cannot be probed at all is an error.
func (p *HTTPProber) Probe(ctx context.Context, t scanner.Target, emit scanner.Emit) error {
	if err := checkTarget(ctx, t, p.Name()); err != nil {
		return err
	}
	sink := value.NewSink(p.Name(), emit)
	f := newHTTPFetcher(t, p.RequestTimeout)
	defer f.close()
	for _, base := range f.bases() {
		if ctx.Err() != nil {
			break
		}
		p.probeBase(ctx, f, base, sink)
	}
	return nil
}

// probeBase follows GET / through at most maxRedirects same-host redirects,
// then hashes the favicon of the page it ended on.
func (p *HTTPProber) probeBase(ctx context.Context, f *httpFetcher, base *url.URL, sink *value.Sink) {
	u := base
	var last *httpAnswer
	for hop := 0; ; hop++ {
		a, err := f.do(ctx, http.MethodGet, u, nil, "", maxBodyBytes)
		if u.Scheme == "https" {
			if leaf := f.takeLeaf(); leaf != nil {
				emitCertificate(sink, leaf, p.log)
			}
		}
		if err != nil {
			p.log.Debug().Err(err).Str("url", u.String()).Msg("no http answer")
			break
		}
		last = a
		emitHTTPAnswer(sink, a)
		loc := a.header.Get("Location")
		if a.status < 300 || a.status > 399 || loc == "" || hop >= maxRedirects {
			break
		}
		next, ok := f.sameHost(u, loc)
		if !ok {
			break
		}
		u = next
	}
	if last == nil || ctx.Err() != nil {
		return
	}
	p.favicon(ctx, f, last, sink)
}

// favicon hashes the icon the page links to (when it stays on the host) or
// /favicon.ico, as Shodan does. An icon larger than the bound is not hashed:
// a hash of a prefix would match nothing.
func (p *HTTPProber) favicon(ctx context.Context, f *httpFetcher, page *httpAnswer, sink *value.Sink) {
	target, _ := f.sameHost(page.url, "/favicon.ico")
	if href := iconHref(page.body); href != "" {
		if u, ok := f.sameHost(page.url, href); ok {
			target = u
		}
	}
	if target == nil {
		return
	}
	a, err := f.do(ctx, http.MethodGet, target, nil, "", maxFaviconBytes)
	if err != nil {
		p.log.Debug().Err(err).Str("url", target.String()).Msg("no favicon")
		return
	}
	if a.status != 200 || a.truncated || len(a.body) == 0 {
		return
	}
	sink.Add("http.favicon_mmh3", strconv.FormatInt(int64(FaviconHash(a.body)), 10))
	sink.Add("http.favicon_md5", FaviconMD5(a.body))
}

// emitHTTPAnswer turns one response into http.* evidence.
func emitHTTPAnswer(sink *value.Sink, a *httpAnswer) {
	sink.Add("http.status", strconv.Itoa(a.status))
	sink.Add("http.server", a.header.Get("Server"))
	for _, h := range a.header.Values("Www-Authenticate") {
		sink.Add("http.www_authenticate", h)
		for _, r := range realms(h) {
			sink.Add("http.realm", r)
		}
	}
	sink.Add("http.location", a.header.Get("Location"))
	sink.Add("http.header.x-frame-options", a.header.Get("X-Frame-Options"))
	sink.Add("http.header.x-powered-by", a.header.Get("X-Powered-By"))
	for _, c := range a.header.Values("Set-Cookie") {
		// The cookie name is a vendor habit; its value is a session secret.
		name, _, _ := strings.Cut(c, "=")
		sink.Add("http.header.set-cookie", strings.TrimSpace(name))
	}
	sink.Add("http.title", htmlTitle(a.body))
	sink.AddN("http.body", string(a.body), maxBodyExcerpt)
}

// checkTarget rejects a target a probe cannot work with.
func checkTarget(ctx context.Context, t scanner.Target, probe string) error {
	switch {
	case t.Dialer == nil:
		return errorf(probe, "target %s has no dialer", t.Addr)
	case !t.Addr.IsValid():
		return errorf(probe, "target has no address")
	}
	if err := ctx.Err(); err != nil {
		return wrapf(probe, err)
	}
	return nil
}
