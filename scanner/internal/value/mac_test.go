package value

import "testing"

func TestMAC(t *testing.T) {
	for in, want := range map[string]string{
		"44-19-B6-0A-0B-0C": "44:19:b6:0a:0b:0c", "4419b60a0b0c": "44:19:b6:0a:0b:0c", "44:19:b6:0a:0b:0c": "44:19:b6:0a:0b:0c",
		"44:19:b6:0a:0b": "", "zz:19:b6:0a:0b:0c": "", "44:19:b6:0a:0b:0c:0d": "", "": "",
		"C0-56-E3-11-22-33": "c0:56:e3:11:22:33", "3cef.8c11.2233": "3c:ef:8c:11:22:33", " 3CEF8C112233 ": "3c:ef:8c:11:22:33",
		"00:11:22:33:44:55:66:77": "", "zz": "",
	} {
		if got := MAC(in); got != want {
			t.Errorf("MAC(%q) = %q, want %q", in, got, want)
		}
	}
}
