package probe

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/rs/zerolog"
)

// isapiDeviceInfoPath is Hikvision's ISAPI device information resource. It
// answers 401 with a Digest realm on a locked-down device, and the
// DeviceInfo document on one that allows anonymous reads.
const isapiDeviceInfoPath = "/ISAPI/System/deviceInfo"

// ISAPIProber asks GET /ISAPI/System/deviceInfo, without credentials.
type ISAPIProber struct {
	log zerolog.Logger
	// RequestTimeout caps each request; the context deadline still wins.
	RequestTimeout time.Duration
}

// NewISAPIProber returns the "isapi" prober.
func NewISAPIProber(log zerolog.Logger) *ISAPIProber {
	return &ISAPIProber{log: log.With().Str("probe", "isapi").Logger(), RequestTimeout: defaultTimeout}
}

// Name implements Prober.
func (p *ISAPIProber) Name() string { return "isapi" }

// Probe implements Prober.
func (p *ISAPIProber) Probe(ctx context.Context, t scanner.Target, emit scanner.Emit) error {
	return runVendorHTTP(ctx, t, p.Name(), p.RequestTimeout, emit, p.ask)
}

func (p *ISAPIProber) ask(ctx context.Context, f *httpFetcher, base *url.URL, sink *value.Sink) bool {
	a, err := f.get(ctx, base, isapiDeviceInfoPath, maxBodyBytes)
	if err != nil {
		logNoAnswer(p.log, base, err)
		return false
	}
	sink.Add("isapi.status", strconv.Itoa(a.status))
	switch a.status {
	case 401:
		found := false
		for _, h := range a.header.Values("Www-Authenticate") {
			for _, r := range realms(h) {
				sink.Add("isapi.realm", r)
				found = true
			}
		}
		return found
	case 200:
		info, err := parseISAPIDeviceInfo(a.body)
		if err != nil {
			logNoAnswer(p.log, base, err)
			return false
		}
		sink.Add("isapi.model", info.Model)
		sink.Add("isapi.serial", info.SerialNumber)
		sink.Add("isapi.firmware", info.FirmwareVersion)
		if mac := value.MAC(info.MacAddress); mac != "" {
			sink.Add("isapi.mac", mac)
		} else {
			sink.Add("isapi.mac", info.MacAddress)
		}
		sink.Add("isapi.device_type", info.DeviceType)
		sink.Add("isapi.device_name", info.DeviceName)
		return true
	}
	return false
}

// isapiDeviceInfo is the part of an ISAPI DeviceInfo document camsweep
// reads. Element names match in any namespace: Hikvision firmware uses
// http://www.hikvision.com/ver20/XMLSchema, later and OEM firmware
// http://www.isapi.org/ver20/XMLSchema.
type isapiDeviceInfo struct {
	XMLName         xml.Name
	DeviceName      string `xml:"deviceName"`
	DeviceID        string `xml:"deviceID"`
	Model           string `xml:"model"`
	SerialNumber    string `xml:"serialNumber"`
	MacAddress      string `xml:"macAddress"`
	FirmwareVersion string `xml:"firmwareVersion"`
	DeviceType      string `xml:"deviceType"`
}

// parseISAPIDeviceInfo reads a DeviceInfo document. Any other document (an
// HTML login page served with 200, a ResponseStatus error) is an error.
func parseISAPIDeviceInfo(b []byte) (isapiDeviceInfo, error) {
	var info isapiDeviceInfo
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	// Devices declare charsets Go does not know; element names are ASCII
	// and values are cleaned later, so read the bytes as they are.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := d.Decode(&info); err != nil {
		return isapiDeviceInfo{}, errorf("isapi", "deviceInfo: %w", err)
	}
	if info.XMLName.Local != "DeviceInfo" {
		return isapiDeviceInfo{}, errorf("isapi", "deviceInfo: root element is %q", info.XMLName.Local)
	}
	return info, nil
}
