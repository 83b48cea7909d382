package fingerprint

import (
	"strings"
	"testing"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// TestHikDahuaSignatures: a single banner that carries a Hikvision or Dahua
// product-family signature (their firmware web servers, realms, titles,
// certificates, favicons, model grammars, and the white-label brands the
// OEM map knows) names the real maker on its own. Banners with no maker at
// all ("Server: Webs", realm "device") cannot, and are not here.
func TestHikDahuaSignatures(t *testing.T) {
	e := engine(t)
	cases := []struct{ field, value, maker string }{
		// Hikvision firmware web servers and their OEM renames.
		{"http.server", "App-webs/", "Hikvision"},
		{"http.server", "DNVRS-Webs", "Hikvision"},
		{"http.server", "DVRDVS-Webs", "Hikvision"},
		{"http.server", "Hikvision-Webs", "Hikvision"},
		{"http.server", "Interlogix-Webs", "Hikvision"},
		// Hikvision realms, titles, certificates, favicons.
		{"http.realm", "DS-2CD2032-I", "Hikvision"},
		{"http.realm", "IP Camera(C1214)", "Hikvision"},
		{"rtsp.realm", "Hikvision", "Hikvision"},
		{"http.title", "HIKVISION", "Hikvision"},
		{"http.title", "综合安防管理平台", "Hikvision"},
		{"http.title", "DS-7608NI-K2 Web", "Hikvision"},
		{"tls.subject", "CN=www.hikvision.com,OU=DVRNVR,O=HIKVISION,L=HangZhou,ST=ZheJiang,C=CN", "Hikvision"},
		{"http.favicon_mmh3", "999357577", "Hikvision"},
		{"http.favicon_md5", "89b932fcc47cf4ca3faadb0cfdef89cf", "Hikvision"},
		{"http.title", "iVMS-8700 Web Client", "Hikvision"},
		// Hikvision's own and white-label brands, and their model schemes.
		{"http.title", "HiWatch", "Hikvision"},
		{"http.title", "Annke Network Camera", "Hikvision"},
		{"tls.subject", "CN=ipcam,OU=TruVision,O=Interlogix", "Hikvision"},
		{"http.realm", "LTN8708-P8", "Hikvision"},
		// Dahua firmware.
		{"http.title", "WEB SERVICE", "Dahua"},
		{"http.realm", "Login to 4K01FD2PAJ6E3FF", "Dahua"},
		{"rtsp.realm", "Login to 6G0ABCDEF123456", "Dahua"},
		{"rtsp.server", "Dahua Rtsp Server", "Dahua"},
		{"rtsp.server", "Rtsp Server/3.0", "Dahua"},
		{"tls.issuer", "CN=Dahua Device NVR CA,O=Zhejiang Dahua Technology Co.,Ltd.,C=CN", "Dahua"},
		{"http.favicon_mmh3", "2019488876", "Dahua"},
		// Dahua model grammar, with and without its DH-/DHI- prefix.
		{"http.title", "DH-SD49225XA-HNR", "Dahua"},
		{"http.title", "IPC-HFW2431S-S-S2", "Dahua"},
		{"http.realm", "DHI-NVR4108HS-8P-4KS2", "Dahua"},
		{"http.title", "XVR5108HS-X", "Dahua"},
		{"mdns.instance", "NVR4104HS-P-4KS2 - 3C:EF:8C:12:34:56", "Dahua"},
		// Dahua's white-label brands.
		{"http.title", "CPPLUS DVR –Web View", "Dahua"},
		{"http.title", "Amcrest", "Dahua"},
		{"http.title", "LOREX", "Dahua"},
		{"http.realm", "IP2M-841B", "Dahua"},
	}
	for _, c := range cases {
		probe, _, _ := strings.Cut(c.field, ".")
		v := e.Identify([]evidence.Evidence{{Probe: probe, Field: c.field, Value: c.value}})
		if v.Manufacturer != c.maker {
			t.Errorf("%s=%q: manufacturer %q, want %s\nwhy: %s", c.field, c.value, v.Manufacturer, c.maker, strings.Join(v.Why, "\n  "))
		}
	}
}
