package probe

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"strings"
	"time"
)

type onvifAuthMode int

const (
	authNone onvifAuthMode = iota
	authWSToken
	authDigest
)

// onvifClient talks to one device service and remembers which
// authentication the device accepted, so later calls use it at once.
type onvifClient struct {
	hc      *http.Client
	url     string
	creds   Credentials
	now     func() time.Time
	timeout time.Duration
	// offset is the device clock minus ours; tokens are stamped with
	// our clock plus offset so a camera hours off still accepts them.
	offset    time.Duration
	mode      onvifAuthMode
	denied    bool
	challenge map[string]string // the device's Digest challenge, when it sent one
	nc        int
}

// callResult is what one SOAP call returned.
type callResult struct {
	status       int
	unauthorized bool
	mid          time.Time // our clock halfway through the call
}

// call sends req and decodes the answer into out. With auth it escalates
// from anonymous to WS-UsernameToken to Digest as the device refuses, but
// only with configured credentials; without them a refusal is the answer.
func (c *onvifClient) call(ctx context.Context, req, out any, auth bool) (callResult, error) {
	if !auth {
		return c.do(ctx, req, out, authNone)
	}
	if c.denied {
		return callResult{status: http.StatusUnauthorized, unauthorized: true}, nil
	}
	for {
		res, err := c.do(ctx, req, out, c.mode)
		if err != nil || !res.unauthorized {
			return res, err
		}
		next, ok := c.nextMode()
		if !ok {
			c.denied = true
			return res, nil
		}
		c.mode = next
	}
}

func (c *onvifClient) nextMode() (onvifAuthMode, bool) {
	if !c.creds.Valid() {
		return 0, false
	}
	switch c.mode {
	case authNone:
		return authWSToken, true
	case authWSToken:
		if c.challenge != nil {
			return authDigest, true
		}
	}
	return 0, false
}

// authLabel is the onvif.auth evidence value.
func (c *onvifClient) authLabel() string {
	if c.denied {
		return "required"
	}
	switch c.mode {
	case authWSToken:
		return "ws-usernametoken"
	case authDigest:
		return "digest"
	}
	return "none"
}

func (c *onvifClient) do(ctx context.Context, req, out any, mode onvifAuthMode) (callResult, error) {
	ctx, cancel := withTimeout(ctx, c.timeout)
	defer cancel()
	body, err := xml.Marshal(req)
	if err != nil {
		return callResult{}, fmt.Errorf("scanner: onvif: marshal: %w", err)
	}
	var header string
	if mode == authWSToken {
		header = c.usernameToken()
	}
	env := `<?xml version="1.0" encoding="UTF-8"?>` +
		`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"` +
		` xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">` +
		`<s:Header>` + header + `</s:Header><s:Body>` + string(body) + `</s:Body></s:Envelope>`
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, strings.NewReader(env))
	if err != nil {
		return callResult{}, fmt.Errorf("scanner: onvif: request: %w", err)
	}
	hreq.Header.Set("Content-Type", `application/soap+xml; charset=utf-8`)
	if mode == authDigest {
		hreq.Header.Set("Authorization", c.digestAuthorization(hreq))
	}
	start := c.now()
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return callResult{}, fmt.Errorf("scanner: onvif: post: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	res := callResult{status: resp.StatusCode}
	res.mid = start.Add(c.now().Sub(start) / 2)
	if ch := digestChallenge(resp.Header); ch != nil {
		c.challenge = ch
	}
	fault, err := readSOAP(resp.Body, out)
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		res.unauthorized = true
		return res, nil
	}
	if err != nil {
		return res, err
	}
	if fault != "" {
		if isAuthFault(fault) {
			res.unauthorized = true
		}
		if res.status == http.StatusOK {
			res.status = http.StatusInternalServerError
		}
	}
	return res, nil
}

// isAuthFault tells an authentication fault (ONVIF ter:NotAuthorized,
// WS-Security wsse:FailedAuthentication and kin) from any other fault.
func isAuthFault(code string) bool {
	for _, s := range []string{"NotAuthorized", "FailedAuthentication", "InvalidSecurity", "SecurityTokenUnavailable"} {
		if strings.Contains(code, s) {
			return true
		}
	}
	return false
}

