package serve

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// tokenHash is a token's SHA-256. Comparing fixed-length hashes keeps the
// comparison constant-time in the token's length too, which
// subtle.ConstantTimeCompare alone does not.
type tokenHash [sha256.Size]byte

// minTokenLen refuses tokens short enough to guess.
const minTokenLen = 16

func readTokens(path string) ([]tokenHash, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("api_tokens_file: %w", err)
	}
	var out []tokenHash
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if len(t) < minTokenLen {
			return nil, fmt.Errorf("api_tokens_file: %s:%d: token shorter than %d characters", path, line, minTokenLen)
		}
		out = append(out, sha256.Sum256([]byte(t)))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("api_tokens_file: %s: no tokens", path)
	}
	return out, nil
}

// validToken checks a presented token against every configured one without
// stopping early, so timing tells nothing about which (or whether one)
// matched.
func validToken(tokens []tokenHash, presented string) bool {
	h := sha256.Sum256([]byte(presented))
	ok := 0
	for i := range tokens {
		ok |= subtle.ConstantTimeCompare(tokens[i][:], h[:])
	}
	return ok == 1
}

// requireToken wraps h so that it answers 401 unless the request carries a
// configured bearer token. tokens is read per request because SIGHUP may
// replace the token file.
func requireToken(tokens func() []tokenHash, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		scheme, tok, found := strings.Cut(auth, " ")
		if !found || !strings.EqualFold(scheme, "Bearer") || !validToken(tokens(), strings.TrimSpace(tok)) {
			challenge := `Bearer realm="camsweep"`
			if auth != "" {
				challenge += `, error="invalid_token"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
			writeError(w, http.StatusUnauthorized, "a valid bearer token is required")
			return
		}
		h.ServeHTTP(w, r)
	})
}
