package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/rs/zerolog"
)

// route is one canned answer of a fake web server.
type route struct {
	status  int
	headers [][2]string
	body    string
}

// fakeWeb serves routes by path and remembers every request it got.
type fakeWeb struct {
	routes map[string]route
	mu     sync.Mutex
	seen   []string // "METHOD path"
	agents []string
}

func (f *fakeWeb) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.seen = append(f.seen, r.Method+" "+r.URL.RequestURI())
	f.agents = append(f.agents, r.UserAgent())
	f.mu.Unlock()
	answer(w, r, f.routes, r.URL.RequestURI())
}

// answer writes the route at key, or 404 when there is none.
func answer(w http.ResponseWriter, r *http.Request, routes map[string]route, key string) {
	rt, ok := routes[key]
	if !ok {
		http.NotFound(w, r)
		return
	}
	for _, h := range rt.headers {
		w.Header().Add(h[0], h[1])
	}
	w.WriteHeader(rt.status)
	_, _ = io.WriteString(w, rt.body)
}

func (f *fakeWeb) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.seen)
}

func newHTTPTestProber() *HTTPProber {
	p := NewHTTPProber(zerolog.Nop())
	p.RequestTimeout = 2 * time.Second
	return p
}

func TestHTTPProbe(t *testing.T) {
	icon := strings.Repeat("\x00\x01icon", 40)
	big := strings.Repeat("B", maxFaviconBytes+10)
	tests := []struct {
		name   string
		routes map[string]route
		want   map[string][]string // field -> exact values, in order
		never  []string            // requests that must not happen
	}{
		{
			name: "hikvision style 401",
			routes: map[string]route{"/": {401, [][2]string{
				{"Server", "App-webs/"},
				{"WWW-Authenticate", `Digest qop="auth", realm="IP Camera(C6253)", nonce="4e57", stale="FALSE"`},
				{"WWW-Authenticate", `Basic realm="IP Camera(C6253)"`},
				{"Content-Type", "text/html"},
			}, "<!DOCTYPE html><html><head><title>Document Error: Unauthorized</title></head><body><h2>Access Error: 401 -- Unauthorized</h2></body></html>"}},
			want: map[string][]string{
				"http.status":           {"401"},
				"http.server":           {"App-webs/"},
				"http.realm":            {"IP Camera(C6253)"},
				"http.www_authenticate": {`Digest qop="auth", realm="IP Camera(C6253)", nonce="4e57", stale="FALSE"`, `Basic realm="IP Camera(C6253)"`},
				"http.title":            {"Document Error: Unauthorized"},
			},
		},
		{
			name: "two same-host redirects are followed",
			routes: map[string]route{
				"/":  {302, [][2]string{{"Location", "/a"}}, ""},
				"/a": {301, [][2]string{{"Location", "b?x=1"}}, ""},
				"/b?x=1": {200, [][2]string{{"Server", "Webs"}, {"Content-Type", "text/html"}},
					"<html><head><title>WEB SERVICE</title></head></html>"},
			},
			want: map[string][]string{
				"http.status":   {"302", "301", "200"},
				"http.location": {"/a", "b?x=1"},
				"http.title":    {"WEB SERVICE"},
				"http.server":   {"Webs"},
			},
		},
		{
			name: "third redirect is recorded, not followed",
			routes: map[string]route{
				"/":  {302, [][2]string{{"Location", "/1"}}, ""},
				"/1": {302, [][2]string{{"Location", "/2"}}, ""},
				"/2": {302, [][2]string{{"Location", "/3"}}, ""},
				"/3": {200, nil, "<title>too far</title>"},
			},
			want:  map[string][]string{"http.location": {"/1", "/2", "/3"}, "http.title": nil},
			never: []string{"GET /3"},
		},
		{
			name: "redirect to another host is recorded, not followed",
			routes: map[string]route{
				"/": {302, [][2]string{{"Location", "http://10.0.0.1/login"}}, ""},
			},
			want: map[string][]string{"http.location": {"http://10.0.0.1/login"}, "http.status": {"302"}},
		},
		{
			name: "redirect to a port that is not open is not followed",
			routes: map[string]route{
				"/": {302, [][2]string{{"Location", "http://127.0.0.1:1/"}}, ""},
			},
			want: map[string][]string{"http.location": {"http://127.0.0.1:1/"}},
		},
		{
			name: "vendor habit headers, cookie name only",
			routes: map[string]route{"/": {200, [][2]string{
				{"X-Frame-Options", "SAMEORIGIN"},
				{"X-Powered-By", "PHP/5.4"},
				{"Set-Cookie", "DhWebClientSessionID=secret123; path=/"},
				{"Set-Cookie", "lang=en"},
			}, "<html>ok</html>"}},
			want: map[string][]string{
				"http.header.x-frame-options": {"SAMEORIGIN"},
				"http.header.x-powered-by":    {"PHP/5.4"},
				"http.header.set-cookie":      {"DhWebClientSessionID", "lang"},
				"http.body":                   {"<html>ok</html>"},
			},
		},
		{
			name: "favicon from link rel icon",
			routes: map[string]route{
				"/":            {200, nil, `<html><head><link rel="shortcut icon" href="img/f.png"><title>x</title></head></html>`},
				"/img/f.png":   {200, nil, icon},
				"/favicon.ico": {200, nil, "not this one"},
			},
			// MD5 computed with Python's hashlib.md5(b"\x00\x01icon"*40).
			want:  map[string][]string{"http.favicon_mmh3": {strconv.Itoa(int(FaviconHash([]byte(icon))))}, "http.favicon_md5": {"f5d9b0b6efff1dbbc74d9a13d574fb2e"}},
			never: []string{"GET /favicon.ico"},
		},
		{
			name: "favicon link to another host falls back to /favicon.ico",
			routes: map[string]route{
				"/":            {200, nil, `<link rel="icon" href="http://192.0.2.1/f.ico">`},
				"/favicon.ico": {200, nil, icon},
			},
			want: map[string][]string{"http.favicon_mmh3": {strconv.Itoa(int(FaviconHash([]byte(icon))))}},
		},
		{
			name: "oversized favicon is not hashed",
			routes: map[string]route{
				"/":            {200, nil, "<title>big</title>"},
				"/favicon.ico": {200, nil, big},
			},
			want: map[string][]string{"http.favicon_mmh3": nil, "http.favicon_md5": nil, "http.title": {"big"}},
		},
		{
			name:   "404 everywhere is evidence, not an error",
			routes: map[string]route{},
			want:   map[string][]string{"http.status": {"404"}, "http.favicon_mmh3": nil},
		},
		{
			name: "body excerpt is folded and bounded",
			routes: map[string]route{
				"/": {200, nil, "<html>\n\n  " + strings.Repeat("word ", 1000) + "</html>"},
			},
			// docs/evidence.md bounds http.body at 512 bytes: "<html>" and
			// 101 " word"s are 511, and one more would pass the bound.
			want: map[string][]string{"http.body": {"<html>" + strings.Repeat(" word", 101)}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			web := &fakeWeb{routes: tc.routes}
			srv := httptest.NewServer(web)
			defer srv.Close()
			tg := bannerTarget(t, "http", srv.Listener.Addr().String())
			c := probeWithin(t, newHTTPTestProber(), tg, 10*time.Second)
			for field, want := range tc.want {
				if got := c.values(field); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			reqs := web.requests()
			for _, n := range tc.never {
				if slices.Contains(reqs, n) {
					t.Errorf("probe sent %q; requests %q", n, reqs)
				}
			}
			for _, r := range reqs {
				if !strings.HasPrefix(r, "GET ") {
					t.Errorf("probe sent %q: only GET is allowed", r)
				}
			}
			for _, ua := range web.agents {
				if !strings.Contains(ua, "camsweep") {
					t.Errorf("User-Agent %q does not name camsweep", ua)
				}
			}
			checkDialsStayOnTarget(t, tg)
		})
	}
}

// bannerCert makes a self-signed certificate with the subject order a
// device would write (C, O, CN), an IP and a DNS SAN.
func bannerCert(t testing.TB) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject: pkix.Name{
			Country:      []string{"CN"},
			Organization: []string{"Hikvision"},
			CommonName:   "192.168.1.64",
		},
		NotBefore:   time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC),
		NotAfter:    time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		DNSNames:    []string{"ipc.local"},
		IPAddresses: []net.IP{net.ParseIP("192.168.1.64")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, leaf
}

