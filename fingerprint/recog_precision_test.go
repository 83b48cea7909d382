package fingerprint

import (
	"fmt"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// TestRecogNonCamerasStayNonCameras runs the examples of every recog
// fingerprint that names a device other than a camera or recorder (a
// printer, router, NAS, phone ...) through the whole engine: camsweep's
// vocabulary, lexicon, model grammars and hints must not turn them into
// cameras. recog's examples are real banners of those devices, from a
// source camsweep's own banner rules were not written against.
func TestRecogNonCamerasStayNonCameras(t *testing.T) {
	e := engine(t)
	// recog files Panasonic's WJ-HD digital disk recorders, CCTV DVRs,
	// under os.device Storage; camsweep's model grammar knows them.
	mislabelled := map[string]bool{"WJ-HD300 SWVer1.53": true}
	var n int
	var bad []string
	for _, r := range e.Rules() {
		if r.Recog == nil || r.Outputs.Class != string(evidence.Other) {
			continue
		}
		for _, ex := range r.Recog.Examples {
			if mislabelled[ex.Text] {
				continue
			}
			for _, f := range r.Fields {
				n++
				probe, _, _ := strings.Cut(f, ".")
				v := e.Identify([]evidence.Evidence{{Probe: probe, Field: f, Value: ex.Text}})
				if v.Class.IsVideo() {
					bad = append(bad, fmt.Sprintf("%s=%q (recog %s: %s) -> %s %s", f, quoteShort(ex.Text), r.ID, r.Recog.Description, v.Class, v.Manufacturer))
				}
			}
		}
	}
	for _, b := range bad {
		t.Log("called camera:", b)
	}
	t.Logf("%d of %d non-camera recog examples called cameras", len(bad), n)
	if len(bad)*100 > n {
		t.Errorf("%d of %d non-camera recog examples called cameras, more than 1%%", len(bad), n)
	}
}
