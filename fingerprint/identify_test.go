package fingerprint

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// ev builds evidence from field, value pairs.
func ev(kv ...string) []evidence.Evidence {
	var out []evidence.Evidence
	for i := 0; i+1 < len(kv); i += 2 {
		probe, _, _ := strings.Cut(kv[i], ".")
		out = append(out, evidence.Evidence{Probe: probe, Field: kv[i], Value: kv[i+1]})
	}
	return out
}

func engine(t testing.TB) *Engine {
	t.Helper()
	e, err := LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// identifyCases are realistic evidence sets, built from what the public
// record shows such devices send.
var identifyCases = []struct {
	name                              string
	ev                                []evidence.Evidence
	class, brand, manufacturer, model string
	serial                            string
	minConf, maxConf                  float64
	conflicts                         bool
	whyContains                       []string
}{
	{
		name:  "hikvision by banner only",
		ev:    ev("tcp.open", "80", "tcp.open", "554", "http.status", "401", "http.server", "App-webs/", "rtsp.realm", "IP Camera(C1214)"),
		class: "camera", brand: "Hikvision", manufacturer: "Hikvision",
		minConf: 0.7, maxConf: 0.95,
		whyContains: []string{"http.server=App-webs/ -> class video, manufacturer Hikvision (rule hik-http-server-appwebs)"},
	},
	{
		name: "hikvision full: onvif, sadp, isapi, mac",
		ev: ev("mac", "44:47:cc:12:34:56", "http.server", "App-webs/", "onvif.manufacturer", "HIKVISION", "onvif.model", "DS-2CD2143G2-I",
			"onvif.firmware", "V5.7.3 build 220112", "onvif.serial", "DS-2CD2143G2-I20210517AAWRG12345678",
			"sadp.model", "DS-2CD2143G2-I", "sadp.serial", "DS-2CD2143G2-I20210517AAWRG12345678", "wsd.types", "dn:NetworkVideoTransmitter tds:Device"),
		class: "camera", brand: "Hikvision", manufacturer: "Hikvision", model: "DS-2CD2143G2-I", serial: "DS-2CD2143G2-I20210517AAWRG12345678",
		minConf: 0.95, maxConf: 1,
		whyContains: []string{"mac=44:47:cc:12:34:56 -> mac.oui=Hangzhou Hikvision Digital Technology Co.,Ltd. (IEEE registry)"},
	},
	{
		name:  "dahua by RPC2 challenge",
		ev:    ev("http.status", "200", "dahua.rpc2.realm", "Login to 4K01FD2PAJ6E3FF", "dahua.rpc2.serial", "4K01FD2PAJ6E3FF", "dahua.rpc2.encryption", "Default"),
		class: "camera", brand: "Dahua", manufacturer: "Dahua", serial: "4K01FD2PAJ6E3FF",
		minConf: 0.8, maxConf: 1,
	},
	{
		name: "dahua recorder by DHIP",
		ev: ev("dhip.vendor", "General", "dhip.device_class", "NVR", "dhip.model", "DHI-NVR2104HS-S2", "dhip.serial", "6G0ABCDEF123456",
			"dhip.mac", "e0:50:8b:11:22:33", "rtsp.server", "Rtsp Server/3.0"),
		class: "recorder", brand: "Dahua", manufacturer: "Dahua", model: "DHI-NVR2104HS-S2", serial: "6G0ABCDEF123456",
		minConf: 0.9, maxConf: 1,
	},
	{
		// Evidence saved before DeviceClass was reported as dhip.device_class.
		name:  "dahua recorder by DHIP class under its former field name",
		ev:    ev("dhip.vendor", "Dahua", "dhip.device_type", "NVR"),
		class: "recorder", brand: "Dahua", manufacturer: "Dahua",
		minConf: 0.5, maxConf: 1,
	},
	{
		name: "LTS-branded camera with Hikvision firmware",
		ev: ev("onvif.manufacturer", "LTS", "onvif.model", "CMIP3042W-28", "http.server", "App-webs/", "rtsp.realm", "IP Camera(A1234)",
			"wsd.types", "dn:NetworkVideoTransmitter tds:Device"),
		class: "camera", brand: "LTS", manufacturer: "Hikvision", model: "CMIP3042W-28",
		minConf: 0.85, maxConf: 1,
		whyContains: []string{"brand LTS -> manufacturer Hikvision (oem map, share most)"},
	},
	{
		name: "Annke camera by SADP",
		ev: ev("onvif.manufacturer", "ANNKE", "onvif.auth", "required", "onvif.model", "C500", "sadp.model", "C500", "sadp.serial", "C50020200101CCWRE12345678",
			"sadp.firmware", "V5.5.800build 210628"),
		class: "camera", brand: "Annke", manufacturer: "Hikvision", model: "C500",
		minConf: 0.6, maxConf: 1,
	},
	{
		name: "Amcrest is Dahua",
		ev: ev("onvif.manufacturer", "Amcrest", "onvif.model", "IP8M-2496EB-40MM", "rtsp.realm", "Login to AMC0123456789ABCD",
			"dahua.rpc2.realm", "Login to AMC0123456789ABCD", "http.title", "WEB SERVICE", "wsd.types", "dn:NetworkVideoTransmitter"),
		class: "camera", brand: "Amcrest", manufacturer: "Dahua", model: "IP8M-2496EB-40MM", serial: "AMC0123456789ABCD",
		minConf: 0.85, maxConf: 1,
	},
	{
		name:  "Honeywell box, Dahua firmware: brand alone does not decide",
		ev:    ev("onvif.manufacturer", "Honeywell", "dahua.rpc2.realm", "Login to 5F0ABCDEF123456", "wsd.types", "dn:NetworkVideoTransmitter"),
		class: "camera", brand: "Honeywell", manufacturer: "Dahua", serial: "5F0ABCDEF123456",
		minConf: 0.8, maxConf: 1,
		whyContains: []string{"brand Honeywell -> maker not implied"},
	},
	{
		name:  "axis by mDNS and realm",
		ev:    ev("mdns.service", "_axis-video._tcp", "mdns.instance", "AXIS M3046-V - ACCC8E123456", "http.realm", "AXIS_ACCC8E123456", "mac", "ac:cc:8e:12:34:56"),
		class: "camera", brand: "Axis", manufacturer: "Axis", model: "M3046-V",
		minConf: 0.9, maxConf: 1,
	},
	{
		name:  "reolink API",
		ev:    ev("reolink.api.code", "1", "reolink.api.detail", "please login first", "mac", "ec:71:db:00:11:22"),
		class: "camera", brand: "Reolink", manufacturer: "Reolink",
		minConf: 0.7, maxConf: 1,
	},
	{
		name:  "printer is other",
		ev:    ev("http.server", "HP HTTP Server; HP Color LaserJet MFP M477fdw - CF379A", "mdns.service", "_ipp._tcp", "tcp.open", "9100", "mac", "3c:d9:2b:11:22:33"),
		class: "other", minConf: 0.8, maxConf: 1,
	},
	{
		name:  "windows PC is other",
		ev:    ev("tcp.open", "445", "tcp.open", "3389", "hostname", "DESKTOP-4F7K2QX", "dhcp.vendor_class", "MSFT 5.0"),
		class: "other", minConf: 0.6, maxConf: 1,
	},
	{
		name:  "bare nginx is unknown",
		ev:    ev("tcp.open", "80", "http.status", "200", "http.server", "nginx", "http.title", "Welcome to nginx!"),
		class: "unknown", maxConf: 0,
	},
	{
		// An NVR answers WS-Discovery as a NetworkVideoTransmitter with the
		// camera scopes (it re-streams its channels): only the model says
		// recorder, and it must win over the generic video evidence.
		name: "hikvision NVR by its ONVIF scopes",
		ev: ev("wsd.types", "dn:NetworkVideoTransmitter tds:Device", "wsd.scope", "onvif://www.onvif.org/type/video_encoder",
			"wsd.scope", "onvif://www.onvif.org/Profile/Streaming", "wsd.name", "HIKVISION DS-7608NI-K2", "wsd.hardware", "DS-7608NI-K2",
			"onvif.auth", "required", "http.server", "App-webs/", "rtsp.public", "OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER"),
		class: "recorder", brand: "Hikvision", manufacturer: "Hikvision", model: "DS-7608NI-K2",
		minConf: 0.9, maxConf: 1,
	},
	{
		// Profile G is claimed by cameras with edge storage; the name scope
		// is a model here, which names no brand of its own.
		name: "camera with Profile G and a model for a name",
		ev: ev("wsd.types", "dn:NetworkVideoTransmitter tds:Device", "wsd.scope", "onvif://www.onvif.org/Profile/G",
			"wsd.scope", "onvif://www.onvif.org/Profile/T", "wsd.name", "XNV-C8083R", "wsd.hardware", "XNV-C8083R"),
		class: "camera", brand: "Hanwha", manufacturer: "Hanwha", model: "XNV-C8083R",
		minConf: 0.8, maxConf: 1,
		whyContains: []string{"no brand stated -> brand taken as manufacturer Hanwha"},
	},
	{
		name:  "ONVIF alone is a camera",
		ev:    ev("wsd.types", "dn:NetworkVideoTransmitter tds:Device", "onvif.auth", "required", "wsd.name", "Lobby"),
		class: "camera", minConf: 0.3, maxConf: 0.6,
		whyContains: []string{"video device, nothing tells camera from recorder -> class camera"},
	},
	{
		name:  "bare lighttpd is unknown",
		ev:    ev("tcp.open", "443", "http.server", "lighttpd/1.4.59", "tls.subject", "CN=localhost"),
		class: "unknown", maxConf: 0,
	},
	{
		// Behind a router: only the switch saw it, over LLDP. The chassis ID
		// is the MAC, in a block the IEEE assigned Hikvision in 2023.
		name:  "camera known only from the switch's LLDP table",
		ev:    ev("lldp.chassis_id", "04:ee:cd:11:22:33", "lldp.port_id", "eth0"),
		class: "camera", brand: "Hikvision", manufacturer: "Hikvision",
		minConf: 0.1, maxConf: 0.5,
		whyContains: []string{"lldp.chassis_id=04:ee:cd:11:22:33 -> mac.oui=Hangzhou Hikvision Digital Technology Co.,Ltd. (IEEE registry)"},
	},
	{
		name:  "nothing at all",
		ev:    nil,
		class: "unknown", maxConf: 0,
	},
	{
		name: "conflicting makers lower confidence",
		ev: ev("onvif.manufacturer", "AXIS", "onvif.model", "P3245-LVE", "http.server", "App-webs/", "rtsp.realm", "IP Camera(C1214)",
			"mac", "44:47:cc:12:34:56"),
		class: "camera", brand: "Axis", manufacturer: "Axis", model: "P3245-LVE",
		minConf: 0.2, maxConf: 0.7, conflicts: true,
	},
}

func TestIdentify(t *testing.T) {
	e := engine(t)
	for _, tt := range identifyCases {
		t.Run(tt.name, func(t *testing.T) {
			v := e.Identify(tt.ev)
			check := func(what, got, want string) {
				if got != want {
					t.Errorf("%s = %q, want %q\nwhy: %s\nconflicts: %s", what, got, want, strings.Join(v.Why, "\n  "), strings.Join(v.Conflicts, "\n  "))
				}
			}
			check("class", string(v.Class), tt.class)
			check("brand", v.Brand, tt.brand)
			check("manufacturer", v.Manufacturer, tt.manufacturer)
			check("model", v.Model, tt.model)
			if tt.serial != "" {
				check("serial", v.Serial, tt.serial)
			}
			if v.Confidence < tt.minConf || v.Confidence > tt.maxConf {
				t.Errorf("confidence = %.2f, want in [%.2f, %.2f]\nwhy: %s", v.Confidence, tt.minConf, tt.maxConf, strings.Join(v.Why, "\n  "))
			}
			if got := len(v.Conflicts) > 0; got != tt.conflicts {
				t.Errorf("conflicts = %q, want some: %v", v.Conflicts, tt.conflicts)
			}
			why := strings.Join(v.Why, "\n")
			for _, w := range tt.whyContains {
				if !strings.Contains(why, w) {
					t.Errorf("why lacks %q:\n%s", w, why)
				}
			}
		})
	}
}

// Conflicting evidence must cost confidence: the same device without the
// contradicting banner scores higher.
func TestConflictLowersConfidence(t *testing.T) {
	e := engine(t)
	clean := e.Identify(ev("onvif.manufacturer", "AXIS", "onvif.model", "P3245-LVE", "http.realm", "AXIS_ACCC8E123456"))
	dirty := e.Identify(ev("onvif.manufacturer", "AXIS", "onvif.model", "P3245-LVE", "http.realm", "AXIS_ACCC8E123456", "http.server", "App-webs/"))
	if dirty.Confidence >= clean.Confidence {
		t.Errorf("confidence with conflict %.2f >= without %.2f", dirty.Confidence, clean.Confidence)
	}
	if len(clean.Conflicts) != 0 || len(dirty.Conflicts) == 0 {
		t.Errorf("conflicts: clean %q, dirty %q", clean.Conflicts, dirty.Conflicts)
	}
}

// The verdict must not depend on evidence order or repetition.
func TestIdentifyDeterministic(t *testing.T) {
	e := engine(t)
	rng := rand.New(rand.NewSource(1))
	for _, tt := range identifyCases {
		want := e.Identify(tt.ev)
		for i := 0; i < 20; i++ {
			shuffled := append([]evidence.Evidence(nil), tt.ev...)
			shuffled = append(shuffled, tt.ev...) // repeats
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			if got := e.Identify(shuffled); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: order changed the verdict:\n got %+v\nwant %+v", tt.name, got, want)
			}
		}
	}
}