func TestHTTPProbeHTTPSCertificate(t *testing.T) {
	cert, _ := bannerCert(t)
	web := &fakeWeb{routes: map[string]route{"/": {200, [][2]string{{"Server", "webserver"}}, "<title>Login</title>"}}}
	srv := httptest.NewUnstartedServer(web)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()

	tg := bannerTarget(t, "https", srv.Listener.Addr().String())
	c := probeWithin(t, newHTTPTestProber(), tg, 10*time.Second)
	want := map[string][]string{
		"tls.subject":    {"CN=192.168.1.64,O=Hikvision,C=CN"},
		"tls.issuer":     {"CN=192.168.1.64,O=Hikvision,C=CN"},
		"tls.san":        {"ipc.local", "192.168.1.64"},
		"tls.not_before": {"2020-01-02T03:04:05Z"},
		"tls.not_after":  {"2030-01-02T03:04:05Z"},
		"http.status":    {"200"},
		"http.server":    {"webserver"},
		"http.title":     {"Login"},
	}
	for field, w := range want {
		if got := c.values(field); !reflect.DeepEqual(got, w) {
			t.Errorf("%s = %q, want %q", field, got, w)
		}
	}
	checkDialsStayOnTarget(t, tg)
}

// A TLS server that sends its certificate and then fails the handshake
// still tells us who it claims to be.
func TestHTTPProbeCertificateFromFailedHandshake(t *testing.T) {
	cert, _ := bannerCert(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		MaxVersion:   tls.VersionTLS12,
		ClientAuth:   tls.RequireAnyClientCert, // we send none: handshake fails after the certificate
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	tg := bannerTarget(t, "https", ln.Addr().String())
	c := probeWithin(t, newHTTPTestProber(), tg, 10*time.Second)
	if got := c.first("tls.subject"); got != "CN=192.168.1.64,O=Hikvision,C=CN" {
		t.Errorf("tls.subject = %q", got)
	}
	if got := c.values("http.status"); got != nil {
		t.Errorf("http.status = %q without a response", got)
	}
}

func TestHTTPProbeHostile(t *testing.T) {
	for _, name := range []string{"silent", "reset", "endless-body", "giant-headers", "garbage", "slow-drip"} {
		t.Run(name, func(t *testing.T) {
			addr := bannerServe(t, bannerHostile[name])
			tg := bannerTarget(t, "http", addr, "https", addr)
			p := newHTTPTestProber()
			p.RequestTimeout = time.Second
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			c := probeWithin(t, p, tg, 3*time.Second)
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
				t.Errorf("probe allocated %d MB against a hostile device", grew>>20)
			}
			if name == "endless-body" {
				if got := c.values("http.status"); !reflect.DeepEqual(got, []string{"200"}) {
					t.Errorf("http.status = %q, want the status before the endless body", got)
				}
			}
			checkDialsStayOnTarget(t, tg)
		})
	}
}

