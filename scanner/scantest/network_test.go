package scantest

import (
	"context"
	"crypto/tls"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestEveryPersonaAnswers starts every well-behaved persona and checks that
// each of its services answers with the strings its YAML holds.
func TestEveryPersonaAnswers(t *testing.T) {
	ps, err := Personas()
	if err != nil {
		t.Fatal(err)
	}
	var specs []HostSpec
	for _, p := range ps {
		if p.Hostile == "" {
			specs = append(specs, HostSpec{Persona: p})
		}
	}
	n := startNet(t, specs)
	for _, h := range n.Hosts {
		t.Run(h.Persona.Name, func(t *testing.T) {
			p := h.Persona
			if p.HTTP != nil {
				checkHTTPRoot(t, h, "http", p.HTTP)
			}
			if p.HTTPS != nil {
				checkTLS(t, h)
			}
			if p.RTSP != nil {
				checkRTSP(t, h)
			}
			for _, name := range p.ExtraTCP {
				c, err := net.DialTimeout("tcp", addrPort(t, h, name).String(), 2*time.Second)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				_ = c.Close()
			}
		})
	}
}

func checkHTTPRoot(t *testing.T, h *Host, service string, svc *HTTPService) {
	t.Helper()
	resp, body := rawExchange(t, addrPort(t, h, service), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	want := svc.NotFound
	for i := range svc.Routes {
		if svc.Routes[i].Path == "/" && (svc.Routes[i].Method == "" || svc.Routes[i].Method == "GET") {
			want = &svc.Routes[i]
		}
	}
	if want == nil {
		if resp.StatusCode != 404 {
			t.Errorf("GET /: status %d, want 404", resp.StatusCode)
		}
		return
	}
	wantStatus := want.Status
	if wantStatus == 0 {
		wantStatus = 200
	}
	if resp.StatusCode != wantStatus {
		t.Errorf("GET /: status %d, want %d", resp.StatusCode, wantStatus)
	}
	for _, kv := range want.Headers {
		if strings.Contains(kv[1], "{{") || strings.EqualFold(kv[0], "Connection") {
			continue // dynamic, or hop-by-hop (net/http's parser consumes it)
		}
		if got := resp.Header.Values(kv[0]); !slices.Contains(got, kv[1]) {
			t.Errorf("GET /: header %s = %q, want %q", kv[0], got, kv[1])
		}
	}
	if want.Body != "" && !strings.Contains(want.Body, "{{") && body != want.Body {
		t.Errorf("GET /: body %q, want %q", body, want.Body)
	}
}

func checkTLS(t *testing.T, h *Host) {
	t.Helper()
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true}} // self-signed by design
	c, err := d.DialContext(t.Context(), "tcp", addrPort(t, h, "https").String())
	if err != nil {
		t.Fatalf("https: %v", err)
	}
	defer c.Close()
	cert := c.(*tls.Conn).ConnectionState().PeerCertificates[0]
	if got, want := cert.Subject.CommonName, h.Persona.HTTPS.Cert.CommonName; got != want {
		t.Errorf("certificate CN %q, want %q", got, want)
	}
}

