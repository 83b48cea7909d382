package probe

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/internal/bounded"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/camsweep/camsweep/scanner/internal/wire"
	"github.com/rs/zerolog"
	"github.com/use-go/onvif/device"
)

// ONVIFOptions tunes the ONVIF prober.
type ONVIFOptions struct {
	// Timeout bounds each SOAP call (default 5s); the context still wins.
	Timeout time.Duration
	// Now is our clock; tests set it. Default time.Now.
	Now func() time.Time
}

// ONVIFProber reads an ONVIF device service: GetSystemDateAndTime (no
// authentication, for the clock offset), then GetDeviceInformation,
// GetNetworkInterfaces and GetScopes, first anonymously and, when the device
// refuses and the site configured credentials, with a WS-UsernameToken
// signed on the device's clock, then with HTTP Digest. It never guesses
// credentials.
//
// use-go/onvif supplies the request types; its own client is not used
// because it has no HTTP timeout, stops at a 401 on GetCapabilities and
// signs tokens with the local clock.
type ONVIFProber struct {
	creds Credentials
	opts  ONVIFOptions
	log   zerolog.Logger
}

// NewONVIFProber returns the "onvif" prober. creds may be the zero value.
func NewONVIFProber(creds Credentials, opts ONVIFOptions, log zerolog.Logger) *ONVIFProber {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	return &ONVIFProber{creds: creds, opts: opts, log: log.With().Str("probe", "onvif").Logger()}
}

func (p *ONVIFProber) Name() string { return "onvif" }

