package flow

import "strings"

// CloudDomain is a DNS suffix a camera maker's cloud, P2P or relay service
// answers under. A camera on a closed network has no reason to resolve one:
// a lookup means the device is configured to reach its maker's cloud (and
// through it, anyone holding the account or the device's UID).
type CloudDomain struct {
	Suffix  string // matches the name itself and every name under it
	Maker   string
	Service string
	// Source is where the name is documented or observed in public.
	Source string
}

// CloudDomains is camsweep's list, one entry per suffix; docs/flows.md
// prints it and a test keeps the two in step. Add a suffix only with a
// public source.
var CloudDomains = []CloudDomain{
	{"hik-connect.com", "Hikvision", "Hik-Connect P2P platform (dev.hik-connect.com is the device registration server; api.hik-connect.com the app API)",
		"Hikvision Hik-Connect set-up guides (platform access server dev.hik-connect.com); go2rtc's Hik-Connect source (api.hik-connect.com); EZVIZ security response centre scope (*.hik-connect.com)"},
	{"guardingvision.com", "Hikvision", "Hik-Connect for OEM brands (api.guardingvision.com, apiieu.guardingvision.com)",
		"EZVIZ security response centre scope (*.guardingvision.com); Home Assistant Hikvision AX PRO integrations (apiieu.guardingvision.com)"},
	{"hikops.com", "Hikvision", "Hik-ProConnect / Hik operations cloud", "EZVIZ security response centre scope (*.hikops.com)"},
	{"hicloudcam.com", "Hikvision", "Hikvision camera cloud", "EZVIZ security response centre scope (*.hicloudcam.com)"},
	{"ezvizlife.com", "EZVIZ", "EZVIZ cloud and P2P (apiieu.ezvizlife.com, apiius.ezvizlife.com)",
		"pyezviz, the Home Assistant EZVIZ library (regional API hosts apiieu/apiius.ezvizlife.com); EZVIZ security response centre scope"},
	{"ezvizru.com", "EZVIZ", "EZVIZ cloud, Russian region (apirus.ezvizru.com)", "pyezviz region list"},
	{"ezviz7.com", "EZVIZ", "EZVIZ cloud", "EZVIZ security response centre scope (*.ezviz7.com)"},
	{"eziot.com", "EZVIZ", "EZVIZ IoT cloud", "EZVIZ security response centre scope (*.eziot.com)"},
	{"ys7.com", "EZVIZ", "EZVIZ (Ys7) cloud, China", "EZVIZ security response centre scope (*.ys7.com)"},
	{"shipin7.com", "EZVIZ", "EZVIZ (Ys7) video cloud, China", "EZVIZ security response centre scope (*.shipin7.com)"},
	{"easy4ipcloud.com", "Dahua", "Dahua P2P rendezvous (www.easy4ipcloud.com, UDP 8800) and device registration (iotaccess.easy4ipcloud.com)",
		"dh-p2p, the reverse-engineered Dahua P2P client (MAIN_SERVER www.easy4ipcloud.com:8800); Dahua device SDK documentation (iotaccess.easy4ipcloud.com)"},
	{"dahuap2pcloud.com", "Dahua", "Dahua P2P rendezvous used by SmartPSS (www.dahuap2pcloud.com, UDP 8800)", "SmartPSS P2P audit scripts in public code (servers www.easy4ipcloud.com and www.dahuap2pcloud.com, port 8800)"},
	{"imoulife.com", "Imou", "Imou (Dahua's consumer brand) cloud", "Imou web clients' allowed-host lists (imoulife.com, lechange.com, easy4ipcloud.com)"},
	{"lechange.com", "Imou", "Lechange/Imou cloud", "Imou web clients' allowed-host lists"},
	{"easy4ip.com", "Imou", "Easy4ip/Imou open platform, overseas (openapi.easy4ip.com)",
		"Imou open platform SDK samples (overseas host openapi.easy4ip.com:443); the Home Assistant Imou Life integration's default API URL"},
	{"lechange.cn", "Imou", "Lechange/Imou open platform, China (openapi.lechange.cn)", "Imou open platform SDK samples (China host openapi.lechange.cn:443)"},
	{"reolink.com", "Reolink", "Reolink UID P2P (p2p.reolink.com to p2p11.reolink.com, UDP 9999), device APIs (devices-apis.reolink.com), push (pushx.reolink.com)",
		"neolink, the reverse-engineered Reolink Baichuan/P2P client (relay host list); Reolink firmware analyses listing p2p.reolink.com and devices-apis.reolink.com"},
	{"amcrestcloud.com", "Amcrest", "Amcrest cloud (config.amcrestcloud.com)", "home-network DNS captures in public code (config.amcrestcloud.com); device-to-cloud maps listing amcrestcloud.com"},
	{"amcrestview.com", "Amcrest", "Amcrest View P2P (p2p.amcrestview.com)", "home-network DNS captures in public code (p2p.amcrestview.com)"},
	{"ui.com", "Ubiquiti", "UniFi Protect cloud access (protect.ui.com, unifi.ui.com)", "device-to-cloud maps in public code (protect.ui.com, unifi.ui.com)"},
}

// maxDNSName bounds a name taken from a query: DNS names are at most 253
// characters.
const maxDNSName = 253

// MatchCloud returns the cloud entry whose suffix name falls under, if
// any. Comparison ignores case and a trailing dot.
func MatchCloud(name string) (CloudDomain, bool) {
	return matchCloud(CloudDomains, name)
}

func matchCloud(list []CloudDomain, name string) (CloudDomain, bool) {
	if len(name) > maxDNSName+1 {
		return CloudDomain{}, false
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	for _, c := range list {
		if name == c.Suffix || strings.HasSuffix(name, "."+c.Suffix) {
			return c, true
		}
	}
	return CloudDomain{}, false
}