func checkRTSP(t *testing.T, h *Host) {
	t.Helper()
	ap := addrPort(t, h, "rtsp")
	resp, _ := rawExchange(t, ap, "OPTIONS rtsp://"+ap.String()+"/ RTSP/1.0\r\nCSeq: 2\r\n\r\n")
	wantOptions := h.Persona.RTSP.OptionsStatus
	if wantOptions == 0 {
		wantOptions = 200
	}
	if resp.Proto != "RTSP/1.0" || resp.StatusCode != wantOptions {
		t.Errorf("OPTIONS: %s %d, want %d", resp.Proto, resp.StatusCode, wantOptions)
	}
	if got := resp.Header.Get("CSeq"); got != "2" {
		t.Errorf("OPTIONS: CSeq %q, want 2", got)
	}
	if got, want := resp.Header.Get("Server"), h.Persona.RTSP.Server; got != want {
		t.Errorf("OPTIONS: Server %q, want %q", got, want)
	}
	if got, want := resp.Header.Get("Public"), h.Persona.RTSP.Public; wantOptions == 200 && got != want {
		t.Errorf("OPTIONS: Public %q, want %q", got, want)
	}
	resp, _ = rawExchange(t, ap, "DESCRIBE rtsp://"+ap.String()+"/ RTSP/1.0\r\nCSeq: 3\r\nAccept: application/sdp\r\n\r\n")
	d := h.Persona.RTSP.Describe
	if d.Status == 0 || d.Status == 401 {
		if resp.StatusCode != 401 {
			t.Fatalf("DESCRIBE: status %d, want 401", resp.StatusCode)
		}
		got := resp.Header.Values("WWW-Authenticate")
		lines := strings.Split(strings.TrimSpace(d.WWWAuthenticate), "\n")
		if len(got) != len(lines) {
			t.Fatalf("DESCRIBE: %d challenges %q, want %d", len(got), got, len(lines))
		}
		for i, l := range lines {
			prefix, _, _ := strings.Cut(l, "{{nonce}}")
			if !strings.HasPrefix(got[i], prefix) || strings.Contains(got[i], "{{") {
				t.Errorf("DESCRIBE: challenge %q, want %q", got[i], l)
			}
		}
	}
}