// onvifEndpoints lists the device service URLs to try: XAddrs that an earlier
// WS-Discovery probe of this host saw (or a Hello overheard), but only those
// on the host's own address and on one of its open ports of the sweep's port
// set (a device must not steer the scanner to another host, nor to another
// port of its own), then the standard path on each HTTP port.
func onvifEndpoints(t scanner.Target) []string {
	var out []string
	seen := map[string]bool{}
	add := func(u string) {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, e := range t.Evidence {
		if e.Field != "wsd.xaddrs" {
			continue
		}
		u, err := url.Parse(e.Value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
			continue
		}
		a, err := netip.ParseAddr(u.Hostname())
		if err != nil || a.Unmap() != t.Addr || !t.IsOpen(urlPort(u)) {
			continue
		}
		add(u.String())
	}
	for _, port := range t.PortsFor("http") {
		add("http://" + hostPort(t.Addr, port) + "/onvif/device_service")
	}
	for _, port := range t.PortsFor("https") {
		add("https://" + hostPort(t.Addr, port) + "/onvif/device_service")
	}
	return out
}

func (p *ONVIFProber) Probe(ctx context.Context, t scanner.Target, emit scanner.Emit) error {
	log := p.log.With().Str("host", t.Addr.String()).Logger()
	sink := value.NewSink("onvif", emit)
	hc := &http.Client{
		Transport: &http.Transport{
			DialContext:            t.Dialer.DialContext,
			DisableKeepAlives:      true,
			MaxResponseHeaderBytes: maxHeaderBytes,
			// Cameras use self-signed certificates; nothing secret is sent
			// that is not already protected by the token or digest scheme.
			TLSClientConfig:       &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // device identity, not trust
			ResponseHeaderTimeout: p.opts.Timeout,
		},
		// A device service that redirects could send us anywhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer hc.CloseIdleConnections()
	for _, ep := range onvifEndpoints(t) {
		c := &onvifClient{hc: hc, url: ep, creds: p.creds, now: p.opts.Now, timeout: p.opts.Timeout}
		var dt onvifDateTime
		res, err := c.call(ctx, device.GetSystemDateAndTime{}, &dt, false)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Debug().Err(err).Str("url", ep).Msg("no device service")
			continue
		}
		if res.status != http.StatusOK {
			// Some devices want authentication even here; the other
			// calls still tell whether credentials are needed.
			log.Debug().Int("status", res.status).Str("url", ep).Msg("GetSystemDateAndTime refused")
		} else if devT, ok := dt.UTC(); ok {
			c.offset = devT.Sub(res.mid)
			sink.Add("onvif.clock_offset_seconds", strconv.FormatInt(int64(math.Round(c.offset.Seconds())), 10))
		}
		p.readDevice(ctx, c, sink, log)
		return nil
	}
	return nil
}

// readDevice runs the identity calls against a device service that answered.
func (p *ONVIFProber) readDevice(ctx context.Context, c *onvifClient, sink *value.Sink, log zerolog.Logger) {
	var info struct {
		R device.GetDeviceInformationResponse `xml:"GetDeviceInformationResponse"`
	}
	res, err := c.call(ctx, device.GetDeviceInformation{}, &info, true)
	switch {
	case err != nil:
		log.Debug().Err(err).Msg("GetDeviceInformation failed")
	case res.status == http.StatusOK:
		sink.Add("onvif.manufacturer", info.R.Manufacturer)
		sink.Add("onvif.model", info.R.Model)
		sink.Add("onvif.firmware", info.R.FirmwareVersion)
		sink.Add("onvif.serial", info.R.SerialNumber)
		sink.Add("onvif.hardware_id", info.R.HardwareId)
	}
	sink.Add("onvif.auth", c.authLabel())
	if c.denied {
		log.Info().Bool("credentials_configured", c.creds.Valid()).Msg("device requires authentication")
		return
	}

	var nics struct {
		R struct {
			NetworkInterfaces []struct {
				Info struct {
					HwAddress string `xml:"HwAddress"`
				} `xml:"Info"`
			} `xml:"NetworkInterfaces"`
		} `xml:"GetNetworkInterfacesResponse"`
	}
	if res, err := c.call(ctx, device.GetNetworkInterfaces{}, &nics, true); err == nil && res.status == http.StatusOK {
		for _, n := range nics.R.NetworkInterfaces {
			if mac := value.MAC(n.Info.HwAddress); mac != "" {
				sink.Add("onvif.mac", mac)
				sink.Add("mac", mac)
			}
		}
	}

	var scopes struct {
		R struct {
			Scopes []struct {
				ScopeItem string `xml:"ScopeItem"`
			} `xml:"Scopes"`
		} `xml:"GetScopesResponse"`
	}
	if res, err := c.call(ctx, device.GetScopes{}, &scopes, true); err == nil && res.status == http.StatusOK {
		// The same scope URIs WS-Discovery carries, for devices whose UDP
		// 3702 is filtered: emitted under the wsd.* fields so one set of
		// rules reads both.
		m := wire.ProbeMatch{}
		for i, s := range scopes.R.Scopes {
			if i >= wire.WSDMaxAddr {
				break
			}
			m.Scopes = append(m.Scopes, strings.TrimSpace(s.ScopeItem))
		}
		for _, e := range m.Evidence() {
			if e.Field != "mac" && e.Field != "wsd.mac" {
				sink.Add(e.Field, e.Value)
			}
		}
	}
}

// onvifDateTime decodes GetSystemDateAndTimeResponse. use-go's type tags its
// fields with literal "onvif:" prefixes, which encoding/xml cannot match, so
// the few fields needed are declared here.
type onvifDateTime struct {
	R struct {
		SDT struct {
			UTC struct {
				Time struct {
					Hour, Minute, Second int
				} `xml:"Time"`
				Date struct {
					Year, Month, Day int
				} `xml:"Date"`
			} `xml:"UTCDateTime"`
		} `xml:"SystemDateAndTime"`
	} `xml:"GetSystemDateAndTimeResponse"`
}

// UTC is the device's UTC time, when it gave a plausible one.
func (d onvifDateTime) UTC() (time.Time, bool) {
	u := d.R.SDT.UTC
	if u.Date.Year < 1970 || u.Date.Year > 2200 || u.Date.Month < 1 || u.Date.Month > 12 || u.Date.Day < 1 || u.Date.Day > 31 ||
		u.Time.Hour < 0 || u.Time.Hour > 23 || u.Time.Minute < 0 || u.Time.Minute > 59 || u.Time.Second < 0 || u.Time.Second > 60 {
		return time.Time{}, false
	}
	return time.Date(u.Date.Year, time.Month(u.Date.Month), u.Date.Day, u.Time.Hour, u.Time.Minute, u.Time.Second, 0, time.UTC), true
}

// errSOAP marks an answer that is not a SOAP envelope.
var errSOAP = errors.New("scanner: onvif: answer is not a SOAP envelope")

// readSOAP decodes a bounded SOAP body into out (the Body's children).
func readSOAP(r io.Reader, out any) (fault string, err error) {
	data, _, err := bounded.ReadAll(r, maxBodyBytes)
	if err != nil {
		return "", fmt.Errorf("scanner: onvif: read body: %w", err)
	}
	var env struct {
		XMLName xml.Name
		Body    struct {
			Inner []byte `xml:",innerxml"`
			Fault *struct {
				Code struct {
					Value   string `xml:"Value"`
					Subcode struct {
						Value string `xml:"Value"`
					} `xml:"Subcode"`
				} `xml:"Code"`
				FaultCode string `xml:"faultcode"` // SOAP 1.1 devices
			} `xml:"Fault"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(data, &env); err != nil || env.XMLName.Local != "Envelope" {
		return "", errSOAP
	}
	if f := env.Body.Fault; f != nil {
		return strings.TrimSpace(f.Code.Subcode.Value + " " + f.Code.Value + " " + f.FaultCode), nil
	}
	if out != nil {
		if err := xml.Unmarshal([]byte("<B>"+string(env.Body.Inner)+"</B>"), out); err != nil {
			return "", fmt.Errorf("scanner: onvif: decode body: %w", err)
		}
	}
	return "", nil
}
