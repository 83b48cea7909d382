//go:build linux

package netlab

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
)

// IEEEOUIFile is Debian's copy of the IEEE MA-L registry (package
// ieee-data), used to check that lab MACs carry the OUI of the vendor a
// host plays.
const IEEEOUIFile = "/usr/share/ieee-data/oui.csv"

// VendorOUIs are real MA-L assignments, one per vendor a lab host may
// play, as registered with the IEEE (checked by TestVendorOUIs).
var VendorOUIs = map[string]string{
	"Hikvision": "44:47:cc", // Hangzhou Hikvision Digital Technology Co.,Ltd.
	"Dahua":     "08:ed:ed", // Zhejiang Dahua Technology Co., Ltd.
	"Axis":      "ac:cc:8e", // Axis Communications AB
	"Uniview":   "6c:f1:7e", // Zhejiang Uniview Technologies Co.,Ltd.
	"Bosch":     "00:1c:44", // Bosch Security Systems BV
	"Vivotek":   "00:02:d1", // Vivotek, Inc.
	"Reolink":   "ec:71:db", // Reolink Innovation Limited
	"Samsung":   "00:09:18", // SAMSUNG TECHWIN CO.,LTD (Hanwha's predecessor)
	"Dell":      "98:e7:43", // Dell Inc.
	"HP":        "9c:7b:ef", // Hewlett Packard
}

// VendorMAC is the n-th MAC of vendor's OUI.
func VendorMAC(vendor string, n int) net.HardwareAddr {
	oui, ok := VendorOUIs[vendor]
	if !ok {
		panic("netlab: no OUI for vendor " + vendor)
	}
	hw, err := net.ParseMAC(fmt.Sprintf("%s:%02x:%02x:%02x", oui, byte(n>>16), byte(n>>8), byte(n)))
	if err != nil {
		panic(err)
	}
	return hw
}

// Hosts lays out n hosts on prefix from its tenth address on, spread so
// that silent addresses sit between them, cycling through vendors.
func Hosts(prefix netip.Prefix, n int, vendors ...string) []Host {
	var hosts []Host
	a := prefix.Masked().Addr()
	for i := 0; i < 10; i++ {
		a = a.Next()
	}
	size := 1 << (32 - prefix.Bits())
	step := max(1, (size-20)/max(n, 1))
	for i := 0; i < n && prefix.Contains(a); i++ {
		v := vendors[i%len(vendors)]
		hosts = append(hosts, Host{Addr: a, MAC: VendorMAC(v, i+1), Vendor: v})
		for j := 0; j < step; j++ {
			a = a.Next()
		}
	}
	return hosts
}

// OUIOrg looks mac's OUI up in the IEEE registry file.
func OUIOrg(mac net.HardwareAddr) (string, error) {
	f, err := os.Open(IEEEOUIFile)
	if err != nil {
		return "", err
	}
	defer f.Close()
	want := strings.ToUpper(strings.ReplaceAll(mac.String()[:8], ":", ""))
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		// Registry,Assignment,"Organization Name",Address
		parts := strings.SplitN(line, ",", 3)
		if len(parts) == 3 && parts[1] == want {
			org := parts[2]
			if strings.HasPrefix(org, `"`) {
				if end := strings.Index(org[1:], `"`); end >= 0 {
					return org[1 : end+1], nil
				}
			}
			org, _, _ = strings.Cut(org, ",")
			return org, nil
		}
	}
	return "", fmt.Errorf("netlab: OUI %s not in %s", want, IEEEOUIFile)
}
