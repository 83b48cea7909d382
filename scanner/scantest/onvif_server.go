package scantest

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// ONVIFPath is where a persona serves its ONVIF device service.
const ONVIFPath = "/onvif/device_service"

// tokenWindow is how far a WS-UsernameToken's Created may stray from the
// device clock, as cameras commonly allow.
const tokenWindow = 5 * time.Minute

// ONVIFHandler plays an ONVIF device service (SOAP 1.2 over HTTP POST). Its
// clock is now() shifted by the persona's ClockSkew; a persona with a
// Username requires, on every call but GetSystemDateAndTime, a
// WS-UsernameToken checked against that clock, or HTTP Digest when
// AuthDigest is set.
type ONVIFHandler struct {
	P     *ONVIFService
	MAC   string
	Now   func() time.Time
	nonce string
}

// NewONVIFHandler returns the handler for one persona.
func NewONVIFHandler(p *ONVIFService, mac string, now func() time.Time) *ONVIFHandler {
	if now == nil {
		now = time.Now
	}
	return &ONVIFHandler{P: p, MAC: mac, Now: now, nonce: newNonce()}
}

// soapRequest is the part of a request envelope the handler reads.
type soapRequest struct {
	Header struct {
		Security struct {
			UsernameToken struct {
				Username string `xml:"Username"`
				Password struct {
					Type  string `xml:"Type,attr"`
					Value string `xml:",chardata"`
				} `xml:"Password"`
				Nonce   string `xml:"Nonce"`
				Created string `xml:"Created"`
			} `xml:"UsernameToken"`
		} `xml:"Security"`
	} `xml:"Header"`
	Body struct {
		Op struct {
			XMLName xml.Name
		} `xml:",any"`
	} `xml:"Body"`
}

func (o *ONVIFHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return
	}
	var req soapRequest
	if err := xml.Unmarshal(raw, &req); err != nil {
		o.fault(w, http.StatusBadRequest, "env:Sender", "ter:WellFormed", "malformed request")
		return
	}
	op := req.Body.Op.XMLName.Local
	devNow := o.Now().Add(o.P.ClockSkew).UTC()
	if op != "GetSystemDateAndTime" && o.P.Username != "" {
		if o.P.AuthDigest {
			if !o.digestOK(r) {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm="%s", qop="auth", nonce="%s", algorithm=MD5`, o.realm(), o.nonce))
				o.fault(w, http.StatusUnauthorized, "env:Sender", "ter:NotAuthorized", "digest authentication required")
				return
			}
		} else if !o.tokenOK(req, devNow) {
			o.fault(w, http.StatusBadRequest, "env:Sender", "ter:NotAuthorized", "the action requested requires authorization")
			return
		}
	}
	var body string
	switch op {
	case "GetSystemDateAndTime":
		body = fmt.Sprintf(`<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>`+
			`<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>`+
			`<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>`+
			`<tt:UTCDateTime><tt:Time><tt:Hour>%d</tt:Hour><tt:Minute>%d</tt:Minute><tt:Second>%d</tt:Second></tt:Time>`+
			`<tt:Date><tt:Year>%d</tt:Year><tt:Month>%d</tt:Month><tt:Day>%d</tt:Day></tt:Date></tt:UTCDateTime>`+
			`</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`,
			devNow.Hour(), devNow.Minute(), devNow.Second(), devNow.Year(), int(devNow.Month()), devNow.Day())
	case "GetDeviceInformation":
		body = `<tds:GetDeviceInformationResponse>` +
			el("tds:Manufacturer", o.P.Manufacturer) + el("tds:Model", o.P.Model) +
			el("tds:FirmwareVersion", o.P.Firmware) + el("tds:SerialNumber", o.P.Serial) +
			el("tds:HardwareId", o.P.HardwareID) + `</tds:GetDeviceInformationResponse>`
	case "GetNetworkInterfaces":
		body = `<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0">` +
			`<tt:Enabled>true</tt:Enabled><tt:Info><tt:Name>eth0</tt:Name>` + el("tt:HwAddress", o.MAC) +
			`<tt:MTU>1500</tt:MTU></tt:Info></tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>`
	case "GetScopes":
		var b strings.Builder
		b.WriteString(`<tds:GetScopesResponse>`)
		for _, s := range o.P.Scopes {
			b.WriteString(`<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef>` + el("tt:ScopeItem", s) + `</tds:Scopes>`)
		}
		b.WriteString(`</tds:GetScopesResponse>`)
		body = b.String()
	default:
		o.fault(w, http.StatusBadRequest, "env:Receiver", "ter:ActionNotSupported", "optional action not implemented")
		return
	}
	o.write(w, http.StatusOK, body)
}

// tokenOK checks a WS-UsernameToken PasswordDigest against the device clock.
func (o *ONVIFHandler) tokenOK(req soapRequest, devNow time.Time) bool {
	t := req.Header.Security.UsernameToken
	if t.Username != o.P.Username || t.Created == "" || t.Nonce == "" {
		return false
	}
	created, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(t.Created))
	if err != nil || created.Sub(devNow).Abs() > tokenWindow {
		return false
	}
	nonce, err := base64.StdEncoding.DecodeString(strings.TrimSpace(t.Nonce))
	if err != nil {
		return false
	}
	h := sha1.New()
	h.Write(nonce)
	h.Write([]byte(strings.TrimSpace(t.Created)))
	h.Write([]byte(o.P.Password))
	want := base64.StdEncoding.EncodeToString(h.Sum(nil))
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.TrimSpace(t.Password.Value))) == 1
}

