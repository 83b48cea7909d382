package scantest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"time"
)

// Placeholders a persona's strings may carry. The static ones are filled in
// once per host (Vars.Expand) so that seven hosts can play one Dahua model
// with seven serials; the dynamic ones are filled in per answer because real
// devices hand out a fresh nonce and the current date every time.
const (
	varSerial = "{{serial}}"  // the host's serial
	varMAC    = "{{mac}}"     // 44:19:b6:0a:0b:0c
	varMACUp  = "{{MAC}}"     // 44:19:B6:0A:0B:0C
	varMACHex = "{{mac_hex}}" // 4419b60a0b0c (Hikvision RTSP realms, Dahua DHIP)
	varMACHx  = "{{MAC_HEX}}" // 4419B60A0B0C (Axis realms: AXIS_<MAC>)
	varIP     = "{{ip}}"      // the host's address
	varNonce  = "{{nonce}}"   // 32 random hex digits, per answer
	varDate   = "{{date}}"    // HTTP date, per answer
)

var placeholderRE = regexp.MustCompile(`\{\{[^}]*\}\}`)

var knownPlaceholders = map[string]bool{
	varSerial: true, varMAC: true, varMACUp: true, varMACHex: true,
	varMACHx: true, varIP: true, varNonce: true, varDate: true,
}

// Vars is one host's identity, substituted into its persona.
type Vars struct {
	Serial string
	MAC    string // lower-case colon form
	IP     netip.Addr
}

// checkPlaceholders reports the first unknown {{...}} in s, so a typo in a
// persona file fails at load time rather than reaching the wire.
func checkPlaceholders(s string) error {
	for _, m := range placeholderRE.FindAllString(s, -1) {
		if !knownPlaceholders[m] {
			return fmt.Errorf("unknown placeholder %s (want one of {{serial}} {{mac}} {{MAC}} {{mac_hex}} {{MAC_HEX}} {{ip}} {{nonce}} {{date}})", m)
		}
	}
	return nil
}

// Expand returns a deep copy of p with the static placeholders replaced in
// every string it holds. Dynamic ones ({{nonce}}, {{date}}) are left for
// expandDynamic.
func (v Vars) Expand(p Persona) Persona {
	out := reflect.New(reflect.TypeOf(p)).Elem()
	out.Set(deepReplace(reflect.ValueOf(p), v.replacer()))
	return out.Interface().(Persona)
}

func (v Vars) expandString(s string) string { return v.replacer().Replace(s) }

func (v Vars) replacer() *strings.Replacer {
	hex := strings.ReplaceAll(v.MAC, ":", "")
	ip := ""
	if v.IP.IsValid() {
		ip = v.IP.String()
	}
	return strings.NewReplacer(
		varSerial, v.Serial,
		varMAC, strings.ToLower(v.MAC),
		varMACUp, strings.ToUpper(v.MAC),
		varMACHex, strings.ToLower(hex),
		varMACHx, strings.ToUpper(hex),
		varIP, ip,
	)
}

// deepReplace copies v, replacing placeholders in every string. Personas are
// plain data (structs, pointers, slices, arrays, strings, numbers), which is
// all this has to handle.
func deepReplace(v reflect.Value, r *strings.Replacer) reflect.Value {
	switch v.Kind() {
	case reflect.String:
		return reflect.ValueOf(r.Replace(v.String())).Convert(v.Type())
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(deepReplace(v.Elem(), r))
		return p
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			if out.Field(i).CanSet() {
				out.Field(i).Set(deepReplace(v.Field(i), r))
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(deepReplace(v.Index(i), r))
		}
		return out
	case reflect.Array:
		out := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			out.Index(i).Set(deepReplace(v.Index(i), r))
		}
		return out
	default:
		return v
	}
}

// expandDynamic fills the per-answer placeholders.
func expandDynamic(s string, now time.Time) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	s = strings.ReplaceAll(s, varDate, now.UTC().Format(http.TimeFormat))
	for strings.Contains(s, varNonce) {
		s = strings.Replace(s, varNonce, newNonce(), 1)
	}
	return s
}

func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}

// visitStrings calls fn with every string reachable from v.
func visitStrings(v reflect.Value, fn func(string)) {
	switch v.Kind() {
	case reflect.String:
		fn(v.String())
	case reflect.Pointer:
		if !v.IsNil() {
			visitStrings(v.Elem(), fn)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			visitStrings(v.Field(i), fn)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			visitStrings(v.Index(i), fn)
		}
	}
}
