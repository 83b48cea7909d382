// Package evidence holds what every stage of camsweep hands forward: the
// facts a device stated (Evidence) and the class a verdict gives a device.
//
// It is a leaf: it imports nothing of the network, so the pure stages
// (fingerprint's rule engine, inventory's reconciliation) can depend on it
// without linking packet capture, raw sockets or SOAP clients.
package evidence

// Evidence is one fact a device stated on the wire, e.g.
// {Probe: "http", Field: "http.server", Value: "App-webs/"}.
// Field names are a contract with the fingerprint rules; see docs/evidence.md.
type Evidence struct {
	Probe string `json:"probe"`
	Field string `json:"field"`
	Value string `json:"value"`
}

// Class is what kind of device a verdict says a host is. Its text form is
// part of the report contract (camsweep.report/v1).
type Class string

// The device classes a verdict can give.
const (
	Camera   Class = "camera"
	Recorder Class = "recorder"
	Other    Class = "other"
	Unknown  Class = "unknown"
)

// IsVideo reports whether the class records or streams video, so that the
// camera policy applies to the device.
func (c Class) IsVideo() bool { return c == Camera || c == Recorder }

// ParseClass accepts the four class names of a report.
func ParseClass(s string) (Class, bool) {
	switch c := Class(s); c {
	case Camera, Recorder, Other, Unknown:
		return c, true
	}
	return "", false
}

// AppendNew appends the items of more not already in have, keeping
// first-seen order.
func AppendNew(have []Evidence, more ...Evidence) []Evidence {
	for _, e := range more {
		dup := false
		for _, h := range have {
			if h == e {
				dup = true
				break
			}
		}
		if !dup {
			have = append(have, e)
		}
	}
	return have
}
