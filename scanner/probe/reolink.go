package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/rs/zerolog"
)

// reolinkDevInfoPath asks the Reolink CGI API for device information
// without a token. Locked devices answer rspCode -6 "please login first";
// the answer's shape alone tells a Reolink API.
const reolinkDevInfoPath = "/api.cgi?cmd=GetDevInfo"

// ReolinkProber asks GET /api.cgi?cmd=GetDevInfo, without a token.
type ReolinkProber struct {
	log zerolog.Logger
	// RequestTimeout caps each request; the context deadline still wins.
	RequestTimeout time.Duration
}

// NewReolinkProber returns the "reolink" prober.
func NewReolinkProber(log zerolog.Logger) *ReolinkProber {
	return &ReolinkProber{log: log.With().Str("probe", "reolink").Logger(), RequestTimeout: defaultTimeout}
}

// Name implements Prober.
func (p *ReolinkProber) Name() string { return "reolink" }

// Probe implements Prober.
func (p *ReolinkProber) Probe(ctx context.Context, t scanner.Target, emit scanner.Emit) error {
	return runVendorHTTP(ctx, t, p.Name(), p.RequestTimeout, emit, p.ask)
}

func (p *ReolinkProber) ask(ctx context.Context, f *httpFetcher, base *url.URL, sink *value.Sink) bool {
	a, err := f.get(ctx, base, reolinkDevInfoPath, maxBodyBytes)
	if err != nil {
		logNoAnswer(p.log, base, err)
		return false
	}
	ans, err := parseReolinkAnswer(a.body)
	if err != nil {
		logNoAnswer(p.log, base, err)
		return false
	}
	sink.Add("reolink.api.code", ans.Code)
	sink.Add("reolink.api.detail", ans.Detail)
	sink.Add("reolink.model", ans.Model)
	sink.Add("reolink.firmware", ans.Firmware)
	sink.Add("reolink.serial", ans.Serial)
	return true
}

// reolinkAnswer is what GetDevInfo said. Code is the error's rspCode when
// the device refused (e.g. "-6"), else the command's code ("0" on success).
type reolinkAnswer struct {
	Code, Detail            string
	Model, Firmware, Serial string
}

// reolinkCmdAnswer is one element of the Reolink API's answer array.
type reolinkCmdAnswer struct {
	Cmd   string          `json:"cmd"`
	Code  json.RawMessage `json:"code"`
	Error *struct {
		Detail  string          `json:"detail"`
		RspCode json.RawMessage `json:"rspCode"`
	} `json:"error"`
	Value *struct {
		DevInfo *struct {
			Model   string `json:"model"`
			FirmVer string `json:"firmVer"`
			Serial  string `json:"serial"`
		} `json:"DevInfo"`
	} `json:"value"`
}

var errNotReolink = errorf("reolink", "answer is not a GetDevInfo answer")

// parseReolinkAnswer reads the answer to GetDevInfo: a JSON array of one
// command answer (some firmware sends the bare object). Only an answer that
// names the GetDevInfo command counts, so other JSON APIs give no evidence.
func parseReolinkAnswer(b []byte) (reolinkAnswer, error) {
	b = bytes.TrimSpace(b)
	var cmds []reolinkCmdAnswer
	if bytes.HasPrefix(b, []byte("{")) {
		cmds = make([]reolinkCmdAnswer, 1)
		if err := json.Unmarshal(b, &cmds[0]); err != nil {
			return reolinkAnswer{}, errorf("reolink", "answer: %w", err)
		}
	} else if err := json.Unmarshal(b, &cmds); err != nil {
		return reolinkAnswer{}, errorf("reolink", "answer: %w", err)
	}
	for _, c := range cmds {
		if c.Cmd != "GetDevInfo" {
			continue
		}
		ans := reolinkAnswer{Code: jsonScalar(c.Code)}
		if c.Error != nil {
			if rc := jsonScalar(c.Error.RspCode); rc != "" {
				ans.Code = rc
			}
			ans.Detail = c.Error.Detail
		}
		if c.Value != nil && c.Value.DevInfo != nil {
			ans.Model = c.Value.DevInfo.Model
			ans.Firmware = c.Value.DevInfo.FirmVer
			ans.Serial = c.Value.DevInfo.Serial
		}
		return ans, nil
	}
	return reolinkAnswer{}, errNotReolink
}