// usernameToken is a WS-Security UsernameToken with PasswordDigest =
// base64(sha1(nonce + created + password)), Created on the device's clock.
func (c *onvifClient) usernameToken() string {
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	created := c.now().Add(c.offset).UTC().Format("2006-01-02T15:04:05.000Z")
	h := sha1.New()
	h.Write(nonce[:])
	h.Write([]byte(created))
	h.Write([]byte(c.creds.Password.Reveal()))
	var user bytes.Buffer
	_ = xml.EscapeText(&user, []byte(c.creds.Username))
	return `<wsse:Security s:mustUnderstand="1"` +
		` xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"` +
		` xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">` +
		`<wsse:UsernameToken><wsse:Username>` + user.String() + `</wsse:Username>` +
		`<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">` +
		base64.StdEncoding.EncodeToString(h.Sum(nil)) + `</wsse:Password>` +
		`<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">` +
		base64.StdEncoding.EncodeToString(nonce[:]) + `</wsse:Nonce>` +
		`<wsu:Created>` + created + `</wsu:Created></wsse:UsernameToken></wsse:Security>`
}

// digestAuthorization answers the device's RFC 7616 challenge (MD5 or
// SHA-256, qop=auth or none).
func (c *onvifClient) digestAuthorization(r *http.Request) string {
	ch := c.challenge
	var newHash func() hash.Hash
	alg := ch["algorithm"]
	switch strings.ToUpper(alg) {
	case "SHA-256":
		newHash = sha256.New
	default:
		newHash, alg = md5.New, "MD5"
	}
	hx := func(s string) string { h := newHash(); h.Write([]byte(s)); return hex.EncodeToString(h.Sum(nil)) }
	uri := r.URL.RequestURI()
	ha1 := hx(c.creds.Username + ":" + ch["realm"] + ":" + c.creds.Password.Reveal())
	ha2 := hx(r.Method + ":" + uri)
	q := func(s string) string { return strings.ReplaceAll(s, `"`, `\"`) }
	parts := []string{
		`username="` + q(c.creds.Username) + `"`, `realm="` + q(ch["realm"]) + `"`,
		`nonce="` + q(ch["nonce"]) + `"`, `uri="` + q(uri) + `"`, `algorithm=` + alg,
	}
	if qopOffered(ch["qop"], "auth") {
		c.nc++
		var cn [8]byte
		_, _ = rand.Read(cn[:])
		cnonce := hex.EncodeToString(cn[:])
		nc := fmt.Sprintf("%08x", c.nc)
		parts = append(parts, `qop=auth`, `nc=`+nc, `cnonce="`+cnonce+`"`,
			`response="`+hx(ha1+":"+ch["nonce"]+":"+nc+":"+cnonce+":auth:"+ha2)+`"`)
	} else {
		parts = append(parts, `response="`+hx(ha1+":"+ch["nonce"]+":"+ha2)+`"`)
	}
	if op, ok := ch["opaque"]; ok {
		parts = append(parts, `opaque="`+q(op)+`"`)
	}
	return "Digest " + strings.Join(parts, ", ")
}

func qopOffered(list, want string) bool {
	for _, q := range strings.Split(list, ",") {
		if strings.TrimSpace(q) == want {
			return true
		}
	}
	return false
}

// digestChallenge returns the parameters of the first Digest challenge in
// any of the answer's WWW-Authenticate headers, nil when there is none.
// Cameras often offer Basic before Digest, in one header or in two.
func digestChallenge(h http.Header) map[string]string {
	for _, v := range h.Values("Www-Authenticate") {
		for _, c := range parseChallenges(v) {
			if strings.EqualFold(c.Scheme, "Digest") {
				return c.Params
			}
		}
	}
	return nil
}

// redactURLError drops the URL from a transport error: it holds nothing
// secret today, but an XAddr could carry userinfo, and errors reach logs.
func redactURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