func TestPlaceholdersFilledPerHost(t *testing.T) {
	p := mustPersona(t, "dahua-ipc-hdw2431t-as-s2")
	n := startNet(t, []HostSpec{
		{Persona: p, Serial: "AAAAAAAAAAAAAAA", MAC: "e0:50:8b:00:00:01"},
		{Persona: p, Serial: "BBBBBBBBBBBBBBB", MAC: "e0:50:8b:00:00:02"},
	})
	for _, h := range n.Hosts {
		resp, body := rawExchange(t, addrPort(t, h, "http"),
			"POST /RPC2_Login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
		if resp.StatusCode != 200 || !strings.Contains(body, `"realm":"Login to `+h.Serial()+`"`) {
			t.Errorf("%s: RPC2_Login %d %q, want the realm of serial %s", h.Addr, resp.StatusCode, body, h.Serial())
		}
		if strings.Contains(body, "{{") {
			t.Errorf("%s: unexpanded placeholder in %q", h.Addr, body)
		}
		if h.Persona.DHIP.Serial != h.Serial() || h.MAC() == p.MAC {
			t.Errorf("%s: DHIP serial %q, MAC %q: per-host identity not applied", h.Addr, h.Persona.DHIP.Serial, h.MAC())
		}
	}
	first := n.Prefix().Addr().As4()
	first[3] = 10
	if want := netip.AddrFrom4(first); n.Hosts[0].Addr != want || n.Hosts[1].Addr != want.Next() {
		t.Errorf("addresses %s %s, want %s and the next", n.Hosts[0].Addr, n.Hosts[1].Addr, want)
	}
}

func TestAxisSerialFromMAC(t *testing.T) {
	n := startNet(t, []HostSpec{{Persona: mustPersona(t, "axis-p3245-lve"), MAC: "ac:cc:8e:01:02:03"}})
	h := n.Hosts[0]
	if h.Serial() != "ACCC8E010203" {
		t.Errorf("serial %q, want ACCC8E010203", h.Serial())
	}
	ap := addrPort(t, h, "rtsp")
	resp, _ := rawExchange(t, ap, "DESCRIBE rtsp://"+ap.String()+"/axis-media/media.amp RTSP/1.0\r\nCSeq: 1\r\n\r\n")
	if got := resp.Header.Get("WWW-Authenticate"); !strings.Contains(got, `realm="AXIS_ACCC8E010203"`) {
		t.Errorf("realm: %q", got)
	}
}

func TestPortSpecAndPrefix(t *testing.T) {
	n := startNet(t, []HostSpec{
		{Persona: mustPersona(t, "hikvision-ds-2cd2143g2-i")},
		{Persona: mustPersona(t, "windows-pc")},
	})
	want := []string{"10080/http", "10554/rtsp", "18000/hik-sdk"}
	if got := n.PortSpec(); !slices.Equal(got, want) {
		t.Errorf("PortSpec %q, want %q", got, want)
	}
	if !n.Prefix().Contains(n.Hosts[0].Addr) {
		t.Errorf("Prefix %s does not hold %s", n.Prefix(), n.Hosts[0].Addr)
	}
	if _, ok := n.Hosts[1].AddrPort("rtsp"); ok {
		t.Errorf("windows-pc listens on rtsp; only services a persona has get a listener")
	}
}

func TestStartErrors(t *testing.T) {
	p := mustPersona(t, "windows-pc")
	tests := []struct {
		name  string
		hosts []HostSpec
		opts  Options
		want  string
	}{
		{"outside base", []HostSpec{{Persona: p, Addr: netip.MustParseAddr("127.1.0.1")}}, Options{}, "outside 127.77.0.0/16"},
		{"not loopback", []HostSpec{{Persona: p, Addr: netip.MustParseAddr("10.0.0.1")}}, Options{Base: netip.MustParsePrefix("10.0.0.0/8")}, "not loopback"},
		{"duplicate", []HostSpec{{Persona: p, Addr: netip.MustParseAddr("127.77.1.1")}, {Persona: p, Addr: netip.MustParseAddr("127.77.1.1")}}, Options{}, "given twice"},
		{"unknown port", []HostSpec{{Persona: Persona{Name: "x", ExtraTCP: []string{"nope"}}}}, Options{}, `no port for service "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Start(t.Context(), tt.hosts, tt.opts)
			if err == nil {
				_ = n.Close()
				t.Fatalf("Start succeeded, want error with %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "scantest: ") {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestCloseLeavesNoGoroutines keeps connections open in every state (idle
// HTTP keep-alive, half-sent RTSP request, mute SDK port, silent hostile)
// and checks that Close returns and leaves nothing behind.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	ps, err := Personas()
	if err != nil {
		t.Fatal(err)
	}
	var specs []HostSpec
	for _, p := range ps {
		specs = append(specs, HostSpec{Persona: p})
	}
	// Every accepted connection is announced, so the test can wait until
	// the fakes hold all of them before it closes the network.
	accepted := make(chan struct{}, 1024)
	listen := func(ctx context.Context, network, address string) (net.Listener, error) {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, network, address)
		if err != nil {
			return nil, err
		}
		return &announcingListener{Listener: ln, accepted: accepted}, nil
	}
	n, err := Start(context.Background(), specs, Options{Base: RandomBase(), Listen: listen})
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	for _, h := range n.Hosts {
		for svc := range h.Ports {
			c, err := net.DialTimeout("tcp", addrPort(t, h, svc).String(), 2*time.Second)
			if err != nil {
				continue // the reset persona may refuse
			}
			_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n")) // never finished
			conns = append(conns, c)
		}
	}
	for range conns {
		select {
		case <-accepted:
		case <-time.After(10 * time.Second): // only so a broken fake fails instead of hanging
			t.Fatal("the fakes did not accept every connection")
		}
	}
	done := make(chan struct{})
	go func() { _ = n.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	for _, c := range conns {
		_ = c.Close()
	}
	waitGoroutines(t, before)
}

// TestListenHooks checks that every socket goes through the hooks, which is
// how the namespace lab moves the fakes into a netns.
func TestListenHooks(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	listen := func(ctx context.Context, network, address string) (net.Listener, error) {
		mu.Lock()
		seen = append(seen, network+" "+address)
		mu.Unlock()
		var lc net.ListenConfig
		return lc.Listen(ctx, network, address)
	}
	base := RandomBase()
	n, err := Start(t.Context(), []HostSpec{{Persona: mustPersona(t, "reolink-rlc-810a")}}, Options{Base: base, Listen: listen})
	if err != nil {
		t.Skipf("base %s busy: %v", base, err)
	}
	defer n.Close()
	h := n.Hosts[0]
	want := []string{
		"tcp " + netip.AddrPortFrom(h.Addr, 10080).String(),
		"tcp " + netip.AddrPortFrom(h.Addr, 10554).String(),
		"tcp " + netip.AddrPortFrom(h.Addr, 19000).String(),
	}
	if !slices.Equal(seen, want) {
		t.Errorf("listened on %q, want %q", seen, want)
	}
}

// announcingListener sends on accepted after each connection it accepts.
type announcingListener struct {
	net.Listener
	accepted chan<- struct{}
}

func (l *announcingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted <- struct{}{}
	}
	return c, err
}
