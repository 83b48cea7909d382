package scantest

import (
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// Persona is a fake device: what it answers on each protocol. Personas are
// data (personas/*.yaml) so the same strings can serve as fingerprint rule
// examples. The scanner never sees Truth; only tests and benchmarks score
// verdicts against it.
type Persona struct {
	Name  string `yaml:"name"`
	Truth Truth  `yaml:"truth"`
	// MAC is the address the persona uses in the namespace lab (a real OUI of
	// the maker it plays). On loopback it is reported only through protocols
	// that carry it in their payload (ONVIF, SADP, DHIP, WS-Discovery scopes).
	MAC string `yaml:"mac"`
	// Serial is the persona's default serial number. Strings in the persona
	// may say {{serial}} and {{mac}} (see Vars); a HostSpec overrides both so
	// that many hosts can play one persona with distinct identities.
	Serial string `yaml:"serial"`

	HTTP  *HTTPService  `yaml:"http"`
	HTTPS *HTTPSService `yaml:"https"`
	RTSP  *RTSPService  `yaml:"rtsp"`
	ONVIF *ONVIFService `yaml:"onvif"`
	SADP  *SADPService  `yaml:"sadp"`
	DHIP  *DHIPService  `yaml:"dhip"`
	UPnP  *UPnPService  `yaml:"upnp"`
	MDNS  []MDNSService `yaml:"mdns"`

	// ExtraTCP lists services that only accept connections and say nothing
	// (a vendor SDK port such as Hikvision 8000 or Dahua 37777), by name.
	ExtraTCP []string `yaml:"extra_tcp"`

	// Hostile makes the persona misbehave on every TCP service:
	// "silent" (accepts, never answers), "endless-body", "giant-headers",
	// "rtsp-garbage", "reset" (RST on connect), "slow" (answers after a delay).
	Hostile string `yaml:"hostile"`
	// HostileDelay is how long a "slow" persona waits before each answer
	// (default 3s), so tests can make it shorter than the scanner's timeout.
	HostileDelay time.Duration `yaml:"hostile_delay"`
}

// Truth is what the persona is, for scoring only.
type Truth struct {
	Class        evidence.Class `yaml:"class"` // camera, recorder, other
	Brand        string         `yaml:"brand"`
	Manufacturer string         `yaml:"manufacturer"`
	Model        string         `yaml:"model"`
}

// HTTPService answers HTTP requests from a table of routes; a request that
// matches no route gets NotFound.
type HTTPService struct {
	Routes   []Route `yaml:"routes"`
	NotFound *Route  `yaml:"not_found"`
}

// Route is one canned answer. Headers keep their order as real servers send
// them; Body may be large, BodyFile names an embedded file instead (favicons).
type Route struct {
	Method   string      `yaml:"method"` // GET when empty
	Path     string      `yaml:"path"`   // exact path, query included when it matters
	Status   int         `yaml:"status"`
	Headers  [][2]string `yaml:"headers"`
	Body     string      `yaml:"body"`
	BodyFile string      `yaml:"body_file"`
}

// HTTPSService is HTTPService behind TLS with a self-signed certificate
// carrying the subject and issuer fields the real device uses.
type HTTPSService struct {
	HTTPService `yaml:",inline"`
	Cert        CertSpec `yaml:"cert"`
}

// CertSpec describes the persona's self-signed certificate.
type CertSpec struct {
	CommonName   string   `yaml:"common_name"`
	Organization string   `yaml:"organization"`
	OrgUnit      string   `yaml:"org_unit"`
	Country      string   `yaml:"country"`
	IssuerCN     string   `yaml:"issuer_cn"` // empty: self-issued with the subject
	DNSNames     []string `yaml:"dns_names"`
}

// RTSPService answers OPTIONS and DESCRIBE.
type RTSPService struct {
	// OptionsStatus is the status OPTIONS gets (200 when zero); Hanwha
	// answers 400 to an OPTIONS without a stream path.
	OptionsStatus int         `yaml:"options_status"`
	Server        string      `yaml:"server"`
	Public        string      `yaml:"public"`
	Describe      RTSPAnswer  `yaml:"describe"`
	Extra         [][2]string `yaml:"extra_headers"`
}

// RTSPAnswer is the canned DESCRIBE answer (usually 401 with a realm).
type RTSPAnswer struct {
	Status          int    `yaml:"status"`
	WWWAuthenticate string `yaml:"www_authenticate"`
	SDP             string `yaml:"sdp"`
}

// ONVIFService plays an ONVIF device service at /onvif/device_service and
// answers WS-Discovery probes.
type ONVIFService struct {
	Manufacturer string   `yaml:"manufacturer"`
	Model        string   `yaml:"model"`
	Firmware     string   `yaml:"firmware"`
	Serial       string   `yaml:"serial"`
	HardwareID   string   `yaml:"hardware_id"`
	Scopes       []string `yaml:"scopes"`
	Types        string   `yaml:"types"` // e.g. "dn:NetworkVideoTransmitter tds:Device"
	// Username and Password, when set, make every call but
	// GetSystemDateAndTime require WS-UsernameToken (or Digest with AuthDigest).
	Username   string `yaml:"username"`
	Password   string `yaml:"password"`
	AuthDigest bool   `yaml:"auth_digest"`
	// ClockSkew shifts the device clock; tokens are checked against it.
	ClockSkew time.Duration `yaml:"clock_skew"`
	// NoLineBreaks: answers only WS-Discovery probes sent without line breaks.
	NoLineBreaks bool `yaml:"no_line_breaks"`
}

// SADPService answers Hikvision SADP inquiries.
type SADPService struct {
	DeviceType  string `yaml:"device_type"`
	Description string `yaml:"description"` // model
	Serial      string `yaml:"serial"`
	Firmware    string `yaml:"firmware"`
	DSPVersion  string `yaml:"dsp_version"`
}

// DHIPService answers Dahua DHIP discovery.
type DHIPService struct {
	DeviceClass string `yaml:"device_class"`
	DeviceType  string `yaml:"device_type"` // model
	Serial      string `yaml:"serial"`
	Vendor      string `yaml:"vendor"`
	Version     string `yaml:"version"`
}

// UPnPService answers SSDP M-SEARCH and serves a device description.
type UPnPService struct {
	Server       string `yaml:"server"`
	DeviceType   string `yaml:"device_type"`
	FriendlyName string `yaml:"friendly_name"`
	Manufacturer string `yaml:"manufacturer"`
	ModelName    string `yaml:"model_name"`
	ModelNumber  string `yaml:"model_number"`
	Serial       string `yaml:"serial"`
	UDN          string `yaml:"udn"`
}

// MDNSService is one DNS-SD service the persona advertises.
type MDNSService struct {
	Service  string   `yaml:"service"` // e.g. "_axis-video._tcp"
	Instance string   `yaml:"instance"`
	Port     uint16   `yaml:"port"` // the port the SRV record names, as on the real device
	TXT      []string `yaml:"txt"`
	// Host is the SRV target without ".local" (e.g. "axis-{{mac_hex}}");
	// empty: "device-" and the MAC in hex.
	Host string `yaml:"host"`
}
