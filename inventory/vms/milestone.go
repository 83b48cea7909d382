// Package vms reads the central VMS's own list of the hardware it records,
// so that "on the central VMS" means the VMS has it. It implements
// Milestone XProtect's Configuration REST API through the API Gateway
// (XProtect 2023 R2 and later); docs/flows.md lists every endpoint and
// field it uses. It only reads: GET requests after one token request.
package vms

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"go.yaml.in/yaml/v3"

	"github.com/camsweep/camsweep/inventory"
)

// Bounds on what the VMS may send.
const (
	maxTokenBody = 64 << 10
	maxListBody  = 64 << 20
	maxItemBody  = 1 << 20
	// DefaultMaxHardware bounds the hardware list read.
	DefaultMaxHardware = 50000
	// settingsWorkers is how many hardwareDriverSettings requests run at
	// once: one request per hardware is the only way to a MAC address.
	settingsWorkers = 4
	// grantValidatorClient is the IDP client Milestone documents for the
	// password grant of a basic user.
	grantValidatorClient = "GrantValidatorClient"
)

// Config says where the API Gateway is and how to reach it.
type Config struct {
	// URL is the API Gateway's base, e.g. https://vms.regionh.dk; the
	// token endpoint is URL/API/IDP/connect/token and the configuration
	// API URL/API/rest/v1. Plain http is refused except on loopback.
	URL string
	// CAFile holds the PEM certificates to trust for the gateway, when
	// its certificate is not signed by a system-trusted CA.
	CAFile string
	// Timeout bounds each request; 30 s when zero.
	Timeout time.Duration
	// MACs fetches each hardware's driver settings for its MAC address
	// (one request per hardware). Without it, devices match by address.
	MACs bool
	// MaxHardware bounds the list; DefaultMaxHardware when zero.
	MaxHardware int
}

// Credentials authenticate to Milestone's identity provider: an OAuth
// client (client_id and client_secret, the client credentials grant) or a
// basic user (username and password, the password grant with Milestone's
// GrantValidatorClient). They are read from a file and never logged.
type Credentials struct {
	ClientID     string `yaml:"client_id"`
	ClientSecret secret `yaml:"client_secret"`
	Username     string `yaml:"username"`
	Password     secret `yaml:"password"`
	// Scope, when the IDP client needs one named.
	Scope string `yaml:"scope"`
}

