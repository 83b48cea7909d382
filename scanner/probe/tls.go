package probe

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"time"

	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/rs/zerolog"
)

// maxSANs bounds the tls.san evidence of one certificate.
const maxSANs = 32

// certSummary is what a certificate says about its device: camera makers
// put the model, the maker or the factory IP in the subject and SANs.
type certSummary struct {
	Subject   string
	Issuer    string
	SANs      []string
	NotBefore time.Time
	NotAfter  time.Time
}

// summarizeCertificate reads a DER certificate. Embedded devices issue
// certificates that Go's strict parser refuses (negative serials, odd
// extensions, bad string types), so when x509.ParseCertificate fails it
// falls back to reading just the names and validity from the TBS structure.
func summarizeCertificate(der []byte) (certSummary, error) {
	if c, err := x509.ParseCertificate(der); err == nil {
		s := certSummary{
			Subject:   rdnString(c.RawSubject, c.Subject),
			Issuer:    rdnString(c.RawIssuer, c.Issuer),
			NotBefore: c.NotBefore.UTC(),
			NotAfter:  c.NotAfter.UTC(),
		}
		s.SANs = append(s.SANs, c.DNSNames...)
		for _, ip := range c.IPAddresses {
			s.SANs = append(s.SANs, ip.String())
		}
		if len(s.SANs) > maxSANs {
			s.SANs = s.SANs[:maxSANs]
		}
		return s, nil
	}
	return summarizeLenient(der)
}

// lenientCert is the prefix of a Certificate (RFC 5280 section 4.1) that the
// summary needs; the rest of the TBS is ignored rather than validated.
type lenientCert struct {
	TBS struct {
		Version  int `asn1:"optional,explicit,default:0,tag:0"`
		Serial   asn1.RawValue
		SigAlg   asn1.RawValue
		Issuer   asn1.RawValue
		Validity struct {
			NotBefore, NotAfter time.Time
		}
		Subject asn1.RawValue
	}
}

func summarizeLenient(der []byte) (certSummary, error) {
	var c lenientCert
	rest, err := asn1.Unmarshal(der, &c)
	if err != nil {
		return certSummary{}, errorf("tls", "certificate: %w", err)
	}
	if len(rest) > 0 {
		return certSummary{}, errorf("tls", "certificate: %w", errors.New("trailing data"))
	}
	return certSummary{
		Subject:   rdnString(c.TBS.Subject.FullBytes, pkix.Name{}),
		Issuer:    rdnString(c.TBS.Issuer.FullBytes, pkix.Name{}),
		NotBefore: c.TBS.Validity.NotBefore.UTC(),
		NotAfter:  c.TBS.Validity.NotAfter.UTC(),
	}, nil
}

// rdnString renders a DER Name in RFC 2253 form in the order the device
// wrote it (pkix.Name.String reorders attributes); parsed is the fallback
// when the raw name does not decode.
func rdnString(raw []byte, parsed pkix.Name) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &seq); err == nil && len(rest) == 0 {
		return seq.String()
	}
	return parsed.String()
}

// emitCertificate turns a leaf certificate into tls.* evidence.
func emitCertificate(sink *value.Sink, der []byte, log zerolog.Logger) {
	s, err := summarizeCertificate(der)
	if err != nil {
		log.Debug().Err(err).Msg("unreadable certificate")
		return
	}
	sink.Add("tls.subject", s.Subject)
	sink.Add("tls.issuer", s.Issuer)
	for _, san := range s.SANs {
		sink.Add("tls.san", san)
	}
	if !s.NotBefore.IsZero() {
		sink.Add("tls.not_before", s.NotBefore.Format(time.RFC3339))
	}
	if !s.NotAfter.IsZero() {
		sink.Add("tls.not_after", s.NotAfter.Format(time.RFC3339))
	}
}
