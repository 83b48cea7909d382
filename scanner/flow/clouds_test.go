package flow

import (
	"os"
	"strings"
	"testing"
)

// TestCloudDomainsDocumented: docs/flows.md lists every suffix with its
// maker, and nothing the code does not have.
func TestCloudDomainsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/flows.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) == 6 && strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			suffix := strings.Trim(strings.TrimSpace(cells[1]), "`")
			if strings.Contains(suffix, ".") && !strings.Contains(suffix, " ") {
				rows[suffix] = strings.TrimSpace(cells[2])
			}
		}
	}
	for _, c := range CloudDomains {
		if rows[c.Suffix] != c.Maker {
			t.Errorf("docs/flows.md: %s listed for %q, want %q", c.Suffix, rows[c.Suffix], c.Maker)
		}
		if c.Source == "" {
			t.Errorf("%s has no source", c.Suffix)
		}
		delete(rows, c.Suffix)
	}
	for s := range rows {
		t.Errorf("docs/flows.md lists %s, which CloudDomains does not have", s)
	}
}

func TestMatchCloud(t *testing.T) {
	for name, want := range map[string]string{
		"p2p11.reolink.com": "Reolink", "dev.hik-connect.com.": "Hikvision", "WWW.EASY4IPCLOUD.COM": "Dahua",
		"reolink.com": "Reolink", "notreolink.com": "", "reolink.com.evil.example": "", "": "",
		strings.Repeat("a.", 200) + "ezvizlife.com": "",
	} {
		c, ok := MatchCloud(name)
		if got := c.Maker; ok != (want != "") || got != want {
			t.Errorf("MatchCloud(%q) = %q %v, want %q", name, got, ok, want)
		}
	}
}