func BenchmarkIdentify(b *testing.B) {
	e := engine(b)
	sets := make([][]evidence.Evidence, len(identifyCases))
	for i, tt := range identifyCases {
		sets[i] = tt.ev
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		e.Identify(sets[i%len(sets)])
		i++
	}
}

// TestHintsNeedCompany: banners cameras share with routers and media
// boxes (Boa, LIVE555, an open RTSP port) make no verdict on their own,
// and add to the confidence of one that other evidence makes.
func TestHintsNeedCompany(t *testing.T) {
	e := engine(t)
	hints := ev("http.server", "Boa/0.94.14rc21", "tcp.open", "554", "rtsp.server", "LIVE555 Streaming Media v2013.02.11")
	v := e.Identify(hints)
	if v.Class != evidence.Unknown || v.Confidence != 0 {
		t.Errorf("hints alone: class %s, confidence %.2f; want unknown, 0\nwhy: %s", v.Class, v.Confidence, strings.Join(v.Why, "\n  "))
	}
	if why := strings.Join(v.Why, "\n"); !strings.Contains(why, "hint of a video device not used") {
		t.Errorf("why does not say the hints were dropped:\n%s", why)
	}
	title := ev("http.title", "Web Client for DVR")
	alone := e.Identify(title)
	both := e.Identify(append(title, hints...))
	if both.Class != evidence.Recorder || alone.Class != evidence.Recorder {
		t.Fatalf("title alone %s, with hints %s; want recorder both", alone.Class, both.Class)
	}
	if both.Confidence <= alone.Confidence {
		t.Errorf("confidence with hints %.2f, title alone %.2f; hints should add to it", both.Confidence, alone.Confidence)
	}
}
