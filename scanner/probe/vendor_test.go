package probe

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/rs/zerolog"
)

// Answers modelled on what the public record shows the devices send.
const (
	hikDeviceInfo = `<?xml version="1.0" encoding="UTF-8"?>
<DeviceInfo version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">
<deviceName>IP CAMERA</deviceName>
<deviceID>88</deviceID>
<deviceDescription>IPCamera</deviceDescription>
<deviceLocation>hangzhou</deviceLocation>
<systemContact>Hikvision.China</systemContact>
<model>DS-2CD2143G2-I</model>
<serialNumber>DS-2CD2143G2-I20230101AAWRJ12345678</serialNumber>
<macAddress>44:19:b6:aa:bb:cc</macAddress>
<firmwareVersion>V5.7.3</firmwareVersion>
<firmwareReleasedDate>build 220112</firmwareReleasedDate>
<deviceType>IPCamera</deviceType>
</DeviceInfo>`
	isapiOrgDeviceInfo = `<?xml version="1.0" encoding="GB2312"?><DeviceInfo xmlns="http://www.isapi.org/ver20/XMLSchema" version="2.0"><deviceName>NVR</deviceName><model>DS-7608NI-K2</model><serialNumber>DS-7608NI-K20820200101CCRRE12345678WCVU</serialNumber><macAddress>C0-56-E3-11-22-33</macAddress><firmwareVersion>V4.30.085</firmwareVersion><deviceType>NVR</deviceType></DeviceInfo>`
	dahuaChallengeJSON = `{ "error" : { "code" : 268632079, "message" : "Component error: login challenge!" }, "id" : 1, "params" : { "encryption" : "Default", "mac" : "3CEF8C112233", "random" : "1234567890", "realm" : "Login to 4K0A1B2PAZ12345" }, "result" : false, "session" : "abcdef0123456789" }`
	reolinkLocked      = `[ { "cmd" : "GetDevInfo", "code" : 1, "error" : { "detail" : "please login first", "rspCode" : -6 } } ]`
	reolinkOpen        = `[{"cmd":"GetDevInfo","code":0,"value":{"DevInfo":{"model":"RLC-410","firmVer":"v2.0.0.1055_17110905_v1.0.0.30","serial":"00000000000000","hardVer":"IPC_3816M","name":"Front"}}}]`
)

