package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/internal/bounded"
)

// userAgent names camsweep so that a site's web server logs show who asked
// and why.
const userAgent = "camsweep/1 (read-only camera inventory)"

// httpFetcher makes bounded, read-only HTTP(S) requests to one target. It
// dials only through the engine's scanner.Dialer and only the target's own open
// ports, keeps no connection alive, and remembers the leaf certificate of the
// last TLS handshake (even a failed one) for the TLS summary.
type httpFetcher struct {
	target  scanner.Target
	timeout time.Duration
	client  *http.Client

	mu   sync.Mutex
	leaf []byte
}

// httpAnswer is one response, its body cut at the request's bound.
type httpAnswer struct {
	url       *url.URL
	status    int
	header    http.Header
	body      []byte
	truncated bool // the body had more than the bound, or was cut short
}

func newHTTPFetcher(t scanner.Target, timeout time.Duration) *httpFetcher {
	f := &httpFetcher{target: t, timeout: timeout}
	tr := &http.Transport{
		Proxy:                  nil, // a proxy would be another host
		DialContext:            f.dial,
		DialTLSContext:         f.dialTLS,
		DisableKeepAlives:      true,
		DisableCompression:     true, // no gzip bombs; we want the raw bytes
		MaxConnsPerHost:        1,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	f.client = &http.Client{
		Transport: tr,
		// Redirects are followed by the probe itself, which checks each hop.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return f
}

func (f *httpFetcher) close() { f.client.CloseIdleConnections() }

// bases lists the root URL of every http and https port of the target.
func (f *httpFetcher) bases() []*url.URL {
	var out []*url.URL
	for _, scheme := range []string{"http", "https"} {
		for _, port := range f.target.PortsFor(scheme) {
			out = append(out, &url.URL{Scheme: scheme, Host: hostPort(f.target.Addr, port), Path: "/"})
		}
	}
	return out
}

// allowed reports whether addr is one of the target's open ports: nothing
// else is ever dialled, whatever a redirect or a link says.
func (f *httpFetcher) allowed(addr string) bool {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || ap.Addr().Unmap() != f.target.Addr.Unmap() {
		return false
	}
	return slices.ContainsFunc(f.target.Ports, func(p scanner.Port) bool { return p.Number == ap.Port() })
}

func (f *httpFetcher) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if !f.allowed(addr) {
		return nil, fmt.Errorf("scanner: http dial: %s is not an open port of %s", addr, f.target.Addr)
	}
	conn, err := f.target.Dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("scanner: http dial: %w", err)
	}
	return conn, nil
}

func (f *httpFetcher) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := f.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(conn, f.tlsConfig())
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("scanner: tls handshake: %w", err)
	}
	return tc, nil
}

// tlsConfig accepts any certificate and the old protocol versions and
// cipher suites that embedded web servers still use: we read the
// certificate as evidence, we do not trust it or send anything secret.
func (f *httpFetcher) tlsConfig() *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // evidence only, see above
		MinVersion:         tls.VersionTLS10,
		CipherSuites:       allCipherSuites(),
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) > 0 {
				f.mu.Lock()
				f.leaf = bytes.Clone(raw[0])
				f.mu.Unlock()
			}
			return nil
		},
	}
}

// allCipherSuites lists every suite crypto/tls implements, secure and
// insecure; built once, as it is the same for every handshake. Callers must
// not modify it.
var allCipherSuites = sync.OnceValue(func() []uint16 {
	var suites []uint16
	for _, s := range slices.Concat(tls.CipherSuites(), tls.InsecureCipherSuites()) {
		suites = append(suites, s.ID)
	}
	return suites
})

// takeLeaf returns and forgets the leaf certificate of the last handshake.
func (f *httpFetcher) takeLeaf() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	leaf := f.leaf
	f.leaf = nil
	return leaf
}

// do sends one request and reads at most limit bytes of the answer. A body
// cut short by the deadline or a reset still counts: its headers and first
// bytes are what the device said.
func (f *httpFetcher) do(ctx context.Context, method string, u *url.URL, body []byte, contentType string, limit int64) (*httpAnswer, error) {
	rctx, cancel := withTimeout(ctx, f.timeout)
	defer cancel()
	var rb io.Reader
	if body != nil {
		rb = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, u.String(), rb)
	if err != nil {
		return nil, fmt.Errorf("scanner: http request: %w", err)
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "*/*")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Close = true
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scanner: http %s %s: %w", method, u.Path, err)
	}
	defer resp.Body.Close()
	data, truncated, rerr := bounded.ReadAll(resp.Body, limit)
	return &httpAnswer{
		url:       u,
		status:    resp.StatusCode,
		header:    resp.Header,
		body:      data,
		truncated: truncated || rerr != nil,
	}, nil
}

// get is do for a GET of path relative to base.
func (f *httpFetcher) get(ctx context.Context, base *url.URL, path string, limit int64) (*httpAnswer, error) {
	ref, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("scanner: http path %q: %w", path, err)
	}
	return f.do(ctx, http.MethodGet, base.ResolveReference(ref), nil, "", limit)
}

// sameHost resolves a Location or link against from and accepts it only when
// it stays on the target's address and one of its open ports, carries no
// credentials and is http or https.
func (f *httpFetcher) sameHost(from *url.URL, ref string) (*url.URL, bool) {
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return nil, false
	}
	next := from.ResolveReference(r)
	next.Fragment = ""
	if next.User != nil || (next.Scheme != "http" && next.Scheme != "https") {
		return nil, false
	}
	a, err := netip.ParseAddr(next.Hostname())
	if err != nil {
		return nil, false
	}
	port := next.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[next.Scheme]
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || !f.allowed(hostPort(a, uint16(n))) {
		return nil, false
	}
	return next, true
}
