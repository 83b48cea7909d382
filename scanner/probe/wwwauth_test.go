package probe

import (
	"net/http"
	"reflect"
	"testing"
)

func TestRealms(t *testing.T) {
	tests := []struct {
		name, header string
		want         []string
	}{
		// Hikvision web server on GET / and /ISAPI: Digest, realm last-but-two.
		{"hikvision digest", `Digest qop="auth", realm="IP Camera(C6253)", nonce="4e5749344e4459314f4451364d7a49314f54686b5a6a593d", stale="FALSE"`, []string{"IP Camera(C6253)"}},
		{"hikvision basic", `Basic realm="DS-2CD2032-I"`, []string{"DS-2CD2032-I"}},
		// Dahua: the realm names the serial.
		{"dahua digest", `Digest realm="Login to 4K0A1B2PAZ12345", qop="auth", nonce="1234567", opaque="a1b2c3"`, []string{"Login to 4K0A1B2PAZ12345"}},
		{"dahua old", `Digest realm="DH_00408CA5EA04", nonce="000562fdY631973ef04f77a3ede7c1832ff48720ef9 5ad", stale=FALSE, qop="auth"`, []string{"DH_00408CA5EA04"}},
		{"two challenges in one header", `Digest realm="a b", nonce="n", Basic realm="c"`, []string{"a b", "c"}},
		{"escaped quote", `Basic realm="say \"hi\", ok"`, []string{`say "hi", ok`}},
		{"unquoted", `Basic realm=GoAhead`, []string{"GoAhead"}},
		{"case and spaces", `basic   REALM = "x"`, []string{"x"}},
		{"empty realm", `Basic realm=""`, []string{""}},
		{"no realm", `Negotiate`, nil},
		{"token68 then digest", `Negotiate abc==, Digest realm="r"`, []string{"r"}},
		{"unterminated quote", `Digest realm="IP Camera`, []string{"IP Camera"}},
		{"first realm wins", `Digest realm="one", realm="two"`, []string{"one"}},
		{"garbage", `===,,"""`, nil},
		{"empty", ``, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := realms(tc.header); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("realms(%q) = %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}

func TestParseChallengesSchemes(t *testing.T) {
	got := parseChallenges(`Digest realm="r", qop="auth,auth-int", Basic realm="b"`)
	if len(got) != 2 || got[0].Scheme != "Digest" || got[1].Scheme != "Basic" {
		t.Fatalf("schemes = %+v", got)
	}
	if got[0].Params["qop"] != "auth,auth-int" {
		t.Fatalf("qop = %q", got[0].Params["qop"])
	}
}

func TestDigestChallenge(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		realm  string // "" with ok false: no Digest challenge
		ok     bool
	}{
		{"digest only", []string{`Digest realm="IP Camera(C6253)", qop="auth", nonce="n1"`}, "IP Camera(C6253)", true},
		{"basic header before digest header", []string{`Basic realm="basic"`, `Digest realm="dig", nonce="n1"`}, "dig", true},
		{"basic then digest in one header", []string{`Basic realm="basic", Digest realm="dig", nonce="n1"`}, "dig", true},
		{"escaped quote in realm", []string{`Digest realm="say \"hi\"", nonce="n1"`}, `say "hi"`, true},
		{"lower-case scheme", []string{`digest realm="r", nonce="n1"`}, "r", true},
		{"basic only", []string{`Basic realm="basic"`}, "", false},
		{"none", nil, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.values {
				h.Add("WWW-Authenticate", v)
			}
			ch := digestChallenge(h)
			if (ch != nil) != tc.ok || ch["realm"] != tc.realm {
				t.Fatalf("digestChallenge(%q) = %q, want realm %q (found %v)", tc.values, ch, tc.realm, tc.ok)
			}
			if tc.ok && ch["nonce"] != "n1" {
				t.Errorf("nonce = %q, want n1", ch["nonce"])
			}
		})
	}
}

func FuzzParseChallenges(f *testing.F) {
	for _, s := range []string{
		`Digest qop="auth", realm="IP Camera(C6253)", nonce="4e57", stale="FALSE"`,
		`Basic realm="a\"b"`, `Negotiate abc==, Digest realm="r"`, `"`, `=`, `a=,b`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		cs := parseChallenges(h)
		if len(cs) > maxChallenges {
			t.Fatalf("%d challenges", len(cs))
		}
		for _, c := range cs {
			if c.Scheme == "" || len(c.Params) > maxChallengeParams {
				t.Fatalf("bad challenge %+v", c)
			}
			for _, v := range c.Params {
				if len(v) > len(h) {
					t.Fatalf("value longer than input")
				}
			}
		}
	})
}