func TestParseISAPIDeviceInfo(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    isapiDeviceInfo
		wantErr bool
	}{
		{name: "hikvision namespace", in: hikDeviceInfo, want: isapiDeviceInfo{DeviceName: "IP CAMERA", DeviceID: "88", Model: "DS-2CD2143G2-I", SerialNumber: "DS-2CD2143G2-I20230101AAWRJ12345678", MacAddress: "44:19:b6:aa:bb:cc", FirmwareVersion: "V5.7.3", DeviceType: "IPCamera"}},
		{name: "isapi.org namespace, foreign charset", in: isapiOrgDeviceInfo, want: isapiDeviceInfo{DeviceName: "NVR", Model: "DS-7608NI-K2", SerialNumber: "DS-7608NI-K20820200101CCRRE12345678WCVU", MacAddress: "C0-56-E3-11-22-33", FirmwareVersion: "V4.30.085", DeviceType: "NVR"}},
		{name: "error document", in: `<?xml version="1.0" encoding="UTF-8"?><ResponseStatus version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema"><statusCode>4</statusCode><statusString>Invalid Operation</statusString></ResponseStatus>`, wantErr: true},
		{name: "html login page", in: `<html><head><title>Login</title></head></html>`, wantErr: true},
		{name: "empty", in: ``, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseISAPIDeviceInfo([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			got.XMLName = tc.want.XMLName
			if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseDahuaChallenge(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    dahuaChallenge
		wantErr bool
	}{
		{name: "challenge", in: dahuaChallengeJSON, want: dahuaChallenge{Realm: "Login to 4K0A1B2PAZ12345", Serial: "4K0A1B2PAZ12345", Encryption: "Default", MAC: "3c:ef:8c:11:22:33"}},
		{name: "realm without serial", in: `{"params":{"realm":"DH_00408CA5EA04","encryption":"Basic"},"result":false}`, want: dahuaChallenge{Realm: "DH_00408CA5EA04", Encryption: "Basic"}},
		{name: "odd mac is dropped", in: `{"params":{"realm":"Login to ABC","mac":"zz"}}`, want: dahuaChallenge{Realm: "Login to ABC", Serial: "ABC"}},
		{name: "no realm", in: `{"result":false,"params":null}`, wantErr: true},
		{name: "not json", in: `<html>404</html>`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDahuaChallenge([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseReolinkAnswer(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    reolinkAnswer
		wantErr bool
	}{
		{name: "login required", in: reolinkLocked, want: reolinkAnswer{Code: "-6", Detail: "please login first"}},
		{name: "device info", in: reolinkOpen, want: reolinkAnswer{Code: "0", Model: "RLC-410", Firmware: "v2.0.0.1055_17110905_v1.0.0.30", Serial: "00000000000000"}},
		{name: "bare object", in: `{"cmd":"GetDevInfo","code":1,"error":{"detail":"please login first","rspCode":"-6"}}`, want: reolinkAnswer{Code: "-6", Detail: "please login first"}},
		{name: "other api's json", in: `[{"code":0}]`, wantErr: true},
		{name: "html", in: `<html>Not Found</html>`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseReolinkAnswer([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// vendorWeb is a fake device web server that records request methods,
// paths and bodies, so tests can check what the vendor probes send.
type vendorWeb struct {
	routes map[string]route // "METHOD /path?query"
	mu     sync.Mutex
	seen   []string
	bodies []string
}

func (v *vendorWeb) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	key := r.Method + " " + r.URL.RequestURI()
	v.mu.Lock()
	v.seen = append(v.seen, key)
	v.bodies = append(v.bodies, string(b))
	v.mu.Unlock()
	answer(w, r, v.routes, key)
}

func TestVendorProbes(t *testing.T) {
	log := zerolog.Nop()
	tests := []struct {
		name   string
		prober scanner.Prober
		routes map[string]route
		want   map[string][]string
	}{
		{
			name:   "isapi locked",
			prober: NewISAPIProber(log),
			routes: map[string]route{"GET /ISAPI/System/deviceInfo": {401, [][2]string{{"WWW-Authenticate", `Digest qop="auth", realm="IP Camera(C6253)", nonce="4e57", stale="FALSE"`}}, ""}},
			want:   map[string][]string{"isapi.status": {"401"}, "isapi.realm": {"IP Camera(C6253)"}},
		},
		{
			name:   "isapi open",
			prober: NewISAPIProber(log),
			routes: map[string]route{"GET /ISAPI/System/deviceInfo": {200, [][2]string{{"Content-Type", "application/xml"}}, hikDeviceInfo}},
			want: map[string][]string{
				"isapi.status": {"200"}, "isapi.model": {"DS-2CD2143G2-I"}, "isapi.serial": {"DS-2CD2143G2-I20230101AAWRJ12345678"},
				"isapi.firmware": {"V5.7.3"}, "isapi.mac": {"44:19:b6:aa:bb:cc"}, "isapi.device_type": {"IPCamera"}, "isapi.device_name": {"IP CAMERA"},
			},
		},
		{
			name:   "isapi on a non-hikvision device",
			prober: NewISAPIProber(log),
			routes: map[string]route{},
			want:   map[string][]string{"isapi.status": {"404"}, "isapi.model": nil},
		},
		{
			name:   "dahua challenge",
			prober: NewDahuaProber(log),
			routes: map[string]route{"POST /RPC2_Login": {200, [][2]string{{"Content-Type", "application/json"}}, dahuaChallengeJSON}},
			want: map[string][]string{
				"dahua.rpc2.realm": {"Login to 4K0A1B2PAZ12345"}, "dahua.rpc2.serial": {"4K0A1B2PAZ12345"},
				"dahua.rpc2.encryption": {"Default"}, "mac": {"3c:ef:8c:11:22:33"},
			},
		},
		{
			name:   "dahua probe on a non-dahua device",
			prober: NewDahuaProber(log),
			routes: map[string]route{},
			want:   map[string][]string{"dahua.rpc2.realm": nil},
		},
		{
			name:   "reolink locked",
			prober: NewReolinkProber(log),
			routes: map[string]route{"GET /api.cgi?cmd=GetDevInfo": {200, nil, reolinkLocked}},
			want:   map[string][]string{"reolink.api.code": {"-6"}, "reolink.api.detail": {"please login first"}, "reolink.model": nil},
		},
		{
			name:   "reolink open",
			prober: NewReolinkProber(log),
			routes: map[string]route{"GET /api.cgi?cmd=GetDevInfo": {200, nil, reolinkOpen}},
			want:   map[string][]string{"reolink.api.code": {"0"}, "reolink.model": {"RLC-410"}, "reolink.serial": {"00000000000000"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			web := &vendorWeb{routes: tc.routes}
			srv := httptest.NewServer(web)
			defer srv.Close()
			tg := bannerTarget(t, "http", srv.Listener.Addr().String())
			c := probeWithin(t, tc.prober, tg, 10*time.Second)
			for field, want := range tc.want {
				if got := c.values(field); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			web.mu.Lock()
			defer web.mu.Unlock()
			if len(web.seen) != 1 {
				t.Errorf("requests = %q, want exactly one", web.seen)
			}
			for i, key := range web.seen {
				if strings.HasPrefix(key, "POST ") {
					checkDahuaFirstStepOnly(t, web.bodies[i])
				}
			}
			checkDialsStayOnTarget(t, tg)
		})
	}
}

// checkDahuaFirstStepOnly asserts that the only POST is the challenge
// request: global.login with an empty password, never a login.
func checkDahuaFirstStepOnly(t *testing.T, body string) {
	t.Helper()
	var req struct {
		Method string `json:"method"`
		Params struct {
			Password *string `json:"password"`
		} `json:"params"`
	}
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatalf("POST body %q: %v", body, err)
	}
	if req.Method != "global.login" || req.Params.Password == nil || *req.Params.Password != "" {
		t.Errorf("POST body %q is not the password-less first step", body)
	}
}

// The vendor probes move on to the next web port only while the answers
// are not the vendor's; after a real answer they stop.
func TestVendorProbeStopsAfterAnswer(t *testing.T) {
	first := &vendorWeb{routes: map[string]route{"GET /api.cgi?cmd=GetDevInfo": {200, nil, reolinkLocked}}}
	second := &vendorWeb{routes: map[string]route{"GET /api.cgi?cmd=GetDevInfo": {200, nil, reolinkLocked}}}
	s1, s2 := httptest.NewServer(first), httptest.NewServer(second)
	defer s1.Close()
	defer s2.Close()
	tg := bannerTarget(t, "http", s1.Listener.Addr().String(), "http", s2.Listener.Addr().String())
	probeWithin(t, NewReolinkProber(zerolog.Nop()), tg, 10*time.Second)
	if len(first.seen) != 1 || len(second.seen) != 0 {
		t.Errorf("requests: first %q, second %q", first.seen, second.seen)
	}
}

func TestVendorProbesHostile(t *testing.T) {
	probers := []scanner.Prober{NewISAPIProber(zerolog.Nop()), NewDahuaProber(zerolog.Nop()), NewReolinkProber(zerolog.Nop())}
	for _, name := range []string{"silent", "endless-body", "giant-headers", "reset"} {
		for _, p := range probers {
			t.Run(name+"/"+p.Name(), func(t *testing.T) {
				addr := bannerServe(t, bannerHostile[name])
				probeWithin(t, p, bannerTarget(t, "http", addr), 2*time.Second)
			})
		}
	}
}

func FuzzParseISAPIDeviceInfo(f *testing.F) {
	f.Add([]byte(hikDeviceInfo))
	f.Add([]byte(isapiOrgDeviceInfo))
	f.Add([]byte(`<DeviceInfo><model>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := parseISAPIDeviceInfo(b)
		if err == nil && info.XMLName.Local != "DeviceInfo" {
			t.Fatalf("accepted root %q", info.XMLName.Local)
		}
	})
}

func FuzzParseDahuaChallenge(f *testing.F) {
	f.Add([]byte(dahuaChallengeJSON))
	f.Add([]byte(`{"params":{"realm":"Login to "}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ch, err := parseDahuaChallenge(b)
		if err == nil && ch.Realm == "" {
			t.Fatal("challenge without realm accepted")
		}
		if strings.ContainsAny(ch.Serial, " \t") {
			t.Fatalf("serial %q has spaces", ch.Serial)
		}
	})
}

func FuzzParseReolinkAnswer(f *testing.F) {
	f.Add([]byte(reolinkLocked))
	f.Add([]byte(reolinkOpen))
	f.Add([]byte(`{"cmd":"GetDevInfo","code":[1]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseReolinkAnswer(b)
	})
}
