package scantest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Bounds of the fake HTTP server. It is a test double, not a web server:
// it reads little, waits briefly and keeps a connection for a few requests.
const (
	maxRequestHeader = 16 << 10
	maxRequestBody   = 256 << 10
	idleTimeout      = 30 * time.Second
	maxKeepAlive     = 100
)

// The fake serves HTTP itself instead of through net/http's Server because
// a persona must answer byte for byte as the device does: headers in the
// device's order and spelling ("WWW-Authenticate", not "Www-Authenticate"),
// no Date or Content-Type the device would not send, and every connection
// goroutine owned by the Network so Close can wait for it.

func (h *Host) serveHTTP(ctx context.Context, c net.Conn) {
	serveHTTPConn(ctx, c, h.mux)
}

func (h *Host) serveHTTPS(cfg *tls.Config) connHandler {
	return func(ctx context.Context, c net.Conn) {
		tc := tls.Server(c, cfg)
		hctx, cancel := context.WithTimeout(ctx, idleTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			return
		}
		serveHTTPConn(ctx, tc, h.mux)
	}
}

// serveHTTPConn answers requests on c until the client closes, asks to
// close, idles out or ctx ends.
func serveHTTPConn(ctx context.Context, c net.Conn, handler http.Handler) {
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	// The limit is renewed per request, so a client can never make the fake
	// buffer more than one request's worth.
	lr := &io.LimitedReader{R: c}
	br := bufio.NewReaderSize(lr, 4096)
	for range maxKeepAlive {
		lr.N = maxRequestHeader + maxRequestBody
		_ = c.SetReadDeadline(time.Now().Add(idleTimeout))
		req, err := http.ReadRequest(br)
		if err != nil {
			if err != io.EOF && !isNetErr(err) {
				writeRaw(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}
			return
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, maxRequestBody))
		if err != nil {
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.RemoteAddr = c.RemoteAddr().String()
		if tc, ok := c.(*tls.Conn); ok {
			st := tc.ConnectionState()
			req.TLS = &st
		}
		req = req.WithContext(ctx)
		w := &responseWriter{header: http.Header{}}
		handler.ServeHTTP(w, req)
		closing := req.Close || w.closeAfter
		_ = c.SetWriteDeadline(time.Now().Add(idleTimeout))
		if _, err := c.Write(w.bytes(req.Method == http.MethodHead, closing)); err != nil || closing {
			return
		}
	}
}

// isNetErr is true for timeouts and closed connections: the peer left, so
// there is nobody to send a 400 to.
func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || strings.Contains(err.Error(), "use of closed network connection")
}

func writeRaw(c net.Conn, s string) {
	_ = c.SetWriteDeadline(time.Now().Add(idleTimeout))
	_, _ = io.WriteString(c, s)
}

// responseWriter buffers one response. Handlers mounted by protocols use it
// as an ordinary http.ResponseWriter (headers go out sorted and canonical,
// as Go servers send them); persona routes set ordered headers verbatim.
type responseWriter struct {
	header     http.Header
	ordered    [][2]string // when set, sent as is instead of header
	verbatim   bool
	status     int
	body       bytes.Buffer
	closeAfter bool
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.body.Len()+len(b) > 8<<20 {
		return 0, fmt.Errorf("scantest: write: response larger than 8 MiB")
	}
	return w.body.Write(b)
}

// bytes renders status line, headers and body. Content-Length is added when
// the headers lack it, so clients never wait for the close.
func (w *responseWriter) bytes(head, closing bool) []byte {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", w.status, http.StatusText(w.status))
	hasLen, hasConn := false, false
	write := func(k, v string) {
		switch strings.ToLower(k) {
		case "content-length":
			hasLen = true
		case "connection":
			hasConn = true
		}
		b.WriteString(k + ": " + v + "\r\n")
	}
	if w.verbatim {
		for _, kv := range w.ordered {
			write(kv[0], kv[1])
		}
	} else {
		keys := make([]string, 0, len(w.header))
		for k := range w.header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			for _, v := range w.header[k] {
				write(k, v)
			}
		}
	}
	if !hasLen {
		write("Content-Length", strconv.Itoa(w.body.Len()))
	}
	if closing && !hasConn {
		write("Connection", "close")
	}
	b.WriteString("\r\n")
	if !head {
		b.Write(w.body.Bytes())
	}
	return b.Bytes()
}

// routesHandler answers from the persona's route table: exact path (with
// the query when the route names one), method GET unless said otherwise.
func routesHandler(h *Host) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		svc := h.Persona.HTTP
		if r.TLS != nil && h.Persona.HTTPS != nil {
			svc = &h.Persona.HTTPS.HTTPService
		}
		var route *Route
		if svc != nil {
			route = matchRoute(svc, r)
		}
		w, ok := rw.(*responseWriter)
		if !ok { // served through some other server in a test: best effort
			if route == nil {
				http.NotFound(rw, r)
				return
			}
			for _, kv := range route.Headers {
				rw.Header().Add(kv[0], expandDynamic(kv[1], time.Now()))
			}
			rw.WriteHeader(route.Status)
			_, _ = io.WriteString(rw, expandDynamic(route.Body, time.Now()))
			return
		}
		if route == nil {
			w.verbatim = true
			w.status = http.StatusNotFound
			return
		}
		writeRoute(w, route, time.Now())
	})
}

func matchRoute(svc *HTTPService, r *http.Request) *Route {
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	for i := range svc.Routes {
		rt := &svc.Routes[i]
		m := rt.Method
		if m == "" {
			m = http.MethodGet
		}
		if m != method {
			continue
		}
		target := r.URL.Path
		if strings.Contains(rt.Path, "?") {
			target = r.URL.RequestURI()
		}
		if target == rt.Path {
			return rt
		}
	}
	return svc.NotFound
}

func writeRoute(w *responseWriter, rt *Route, now time.Time) {
	w.verbatim = true
	w.status = rt.Status
	if w.status == 0 {
		w.status = http.StatusOK
	}
	for _, kv := range rt.Headers {
		w.ordered = append(w.ordered, [2]string{kv[0], expandDynamic(kv[1], now)})
		if strings.EqualFold(kv[0], "Connection") && strings.EqualFold(kv[1], "close") {
			w.closeAfter = true // the device hangs up, so the fake does too
		}
	}
	body := rt.Body
	if rt.BodyFile != "" {
		if b, err := personaFiles.ReadFile("personas/" + rt.BodyFile); err == nil {
			body = string(b)
		}
	}
	w.body.WriteString(expandDynamic(body, now))
}
