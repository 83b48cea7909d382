package probe

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math/bits"
)

// FaviconHash is Shodan's http.favicon.hash of an icon: the signed 32-bit
// MurmurHash3 (x86_32, seed 0) of the icon's base64 text as Python's
// base64.encodebytes writes it (a newline after every 76 characters and at
// the end). Matching Shodan byte for byte lets sites reuse published hashes.
func FaviconHash(icon []byte) int32 {
	return int32(murmur3x86_32(encodeBytes(icon), 0))
}

// FaviconMD5 is the icon's MD5 in lower-case hex, the key of recog's
// favicons.xml (and of nmap's http-favicon script and OWASP's favicon
// database).
func FaviconMD5(icon []byte) string {
	sum := md5.Sum(icon)
	return hex.EncodeToString(sum[:])
}

// encodeBytes mirrors Python's base64.encodebytes: standard alphabet with
// padding, in lines of at most 76 characters, each ending in '\n'. An empty
// input gives an empty output.
func encodeBytes(b []byte) []byte {
	const lineChars = 76
	const lineBytes = lineChars / 4 * 3 // 57 input bytes per full line
	out := make([]byte, 0, base64.StdEncoding.EncodedLen(len(b))+len(b)/lineBytes+1)
	for len(b) > 0 {
		n := min(len(b), lineBytes)
		out = base64.StdEncoding.AppendEncode(out, b[:n])
		out = append(out, '\n')
		b = b[n:]
	}
	return out
}

// murmur3x86_32 is Austin Appleby's MurmurHash3_x86_32.
func murmur3x86_32(data []byte, seed uint32) uint32 {
	const (
		c1 = 0xcc9e2d51
		c2 = 0x1b873593
	)
	h := seed
	n := len(data)
	for len(data) >= 4 {
		k := binary.LittleEndian.Uint32(data)
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
		h = bits.RotateLeft32(h, 13)
		h = h*5 + 0xe6546b64
		data = data[4:]
	}
	var k uint32
	switch len(data) {
	case 3:
		k ^= uint32(data[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(data[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(data[0])
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
	}
	h ^= uint32(n)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
