package probe

import (
	"bytes"
	"testing"
)

// Published MurmurHash3_x86_32 vectors (SMHasher verification values as
// collected in the widely cited reference tables, and mmh3's README).
func TestMurmur3x86_32Vectors(t *testing.T) {
	tests := []struct {
		in   string
		seed uint32
		want uint32
	}{
		{"", 0, 0},
		{"", 1, 0x514E28B7},
		{"", 0xffffffff, 0x81F16F39},
		{"\xff\xff\xff\xff", 0, 0x76293B50},
		{"\x21\x43\x65\x87", 0, 0xF55B516B},
		{"\x21\x43\x65\x87", 0x5082EDEE, 0x2362F9DE},
		{"\x21\x43\x65", 0, 0x7E4A8634},
		{"\x21\x43", 0, 0xA0F7B07A},
		{"\x21", 0, 0x72661CF4},
		{"\x00\x00\x00\x00", 0, 0x2362F9DE},
		{"\x00\x00\x00", 0, 0x85F0B427},
		{"\x00\x00", 0, 0x30F4C306},
		{"\x00", 0, 0x514E28B7},
		{"aaaa", 0x9747b28c, 0x5A97808A},
		{"aaa", 0x9747b28c, 0x283E0130},
		{"aa", 0x9747b28c, 0x5D211726},
		{"a", 0x9747b28c, 0x7FA09EA6},
		{"abcd", 0x9747b28c, 0xF0478627},
		{"abc", 0x9747b28c, 0xC84A62DD},
		{"ab", 0x9747b28c, 0x74875592},
		{"Hello, world!", 0x9747b28c, 0x24884CBA},
		{"The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2FA826CD},
		// mmh3.hash("foo") == -156908512 (signed) in Python's mmh3 README.
		{"foo", 0, uint32(0xF6A5C420)},
	}
	for _, tc := range tests {
		if got := murmur3x86_32([]byte(tc.in), tc.seed); got != tc.want {
			t.Errorf("murmur3(%q, %#x) = %#x, want %#x", tc.in, tc.seed, got, tc.want)
		}
	}
	if got := int32(murmur3x86_32([]byte("foo"), 0)); got != -156908512 {
		t.Errorf("signed murmur3(foo) = %d, want -156908512", got)
	}
}

// Expected values were produced by CPython's base64.encodebytes over
// bytes(range(256))*2, the encoding Shodan's favicon hash is defined on.
func TestEncodeBytesMatchesPython(t *testing.T) {
	data := bytes.Repeat(func() []byte {
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}(), 2)
	tests := []struct {
		n    int
		want string
	}{
		{0, ""},
		{1, "AA==\n"},
		{2, "AAE=\n"},
		{3, "AAEC\n"},
		{56, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc=\n"},
		{57, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\n"},
		{58, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\nOQ==\n"},
		{114, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\nOTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx\n"},
		{115, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\nOTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx\ncg==\n"},
		{200, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\nOTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx\ncnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmq\nq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsc=\n"},
	}
	for _, tc := range tests {
		if got := string(encodeBytes(data[:tc.n])); got != tc.want {
			t.Errorf("encodeBytes(%d bytes) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestFaviconHashIsMurmurOfPythonBase64(t *testing.T) {
	// "foo" in base64 with the trailing newline is "Zm9v\n".
	if got, want := FaviconHash([]byte("foo")), int32(murmur3x86_32([]byte("Zm9v\n"), 0)); got != want {
		t.Fatalf("FaviconHash(foo) = %d, want %d", got, want)
	}
	if got := FaviconHash(nil); got != 0 {
		t.Fatalf("FaviconHash(empty) = %d, want 0 (murmur3 of empty input)", got)
	}
}

// FuzzFaviconHash feeds device-chosen icon bytes through the hash: it must
// be total, and its base64 lines must keep Python's 76-character shape.
func FuzzFaviconHash(f *testing.F) {
	f.Add([]byte("abc"))
	f.Add(bytes.Repeat([]byte{0xff}, 200))
	f.Fuzz(func(t *testing.T, b []byte) {
		if FaviconHash(b) != FaviconHash(bytes.Clone(b)) {
			t.Fatal("favicon hash is not deterministic")
		}
		enc := encodeBytes(b)
		if len(b) > 0 && !bytes.HasSuffix(enc, []byte("\n")) {
			t.Fatal("missing trailing newline")
		}
		for _, line := range bytes.Split(bytes.TrimSuffix(enc, []byte("\n")), []byte("\n")) {
			if len(line) > 76 {
				t.Fatalf("line of %d chars", len(line))
			}
		}
	})
}