// LoadCredentials reads a credentials file (YAML). It refuses a file other
// users may read, as sshd does with a private key.
func LoadCredentials(path string) (Credentials, error) {
	var c Credentials
	st, err := os.Stat(path)
	if err != nil {
		return c, fmt.Errorf("vms: credentials: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return c, fmt.Errorf("vms: credentials %s: mode %v lets other users read it; chmod 600", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("vms: credentials: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("vms: credentials %s: %w", path, err)
	}
	switch {
	case c.ClientID != "" && !c.ClientSecret.isZero() && c.Username == "":
	case c.Username != "" && !c.Password.isZero() && c.ClientID == "":
	default:
		return c, fmt.Errorf("vms: credentials %s: want client_id and client_secret, or username and password", path)
	}
	return c, nil
}

// Milestone reads an XProtect VMS's hardware list.
type Milestone struct {
	cfg   Config
	base  *url.URL
	creds Credentials
	http  *http.Client
	log   zerolog.Logger
}

// NewMilestone checks cfg and prepares a client.
func NewMilestone(cfg Config, creds Credentials, log zerolog.Logger) (*Milestone, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("vms: url %q: want https://host of the API Gateway", cfg.URL)
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return nil, fmt.Errorf("vms: url %s: plain http would send the credentials and token in the clear; use https", u.Redacted())
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxHardware <= 0 {
		cfg.MaxHardware = DefaultMaxHardware
	}
	tr := &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: settingsWorkers}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("vms: ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("vms: ca_file %s: no PEM certificate in it", cfg.CAFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &Milestone{
		cfg: cfg, base: u, creds: creds, log: log,
		// Redirects are not followed: a token must not be carried to
		// wherever a gateway points.
		http: &http.Client{Transport: tr, Timeout: cfg.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// Fetch reads the recording servers, hardware and cameras, and (with
// Config.MACs) each hardware's MAC address.
func (m *Milestone) Fetch(ctx context.Context) (*inventory.VMSInventory, error) {
	token, err := m.token(ctx)
	if err != nil {
		return nil, err
	}
	var servers, hardware, cameras []item
	if err := m.list(ctx, token, "recordingServers", &servers); err != nil {
		return nil, err
	}
	if err := m.list(ctx, token, "hardware", &hardware); err != nil {
		return nil, err
	}
	if len(hardware) > m.cfg.MaxHardware {
		return nil, fmt.Errorf("vms: %d hardware entries, more than the bound %d", len(hardware), m.cfg.MaxHardware)
	}
	if err := m.list(ctx, token, "cameras", &cameras); err != nil {
		return nil, err
	}
	inv := &inventory.VMSInventory{Source: "milestone", URL: m.base.Redacted(), Fetched: time.Now().UTC()}
	serverName := map[string]string{}
	for _, s := range servers {
		inv.RecordingServers = append(inv.RecordingServers, inventory.VMSRecordingServer{ID: s.ID, Name: s.name(), HostName: s.HostName})
		serverName[s.ID] = s.name()
	}
	perHW := map[string][2]int{}
	for _, c := range cameras {
		if p := c.Relations.Parent; strings.EqualFold(p.Type, "hardware") {
			n := perHW[p.ID]
			n[0]++
			if c.Enabled != nil && *c.Enabled && (c.RecordingEnabled == nil || *c.RecordingEnabled) {
				n[1]++
			}
			perHW[p.ID] = n
		}
	}
	for _, h := range hardware {
		hw := inventory.VMSHardware{
			ID: h.ID, Name: h.name(), Enabled: h.Enabled == nil || *h.Enabled,
			RecordingServer: serverName[h.Relations.Parent.ID], Cameras: -1, CamerasRecording: -1,
		}
		hw.Address, hw.Host = parseAddress(h.Address)
		if n, ok := perHW[h.ID]; ok {
			hw.Cameras, hw.CamerasRecording = n[0], n[1]
		} else if len(cameras) > 0 {
			hw.Cameras, hw.CamerasRecording = 0, 0
		}
		inv.Hardware = append(inv.Hardware, hw)
	}
	if m.cfg.MACs {
		if err := m.settings(ctx, token, inv.Hardware); err != nil {
			return nil, err
		}
	}
	m.log.Info().Str("vms", inv.URL).Int("hardware", len(inv.Hardware)).Int("recording_servers", len(servers)).Msg("VMS hardware list read")
	return inv, nil
}

// item is the part of a Configuration API object camsweep reads.
type item struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	DisplayName      string `json:"displayName"`
	Address          string `json:"address"`
	HostName         string `json:"hostName"`
	Enabled          *bool  `json:"enabled"`
	RecordingEnabled *bool  `json:"recordingEnabled"`
	Relations        struct {
		Parent struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"parent"`
	} `json:"relations"`
}

func (it item) name() string {
	if it.DisplayName != "" {
		return it.DisplayName
	}
	return it.Name
}

// parseAddress takes a hardware address, which XProtect stores as a URL
// ("http://10.20.8.11/", "http://10.20.8.11:8080/") or a bare host.
func parseAddress(s string) (netip.Addr, string) {
	s = strings.TrimSpace(s)
	host := s
	if strings.Contains(s, "://") {
		if u, err := url.Parse(s); err == nil {
			host = u.Hostname()
		}
	} else if h, _, err := net.SplitHostPort(s); err == nil {
		host = h
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return a.Unmap(), ""
	}
	return netip.Addr{}, host
}

func (m *Milestone) endpoint(path string) string {
	u := *m.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	return u.String()
}

// token gets an access token from the identity provider behind the API
// Gateway.
func (m *Milestone) token(ctx context.Context) (string, error) {
	form := url.Values{}
	if m.creds.ClientID != "" {
		form.Set("grant_type", "client_credentials")
		form.Set("client_id", m.creds.ClientID)
		form.Set("client_secret", m.creds.ClientSecret.value)
	} else {
		form.Set("grant_type", "password")
		form.Set("client_id", grantValidatorClient)
		form.Set("username", m.creds.Username)
		form.Set("password", m.creds.Password.value)
	}
	if m.creds.Scope != "" {
		form.Set("scope", m.creds.Scope)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.endpoint("/API/IDP/connect/token"), strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("vms: token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := m.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("vms: token: %w", scrub(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	if err != nil {
		return "", fmt.Errorf("vms: token: %w", err)
	}
	var t struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		Error       string `json:"error"`
	}
	_ = json.Unmarshal(body, &t)
	if resp.StatusCode != http.StatusOK || t.AccessToken == "" {
		// The OAuth error code (invalid_client, ...) says what is wrong
		// and holds no secret; the body is not echoed.
		return "", fmt.Errorf("vms: token: %s from the identity provider%s", resp.Status, oauthError(t.Error))
	}
	if t.TokenType != "" && !strings.EqualFold(t.TokenType, "Bearer") {
		return "", fmt.Errorf("vms: token: type %q, want Bearer", t.TokenType)
	}
	return t.AccessToken, nil
}

func oauthError(code string) string {
	for _, c := range code {
		if (c < 'a' || c > 'z') && c != '_' {
			return ""
		}
	}
	if code == "" || len(code) > 40 {
		return ""
	}
	return " (" + code + ")"
}

// scrub drops the URL from a transport error: it may carry a query.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// list reads a collection: {"array": [...]}.
func (m *Milestone) list(ctx context.Context, token, resource string, out *[]item) error {
	var doc struct {
		Array []item `json:"array"`
	}
	if err := m.get(ctx, token, "/API/rest/v1/"+resource, maxListBody, &doc); err != nil {
		return err
	}
	*out = doc.Array
	return nil
}

func (m *Milestone) get(ctx context.Context, token, path string, limit int64, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.endpoint(path), nil)
	if err != nil {
		return fmt.Errorf("vms: GET %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := m.http.Do(req)
	if err != nil {
		return fmt.Errorf("vms: GET %s: %w", path, scrub(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("vms: GET %s: %s", path, resp.Status)
	}
	lr := &io.LimitedReader{R: resp.Body, N: limit + 1}
	if err := json.NewDecoder(lr).Decode(v); err != nil {
		if lr.N <= 0 {
			return fmt.Errorf("vms: GET %s: answer larger than %d bytes", path, limit)
		}
		return fmt.Errorf("vms: GET %s: %w", path, err)
	}
	return nil
}

// settings reads each hardware's driver settings for its MAC, serial and
// model, a few requests at a time.
func (m *Milestone) settings(ctx context.Context, token string, hw []inventory.VMSHardware) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		firstEr error
	)
	for range settingsWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				var doc struct {
					Array []driverSettings `json:"array"`
					Data  *driverSettings  `json:"data"`
				}
				err := m.get(ctx, token, "/API/rest/v1/hardware/"+url.PathEscape(hw[i].ID)+"/hardwareDriverSettings", maxItemBody, &doc)
				if err != nil {
					mu.Lock()
					if firstEr == nil {
						firstEr = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				s := doc.Data
				if s == nil && len(doc.Array) > 0 {
					s = &doc.Array[0]
				}
				if s == nil {
					continue
				}
				if mac, err := inventory.NormalizeMAC(s.Settings.MACAddress); err == nil {
					hw[i].MAC = mac
				}
				hw[i].Serial, hw[i].Model = s.Settings.SerialNumber, s.Settings.DetectedModelName
			}
		}()
	}
	for i := range hw {
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	if firstEr != nil {
		return firstEr
	}
	return ctx.Err()
}

type driverSettings struct {
	Settings struct {
		MACAddress        string `json:"macAddress"`
		SerialNumber      string `json:"serialNumber"`
		DetectedModelName string `json:"detectedModelName"`
	} `json:"hardwareDriverSettings"`
}

// secret holds a client secret or password: every way Go prints it yields
// "[redacted]", so one that slips into a log line leaks nothing.
type secret struct{ value string }

func (s secret) isZero() bool                 { return s.value == "" }
func (s secret) String() string               { return "[redacted]" }
func (s secret) GoString() string             { return "[redacted]" }
func (s secret) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte("[redacted]")) }
func (s secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

func (s *secret) UnmarshalYAML(n *yaml.Node) error { return n.Decode(&s.value) }

// ClientCredentials are an OAuth client's credentials given in code (the
// demo's fake VMS); a deployment reads them with LoadCredentials.
func ClientCredentials(id, secretValue string) Credentials {
	return Credentials{ClientID: id, ClientSecret: secret{secretValue}}
}
