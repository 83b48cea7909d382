package sweep

import (
	"errors"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/scanner/link"
)

// TestLinkLayerNeedsLinux: where there are no raw frames (macOS, Windows),
// what needs them is refused before anything is sent, with a message that
// names Linux; TCP and UDP scanning is allowed.
func TestLinkLayerNeedsLinux(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		rawFrames bool
		refused   bool
	}{
		{"passive without raw frames", Config{Profile: ProfilePassive}, false, true},
		{"arp without raw frames", Config{Profile: ProfileARP}, false, true},
		{"pcap without raw frames", Config{Profile: ProfileGentle, Pcap: "scan.pcap"}, false, true},
		{"gentle without raw frames", Config{Profile: ProfileGentle}, false, false},
		{"full without raw frames", Config{Profile: ProfileFull}, false, false},
		{"passive on Linux", Config{Profile: ProfilePassive, Pcap: "scan.pcap"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.checkLinkLayer(tt.rawFrames)
			if (err != nil) != tt.refused {
				t.Fatalf("checkLinkLayer = %v, want refused %v", err, tt.refused)
			}
			if err != nil && (!errors.Is(err, link.ErrNeedsLinux) || !strings.Contains(err.Error(), "needs Linux")) {
				t.Errorf("error %q does not say Linux is needed", err)
			}
		})
	}
}
