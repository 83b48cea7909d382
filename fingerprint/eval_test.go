package fingerprint

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// evalRow is one labelled banner of testdata/eval/banners.tsv.
type evalRow struct {
	field, value, label, maker, source string
	line                               int
}

func readEvalSet(t testing.TB) []evalRow {
	t.Helper()
	f, err := os.Open("testdata/eval/banners.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []evalRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 5 {
			t.Fatalf("banners.tsv:%d: %d columns, want 5", n, len(c))
		}
		switch c[2] {
		case "camera", "recorder", "other":
		default:
			t.Fatalf("banners.tsv:%d: label %q", n, c[2])
		}
		rows = append(rows, evalRow{c[0], c[1], c[2], c[3], c[4], n})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// half puts a row in half "A" or "B" by a hash of what it says, so the
// split does not depend on the order of the file or on anyone's choice.
func (r evalRow) half() string {
	sum := sha256.Sum256([]byte(r.field + "\x00" + r.value))
	if sum[0]&1 == 0 {
		return "A"
	}
	return "B"
}

var realmParam = regexp.MustCompile(`(?i)realm=(?:"([^"]*)"|([^,\s]+))`)

// evidence is what the probes record for the banner: a WWW-Authenticate
// header is also recorded as its realm.
func (r evalRow) evidence() []evidence.Evidence {
	probe, _, _ := strings.Cut(r.field, ".")
	ev := []evidence.Evidence{{Probe: probe, Field: r.field, Value: r.value}}
	if r.field == "http.www_authenticate" {
		if m := realmParam.FindStringSubmatch(r.value); m != nil {
			ev = append(ev, evidence.Evidence{Probe: probe, Field: "http.realm", Value: m[1] + m[2]})
		}
	}
	return ev
}

type evalScore struct {
	video, videoHit       int // camera/recorder rows, and those called camera or recorder
	hikDahua, makerHit    int // Hikvision- or Dahua-made rows, and those naming the maker
	other, falseCam       int // other rows, and those called camera or recorder
	missed, falsePositive []string
}

func (s *evalScore) add(r evalRow, v Verdict) {
	called := v.Class.IsVideo()
	switch r.label {
	case "camera", "recorder":
		s.video++
		if called {
			s.videoHit++
		} else {
			s.missed = append(s.missed, fmt.Sprintf("%s=%q (%s)", r.field, r.value, r.label))
		}
	default:
		s.other++
		if called {
			s.falseCam++
			s.falsePositive = append(s.falsePositive, fmt.Sprintf("%s=%q -> %s %s", r.field, r.value, v.Class, v.Manufacturer))
		}
	}
	if r.maker == "Hikvision" || r.maker == "Dahua" {
		s.hikDahua++
		if v.Manufacturer == r.maker {
			s.makerHit++
		}
	}
}

func pct(n, d int) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*float64(n)/float64(d), n, d)
}

// TestEvaluation scores the shipped rules on banners from public sources
// other than recog (testdata/eval): camera-class recall, maker accuracy on
// Hikvision- and Dahua-made devices, and the share of non-camera banners
// called cameras, per evidence field and per half. Run with -v to see the
// table (docs/fingerprint.md quotes it); CAMSWEEP_EVAL_MISSES=1 lists the
// misses of half A.
func TestEvaluation(t *testing.T) {
	e := engine(t)
	rows := readEvalSet(t)
	scores := map[string]map[string]*evalScore{} // half -> field -> score
	for _, r := range rows {
		v := e.Identify(r.evidence())
		for _, h := range []string{r.half(), "all"} {
			for _, f := range []string{r.field, "total"} {
				if scores[h] == nil {
					scores[h] = map[string]*evalScore{}
				}
				if scores[h][f] == nil {
					scores[h][f] = &evalScore{}
				}
				scores[h][f].add(r, v)
			}
		}
	}
	for _, h := range []string{"A", "B", "all"} {
		fields := make([]string, 0, len(scores[h]))
		for f := range scores[h] {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		t.Logf("half %s: field | camera recall | Hik/Dahua maker | non-camera called camera", h)
		for _, f := range fields {
			s := scores[h][f]
			t.Logf("  %s | %s | %s | %s", f, pct(s.videoHit, s.video), pct(s.makerHit, s.hikDahua), pct(s.falseCam, s.other))
		}
	}
	// The project's bound on false cameras holds on both halves; recall
	// and maker accuracy must not fall below what docs/fingerprint.md
	// reports (floors, below the 85% and 95% aims, which this set does not
	// reach: see the doc).
	for _, h := range []string{"A", "B"} {
		s := scores[h]["total"]
		if s.falseCam*50 > s.other {
			t.Errorf("half %s: %s of non-camera banners called cameras, more than 2%%", h, pct(s.falseCam, s.other))
		}
		if s.videoHit*2 < s.video {
			t.Errorf("half %s: camera recall %s, below the 50%% floor", h, pct(s.videoHit, s.video))
		}
	}
	if s := scores["all"]["total"]; s.makerHit*10 < s.hikDahua*7 {
		t.Errorf("Hikvision/Dahua maker accuracy %s, below the 70%% floor", pct(s.makerHit, s.hikDahua))
	}
	if os.Getenv("CAMSWEEP_EVAL_MISSES") != "" {
		s := scores[os.Getenv("CAMSWEEP_EVAL_MISSES")]["total"]
		for _, m := range s.missed {
			t.Logf("missed: %s", m)
		}
		for _, m := range s.falsePositive {
			t.Logf("false camera: %s", m)
		}
	}
}
