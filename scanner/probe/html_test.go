package probe

import (
	"strings"
	"testing"

	"github.com/camsweep/camsweep/scanner/internal/value"
)

func TestHTMLTitle(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"plain", `<html><head><title>WEB SERVICE</title></head></html>`, "WEB SERVICE"},
		{"entities", `<title>Caf&eacute; &amp; &#169; &lt;b&gt;</title>`, "Café & © <b>"},
		{"whitespace folded", "<title>\n   NVR \t\r\n  Login  </title>", "NVR Login"},
		{"upper case tag", `<HTML><TITLE>Network Camera</TITLE>`, "Network Camera"},
		{"attributes", `<title id="t" lang="en">Reolink</title>`, "Reolink"},
		{"markup inside stays text", `<title>a <b>bold</b> title</title>`, "a <b>bold</b> title"},
		{"no title", `<html><body>hi</body></html>`, ""},
		{"empty title", `<title></title>`, ""},
		{"unterminated", `<title>Half a title`, "Half a title"},
		{"first wins", `<title>one</title><title>two</title>`, "one"},
		{"javascript redirect page", `<html><head><title></title><script>window.location.href = "/doc/page/login.asp?_" + (new Date()).getTime();</script></head></html>`, ""},
		{"long is bounded", "<title>" + strings.Repeat("x", 10000) + "</title>", strings.Repeat("x", value.MaxLen)},
		{"not html", "\x00\x01\x02\xff", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := htmlTitle([]byte(tc.body)); got != tc.want {
				t.Errorf("htmlTitle = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIconHref(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"icon", `<link rel="icon" href="/img/fav.ico">`, "/img/fav.ico"},
		{"shortcut icon", `<LINK REL="Shortcut Icon" HREF="favicon.png"/>`, "favicon.png"},
		{"apple touch icon is not the favicon", `<link rel="apple-touch-icon" href="/a.png">`, ""},
		{"stylesheet then icon", `<link rel="stylesheet" href="s.css"><link rel="icon" href=" /f.ico ">`, "/f.ico"},
		{"no href", `<link rel="icon">`, ""},
		{"none", `<html></html>`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := iconHref([]byte(tc.body)); got != tc.want {
				t.Errorf("iconHref = %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzHTMLTitle(f *testing.F) {
	f.Add([]byte(`<title>Caf&eacute;</title><link rel=icon href=/x>`))
	f.Add([]byte(`<title`))
	f.Add([]byte(`<<<title>>>&#xffffffff;`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got := htmlTitle(b); len(got) > value.MaxLen {
			t.Fatalf("title of %d bytes", len(got))
		}
		_ = iconHref(b)
	})
}
