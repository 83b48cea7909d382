package probe

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/rs/zerolog"
)

// dahuaLoginPath is the JSON-RPC login endpoint of the Dahua web UI.
const dahuaLoginPath = "/RPC2_Login"

// dahuaChallengeUser is the user name of the first login step. The device
// answers any first step with its challenge (realm, random, encryption);
// camsweep sends an empty password and never the second step, so no login
// is attempted or completed.
const dahuaChallengeUser = "admin"

// DahuaProber sends the first step of the Dahua web login (global.login with
// an empty password) to POST /RPC2_Login and records the challenge: the
// realm, which on Dahua firmware reads "Login to <serial>", and the
// encryption scheme. It never sends a password or a second step.
type DahuaProber struct {
	log zerolog.Logger
	// RequestTimeout caps each request; the context deadline still wins.
	RequestTimeout time.Duration
}

// NewDahuaProber returns the "dahua" prober.
func NewDahuaProber(log zerolog.Logger) *DahuaProber {
	return &DahuaProber{log: log.With().Str("probe", "dahua").Logger(), RequestTimeout: defaultTimeout}
}

// Name implements Prober.
func (p *DahuaProber) Name() string { return "dahua" }

// Probe implements Prober.
func (p *DahuaProber) Probe(ctx context.Context, t scanner.Target, emit scanner.Emit) error {
	return runVendorHTTP(ctx, t, p.Name(), p.RequestTimeout, emit, p.ask)
}

// dahuaFirstStep is the body of the challenge request; the password stays
// empty by construction.
var dahuaFirstStep = mustJSON(map[string]any{
	"method": "global.login",
	"params": map[string]string{
		"userName":   dahuaChallengeUser,
		"password":   "",
		"clientType": "Web3.0",
		"loginType":  "Direct",
	},
	"id": 1,
})

func (p *DahuaProber) ask(ctx context.Context, f *httpFetcher, base *url.URL, sink *value.Sink) bool {
	u := base.ResolveReference(&url.URL{Path: dahuaLoginPath})
	a, err := f.do(ctx, http.MethodPost, u, dahuaFirstStep, "application/json", maxBodyBytes)
	if err != nil {
		logNoAnswer(p.log, base, err)
		return false
	}
	ch, err := parseDahuaChallenge(a.body)
	if err != nil {
		logNoAnswer(p.log, base, err)
		return false
	}
	sink.Add("dahua.rpc2.realm", ch.Realm)
	sink.Add("dahua.rpc2.serial", ch.Serial)
	sink.Add("dahua.rpc2.encryption", ch.Encryption)
	sink.Add("mac", ch.MAC)
	return true
}

// dahuaChallenge is what the first login step reveals.
type dahuaChallenge struct {
	Realm      string
	Serial     string // from a realm of the form "Login to <serial>"
	Encryption string
	MAC        string // lower-case colon form, when the device includes it
}

// dahuaLoginAnswer is the JSON-RPC answer to global.login. The challenge
// comes with result false and error code 268632079 ("login challenge");
// older firmware omits the error object.
type dahuaLoginAnswer struct {
	Error *struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	} `json:"error"`
	Params struct {
		Realm      string `json:"realm"`
		Random     string `json:"random"`
		Encryption string `json:"encryption"`
		MAC        string `json:"mac"`
	} `json:"params"`
}

var errNoDahuaChallenge = errors.New("no login challenge in answer")

// parseDahuaChallenge reads the answer to the first login step. An answer
// without a realm (a 404 page, someone else's JSON) is an error.
func parseDahuaChallenge(b []byte) (dahuaChallenge, error) {
	var ans dahuaLoginAnswer
	if err := json.Unmarshal(b, &ans); err != nil {
		return dahuaChallenge{}, errorf("dahua", "challenge: %w", err)
	}
	if ans.Params.Realm == "" {
		return dahuaChallenge{}, errorf("dahua", "challenge: %w", errNoDahuaChallenge)
	}
	ch := dahuaChallenge{
		Realm:      ans.Params.Realm,
		Encryption: ans.Params.Encryption,
		MAC:        value.MAC(ans.Params.MAC),
	}
	if s, ok := strings.CutPrefix(strings.TrimSpace(ans.Params.Realm), "Login to "); ok {
		if s = strings.TrimSpace(s); s != "" && !strings.ContainsAny(s, " \t") {
			ch.Serial = s
		}
	}
	return ch, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
