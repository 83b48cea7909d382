package probe

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/bounded"
	"github.com/camsweep/camsweep/scanner/internal/datagram"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/rs/zerolog"
)

// SSDP (UPnP Device Architecture 1.1/2.0, section 1): an HTTP-over-UDP
// M-SEARCH to 239.255.255.250:1900 (or unicast to a host's 1900) answered by
// a unicast "HTTP/1.1 200 OK" carrying SERVER and LOCATION, the URL of the
// device description XML (section 2) with manufacturer, model and serial.
const ssdpPort = 1900

// maxSSDPDescriptions bounds the device descriptions fetched from one host.
const maxSSDPDescriptions = 2

var ssdpGroup = netip.AddrPortFrom(netip.AddrFrom4([4]byte{239, 255, 255, 250}), ssdpPort)

// newMSearch builds an M-SEARCH for root devices. A multicast search carries
// MX (answer within that many seconds); a unicast one must not (UDA 2.0).
func newMSearch(host netip.AddrPort, multicast bool) []byte {
	var b strings.Builder
	b.WriteString("M-SEARCH * HTTP/1.1\r\n")
	b.WriteString("HOST: " + host.String() + "\r\n")
	b.WriteString("MAN: \"ssdp:discover\"\r\n")
	if multicast {
		b.WriteString("MX: 1\r\n")
	}
	b.WriteString("ST: upnp:rootdevice\r\n")
	b.WriteString("USER-AGENT: Linux/1 UPnP/1.1 camsweep/1\r\n\r\n")
	return []byte(b.String())
}

// ssdpAnswer is a parsed M-SEARCH answer.
type ssdpAnswer struct {
	Server, Location string
}

// parseSSDP reads an M-SEARCH answer (a NOTIFY or another host's M-SEARCH
// is an error).
func parseSSDP(b []byte) (ssdpAnswer, error) {
	resp, err := http.ReadResponse(bufio.NewReaderSize(bytes.NewReader(b), len(b)+16), nil)
	if err != nil {
		return ssdpAnswer{}, fmt.Errorf("scanner: parse ssdp: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ssdpAnswer{}, fmt.Errorf("scanner: parse ssdp: status %d", resp.StatusCode)
	}
	return ssdpAnswer{Server: resp.Header.Get("Server"), Location: resp.Header.Get("Location")}, nil
}

func (a ssdpAnswer) evidence() []evidence.Evidence {
	l := value.List{Probe: "ssdp"}
	l.Add("ssdp.server", a.Server)
	l.Add("ssdp.location", a.Location)
	return l.Out
}

// upnpDescription is the root device of a UPnP description document.
type upnpDescription struct {
	Device struct {
		DeviceType   string `xml:"deviceType"`
		FriendlyName string `xml:"friendlyName"`
		Manufacturer string `xml:"manufacturer"`
		ModelName    string `xml:"modelName"`
		ModelNumber  string `xml:"modelNumber"`
		SerialNumber string `xml:"serialNumber"`
		UDN          string `xml:"UDN"`
	} `xml:"device"`
}

// parseUPnPDescription reads a device description document.
func parseUPnPDescription(b []byte) ([]evidence.Evidence, error) {
	var d upnpDescription
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = false
	dec.CharsetReader = value.PassCharset
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("scanner: parse upnp description: %w", err)
	}
	l := value.List{Probe: "ssdp"}
	l.Add("upnp.manufacturer", d.Device.Manufacturer)
	l.Add("upnp.model_name", d.Device.ModelName)
	l.Add("upnp.model_number", d.Device.ModelNumber)
	l.Add("upnp.serial", d.Device.SerialNumber)
	l.Add("upnp.udn", d.Device.UDN)
	l.Add("upnp.friendly_name", d.Device.FriendlyName)
	l.Add("upnp.device_type", d.Device.DeviceType)
	if len(l.Out) == 0 {
		return nil, errors.New("scanner: parse upnp description: no device fields")
	}
	return l.Out, nil
}

// ownLocation returns location when it is an http URL on the target itself
// and on one of its open ports: a device answering for another address must
// not make us connect there, nor one naming a port the operator did not
// put in the port set (libupnp's 49152, or any port of a medical device
// whose address a station spoofs).
func ownLocation(location string, t scanner.Target) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(location))
	if err != nil || u.Scheme != "http" || u.User != nil {
		return "", false
	}
	a, err := netip.ParseAddr(u.Hostname())
	if err != nil || a.Unmap() != t.Addr || !t.IsOpen(urlPort(u)) {
		return "", false
	}
	return u.String(), true
}

