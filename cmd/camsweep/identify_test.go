package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestIdentifyTableShowsEscapesInert: evidence imported from a file reaches
// the terminal; a banner holding a screen clear or an OSC 8 link must be
// printed as text, not obeyed.
func TestIdentifyTableShowsEscapesInert(t *testing.T) {
	in := `{"host":"10.0.0.1\u001b[2J","probe":"onvif","field":"onvif.manufacturer","value":"HIKVISION"}
{"host":"10.0.0.1\u001b[2J","probe":"onvif","field":"onvif.model","value":"DS-2CD\u001b]8;;http://evil.example/\u001b\\click\u001b]8;;\u001b\\"}
`
	stdout, stderr, code := camsweep(t, in, "identify", "-o", "table")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	assertNoControl(t, stdout)
	if !strings.Contains(stdout, "10.0.0.1 [2J") {
		t.Errorf("the host is not shown with its escape made inert:\n%s", stdout)
	}
}

func TestIdentifyStreamsInFirstAppearanceOrder(t *testing.T) {
	var in strings.Builder
	// Grouped by host, as a tool that walks hosts writes it: a window of
	// two hosts is enough for any number of them.
	for i := range 50 {
		fmt.Fprintf(&in, `{"host":"10.0.%d.1","field":"http.server","value":"App-webs/"}`+"\n", i)
		fmt.Fprintf(&in, `{"host":"10.0.%d.1","field":"rtsp.server","value":"Rtsp Server/3.0"}`+"\n", i)
	}
	stdout, stderr, code := camsweep(t, in.String(), "identify", "-o", "json", "--window", "2")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 50 {
		t.Fatalf("%d verdicts, want 50", len(lines))
	}
	for i, l := range lines {
		if want := fmt.Sprintf(`{"host":"10.0.%d.1","class":"camera","brand":"Hikvision"`, i); !strings.HasPrefix(l, want) {
			t.Errorf("verdict %d = %s, want it to start %s", i, l, want)
		}
	}
}

// TestIdentifyHostBackAfterItsVerdict: with a window too small for the
// interleaving, a host's late evidence is an error naming the line, never a
// second verdict built from part of its evidence.
func TestIdentifyHostBackAfterItsVerdict(t *testing.T) {
	in := `{"host":"10.0.0.1","field":"http.server","value":"App-webs/"}
{"host":"10.0.0.2","field":"http.server","value":"App-webs/"}
{"host":"10.0.0.3","field":"http.server","value":"App-webs/"}
{"host":"10.0.0.1","field":"rtsp.server","value":"Rtsp Server/3.0"}
`
	_, stderr, code := camsweep(t, in, "identify", "-o", "json", "--window", "2")
	if code != exitError || !strings.Contains(stderr, `stdin: line 4: host "10.0.0.1" comes back after its verdict was written (more than --window=2 hosts`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	// The same input within the window is fine.
	stdout, stderr, code := camsweep(t, in, "identify", "-o", "json", "--window", "3")
	if code != exitOK || strings.Count(stdout, "\n") != 3 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestIdentifyBoundsOneHost(t *testing.T) {
	var in strings.Builder
	for i := range maxHostEvidence + 1 {
		fmt.Fprintf(&in, `{"host":"10.0.0.1","field":"http.title","value":"t%d"}`+"\n", i)
	}
	_, stderr, code := camsweep(t, in.String(), "identify", "-o", "json")
	if code != exitError || !strings.Contains(stderr, fmt.Sprintf("stdin: line %d: host \"10.0.0.1\" has more than %d evidence items", maxHostEvidence+1, maxHostEvidence)) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