func TestHTTPProbeNothingToDo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tests := []struct {
		name    string
		target  scanner.Target
		wantErr bool
	}{
		{"closed port is not an error", bannerTarget(t, "http", closed), false},
		{"no web ports", bannerTarget(t, "rtsp", closed), false},
		{"no dialer", scanner.Target{Addr: bannerTarget(t).Addr}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c bannerCollector
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := newHTTPTestProber().Probe(ctx, tc.target, c.emit)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Probe error = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "scanner: http:") {
				t.Errorf("error %q lacks the scanner: http: prefix", err)
			}
			if len(c.ev) != 0 {
				t.Errorf("evidence %v from nothing", c.ev)
			}
		})
	}
}

// FuzzEmitHTTPAnswer drives the whole response-to-evidence path with
// device-chosen headers and body: every value must stay cleaned and bounded.
func FuzzEmitHTTPAnswer(f *testing.F) {
	f.Add(401, "App-webs/", `Digest realm="IP Camera(C6253)", nonce="1"`, "SessionID=1", []byte("<title>Document Error</title>"))
	f.Add(302, "", `Basic realm=`, "=", []byte("\xff\xfe<link rel=icon href=x>"))
	f.Fuzz(func(t *testing.T, status int, server, auth, cookie string, body []byte) {
		h := http.Header{}
		h.Set("Server", server)
		h.Add("Www-Authenticate", auth)
		h.Add("Set-Cookie", cookie)
		var c bannerCollector
		emitHTTPAnswer(value.NewSink("http", c.emit), &httpAnswer{status: status, header: h, body: body})
		for _, e := range c.ev {
			if e.Value == "" || len(e.Value) > maxBodyExcerpt || strings.ContainsAny(e.Value, "\r\n\x00") {
				t.Fatalf("%s = %q", e.Field, e.Value)
			}
		}
	})
}

// Old camera firmware speaks only RSA key exchange over TLS 1.0-1.2, which
// Go leaves out of its default client suites; the probe must still read it.
func TestHTTPProbeLegacyTLS(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "DVR"},
		NotBefore:    time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	web := &fakeWeb{routes: map[string]route{"/": {200, nil, "<title>old</title>"}}}
	srv := httptest.NewUnstartedServer(web)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS10,
		MaxVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA},
	}
	srv.StartTLS()
	defer srv.Close()
	tg := bannerTarget(t, "https", srv.Listener.Addr().String())
	c := probeWithin(t, newHTTPTestProber(), tg, 10*time.Second)
	if got := c.values("http.title"); !reflect.DeepEqual(got, []string{"old"}) {
		t.Errorf("http.title = %q over RSA key exchange", got)
	}
	if got := c.first("tls.subject"); got != "CN=DVR" {
		t.Errorf("tls.subject = %q", got)
	}
}