// fetchUPnPDescription GETs a description through d, bounded in time and size.
func fetchUPnPDescription(ctx context.Context, d scanner.Dialer, location string, timeout time.Duration) ([]evidence.Evidence, error) {
	ctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	hc := &http.Client{
		Transport: &http.Transport{
			DialContext:            d.DialContext,
			DisableKeepAlives:      true,
			MaxResponseHeaderBytes: maxHeaderBytes,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, location, nil)
	if err != nil {
		return nil, fmt.Errorf("scanner: upnp description: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scanner: upnp description: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scanner: upnp description: status %d", resp.StatusCode)
	}
	body, _, err := bounded.ReadAll(resp.Body, maxBodyBytes)
	if err != nil {
		return nil, fmt.Errorf("scanner: upnp description: %w", err)
	}
	return parseUPnPDescription(body)
}

// SSDPOptions tunes SSDP.
type SSDPOptions struct {
	// Port is the unicast prober's destination port (default 1900; the
	// loopback demo serves SSDP on an unprivileged stand-in).
	Port uint16
	Wait time.Duration // answers are collected this long (default 2s)
	TTL  int           // multicast TTL (default 1)
}

// SSDPProber sends a unicast M-SEARCH to the host and reads the device
// description that the host's own answer points to, when that LOCATION is
// on the host's address and one of its open ports. A LOCATION heard any
// other way (a multicast answer, an overheard NOTIFY, in t.Evidence) is
// reported but never followed: anyone on the segment can send those in the
// host's name.
type SSDPProber struct {
	opts SSDPOptions
	log  zerolog.Logger
}

// NewSSDPProber returns the "ssdp" prober.
func NewSSDPProber(opts SSDPOptions, log zerolog.Logger) *SSDPProber {
	return &SSDPProber{opts: opts, log: log.With().Str("probe", "ssdp").Logger()}
}

func (p *SSDPProber) Name() string { return "ssdp" }

func (p *SSDPProber) Probe(ctx context.Context, t scanner.Target, emit scanner.Emit) error {
	log := p.log.With().Str("host", t.Addr.String()).Logger()
	sink := value.NewSink("ssdp", emit)
	// Description URLs to fetch: usable ones only, each once, the first
	// maxSSDPDescriptions, however many answers (up to maxRepliesRound)
	// the host sends.
	locations := bounded.NewFirstSeen(maxSSDPDescriptions)
	addLocation := func(loc string) {
		if u, ok := ownLocation(loc, t); ok {
			locations.Add(u)
		} else {
			log.Debug().Msg("LOCATION names another host, scheme or a port not in the port set; not followed")
		}
	}
	port := p.opts.Port
	if port == 0 {
		port = ssdpPort
	}
	dst := netip.AddrPortFrom(t.Addr, port)
	err := datagram.Exchange(ctx, t.Dialer, dst, [][]byte{newMSearch(dst, false)}, p.opts.Wait, func(b []byte) bool {
		a, err := parseSSDP(b)
		if err != nil {
			log.Debug().Err(err).Msg("unusable answer")
			return false
		}
		for _, e := range a.evidence() {
			sink.AddN(e.Field, e.Value, len(e.Value))
		}
		if a.Location != "" {
			addLocation(a.Location)
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, u := range locations.List() {
		ev, err := fetchUPnPDescription(ctx, t.Dialer, u, defaultTimeout)
		if err != nil {
			log.Debug().Err(err).Msg("no device description")
			continue
		}
		for _, e := range ev {
			sink.Add(e.Field, e.Value)
		}
	}
	return nil
}

// ssdpSearch is the multicast M-SEARCH (the prober above, which also follows
// LOCATION, is its own), run by the datagram discoverer.
var ssdpSearch = datagramProtocol{name: "ssdp", group: ssdpGroup, query: once(func() []byte { return newMSearch(ssdpGroup, true) },
	func(b []byte) ([]evidence.Evidence, error) {
		a, err := parseSSDP(b)
		if err != nil {
			return nil, err
		}
		return a.evidence(), nil
	})}

// NewSSDPDiscoverer returns the "ssdp" discoverer. It reports the answers'
// headers only: their LOCATIONs are followed by the prober, and only when
// the host repeats them in answer to its own unicast M-SEARCH.
func NewSSDPDiscoverer(ifaces []net.Interface, opts SSDPOptions, log zerolog.Logger) *DatagramDiscoverer {
	return newDatagramDiscoverer(ssdpSearch, ifaces, DatagramOptions{Wait: opts.Wait, TTL: opts.TTL}, log)
}
