package probe

import (
	"bytes"
	"slices"
	"strings"

	"github.com/camsweep/camsweep/scanner/internal/value"
	"golang.org/x/net/html"
)

// maxHTMLTokens bounds the work spent on one (already size-bounded) page.
const maxHTMLTokens = 4096

// htmlTitle returns the text of the first <title>, entities decoded and
// white space folded. The tokenizer treats <title> as RCDATA, so markup-like
// text inside it stays text, as browsers show it.
func htmlTitle(body []byte) string {
	z := html.NewTokenizer(bytes.NewReader(body))
	for range maxHTMLTokens {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken:
			if name, _ := z.TagName(); string(name) != "title" {
				continue
			}
			if z.Next() == html.TextToken {
				return value.Clean(string(z.Text()), value.MaxLen)
			}
			return ""
		}
	}
	return ""
}

// iconHref returns the href of the first <link rel="icon"> (or "shortcut
// icon") in the page, "" when there is none. Only the exact "icon" rel token
// counts: apple-touch-icon is a different image with a different hash.
func iconHref(body []byte) string {
	z := html.NewTokenizer(bytes.NewReader(body))
	for range maxHTMLTokens {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "link" || !hasAttr {
				continue
			}
			var rel, href string
			for more := true; more; {
				var k, v []byte
				k, v, more = z.TagAttr()
				switch string(k) {
				case "rel":
					rel = string(v)
				case "href":
					href = string(v)
				}
			}
			if href != "" && slices.Contains(strings.Fields(strings.ToLower(rel)), "icon") {
				return strings.TrimSpace(href)
			}
		}
	}
	return ""
}
