package scanner

import (
	"fmt"
	"strconv"
	"strings"
)

// wellKnownServices maps camera-relevant ports to the service a probe
// expects there. Sources: vendor port lists (Hikvision: 80/443/554/8000;
// Dahua: 80/443/554/37777; Reolink: 80/443/554/9000; ONVIF on 80, 8899 or
// 2020 on some OEM firmware).
var wellKnownServices = map[uint16]string{
	80:    "http",
	81:    "http",
	88:    "http",
	443:   "https",
	554:   "rtsp",
	2020:  "http",
	7001:  "http",
	8000:  "hik-sdk",
	8080:  "http",
	8081:  "http",
	8443:  "https",
	8554:  "rtsp",
	8899:  "http",
	9000:  "reolink-media",
	10554: "rtsp",
	37777: "dahua-sdk",
}

// DefaultPorts is the camera port set swept when a site names none. It is
// short on purpose: every port is a connection to every live host, and on a
// clinical network each one must earn its place.
var DefaultPorts = []string{"80", "443", "554", "8000", "8080", "8443", "37777", "9000", "8899", "2020"}

// ParsePorts parses specs "80", "80/http", "8000-8010" and "10554/rtsp" into
// ports with service hints. A port's hint defaults from the well-known table;
// an explicit hint lets a site run a camera web server on an odd port. Order
// is kept (it decides the discovery order) and duplicates are dropped.
func ParsePorts(specs []string) ([]Port, error) {
	var out []Port
	seen := map[uint16]bool{}
	for _, raw := range specs {
		for _, spec := range strings.Split(raw, ",") {
			spec = strings.TrimSpace(spec)
			if spec == "" {
				continue
			}
			numbers, service, _ := strings.Cut(spec, "/")
			lo, hi, err := parsePortRange(numbers)
			if err != nil {
				return nil, fmt.Errorf("scanner: port %q: %w", spec, err)
			}
			if service != "" && !validService(service) {
				return nil, fmt.Errorf("scanner: port %q: service name may hold only letters, digits and '-'", spec)
			}
			for n := uint32(lo); n <= uint32(hi); n++ {
				p := uint16(n)
				if seen[p] {
					continue
				}
				seen[p] = true
				s := service
				if s == "" {
					s = wellKnownServices[p]
				}
				out = append(out, Port{Number: p, Service: s})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("scanner: no ports given")
	}
	return out, nil
}

func parsePortRange(s string) (uint16, uint16, error) {
	from, to, isRange := strings.Cut(s, "-")
	lo, err := parsePort(from)
	if err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	hi, err := parsePort(to)
	if err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("range end before start")
	}
	return lo, hi, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("not a port number (1-65535)")
	}
	return uint16(n), nil
}

func validService(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// PortSpecs renders ports back into the "80/http" form for reports.
func PortSpecs(ports []Port) []string {
	out := make([]string, len(ports))
	for i, p := range ports {
		out[i] = strconv.Itoa(int(p.Number))
		if p.Service != "" {
			out[i] += "/" + p.Service
		}
	}
	return out
}
