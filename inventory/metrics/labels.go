package metrics

import "github.com/camsweep/camsweep/scanner/evidence"

// maxLabelBytes bounds a label value taken from what a device said (model,
// manufacturer, brand, a serial inside a key). Real models and makers are a
// few dozen characters; a longer one is a device filling a field, and every
// byte of it would be kept by Prometheus for the series and refused whole by
// remote-write receivers that limit label length.
const maxLabelBytes = 128

// labelValue makes a device-supplied string safe as a label value: invalid
// UTF-8 (which the client library refuses, failing the whole scrape)
// replaced, control and format characters (terminal escapes, bidi
// overrides, which would reach whoever reads the alert) and runs of white
// space folded into one space, cut to maxLabelBytes on a character
// boundary.
func labelValue(s string) string { return evidence.Clean(s, maxLabelBytes) }