func (o *ONVIFHandler) realm() string { return "ONVIF " + o.P.Model }

// digestOK checks an RFC 7616 Digest (MD5, qop=auth) Authorization header.
func (o *ONVIFHandler) digestOK(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return false
	}
	p := parseAuthParams(rest)
	if p["username"] != o.P.Username || p["nonce"] != o.nonce || p["realm"] != o.realm() {
		return false
	}
	md := func(s string) string { s2 := md5.Sum([]byte(s)); return hex.EncodeToString(s2[:]) }
	ha1 := md(o.P.Username + ":" + o.realm() + ":" + o.P.Password)
	ha2 := md(r.Method + ":" + p["uri"])
	want := md(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":" + p["qop"] + ":" + ha2)
	return p["qop"] == "auth" && subtle.ConstantTimeCompare([]byte(want), []byte(p["response"])) == 1
}

// parseAuthParams splits k=v, k="v" pairs of an auth header.
func parseAuthParams(s string) map[string]string {
	out := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimLeft(strings.TrimSpace(s), ",") {
		s = strings.TrimSpace(s)
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		rest = strings.TrimSpace(rest)
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				break
			}
			v, s = rest[1:1+end], rest[2+end:]
		} else {
			v, s, _ = strings.Cut(rest, ",")
			v = strings.TrimSpace(v)
		}
		out[k] = v
	}
	return out
}

func (o *ONVIFHandler) fault(w http.ResponseWriter, status int, code, sub, reason string) {
	o.write(w, status, `<env:Fault><env:Code><env:Value>`+code+`</env:Value><env:Subcode><env:Value>`+sub+
		`</env:Value></env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">`+reason+`</env:Text></env:Reason></env:Fault>`)
}

func (o *ONVIFHandler) write(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", `application/soap+xml; charset=utf-8`)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"`+
		` xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"`+
		` xmlns:ter="http://www.onvif.org/ver10/error"><env:Body>`+body+`</env:Body></env:Envelope>`)
}

// el is an element with escaped text.
func el(name, text string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(text))
	return "<" + name + ">" + b.String() + "</" + name + ">"
}

// mountONVIF is the Network seam: the device service on the host's HTTP mux.
func mountONVIF(mux *http.ServeMux, h *Host) {
	mux.Handle(ONVIFPath, NewONVIFHandler(h.Persona.ONVIF, h.MAC(), nil))
}
