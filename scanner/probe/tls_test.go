package probe

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"reflect"
	"testing"
	"time"
)

// negativeSerialCert builds a certificate Go's x509 parser refuses (a
// negative serial, as some embedded devices issue) but whose names and
// validity are well formed.
func negativeSerialCert(t testing.TB) []byte {
	t.Helper()
	name := func(cn, o string) asn1.RawValue {
		b, err := asn1.Marshal(pkix.Name{CommonName: cn, Organization: []string{o}}.ToRDNSequence())
		if err != nil {
			t.Fatal(err)
		}
		return asn1.RawValue{FullBytes: b}
	}
	type validity struct{ NotBefore, NotAfter time.Time }
	type tbs struct {
		Version  int `asn1:"optional,explicit,default:0,tag:0"`
		Serial   *big.Int
		SigAlg   pkix.AlgorithmIdentifier
		Issuer   asn1.RawValue
		Validity validity
		Subject  asn1.RawValue
		SPKI     asn1.RawValue
	}
	type cert struct {
		TBS    tbs
		SigAlg pkix.AlgorithmIdentifier
		Sig    asn1.BitString
	}
	alg := pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}}
	der, err := asn1.Marshal(cert{
		TBS: tbs{
			Version:  2,
			Serial:   big.NewInt(-1),
			SigAlg:   alg,
			Issuer:   name("DVR CA", "Dahua"),
			Validity: validity{time.Date(2019, 5, 6, 7, 8, 9, 0, time.UTC), time.Date(2039, 5, 6, 7, 8, 9, 0, time.UTC)},
			Subject:  name("NVR", "Dahua"),
			SPKI:     asn1.RawValue{Tag: asn1.TagSequence, Class: asn1.ClassUniversal, IsCompound: true, Bytes: []byte{0x05, 0x00}},
		},
		SigAlg: alg,
		Sig:    asn1.BitString{Bytes: []byte{1, 2, 3}, BitLength: 24},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParseCertificate(der); err == nil {
		t.Fatal("test certificate unexpectedly parses strictly; the fallback is not exercised")
	}
	return der
}

func TestSummarizeCertificate(t *testing.T) {
	_, leaf := bannerCert(t)
	tests := []struct {
		name    string
		der     []byte
		want    certSummary
		wantErr bool
	}{
		{
			name: "well formed, subject kept in device order",
			der:  leaf.Raw,
			want: certSummary{
				Subject:   "CN=192.168.1.64,O=Hikvision,C=CN",
				Issuer:    "CN=192.168.1.64,O=Hikvision,C=CN",
				SANs:      []string{"ipc.local", "192.168.1.64"},
				NotBefore: time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC),
				NotAfter:  time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
			},
		},
		{
			name: "strict parser refuses, lenient fallback reads names",
			der:  negativeSerialCert(t),
			want: certSummary{
				Subject:   "CN=NVR,O=Dahua",
				Issuer:    "CN=DVR CA,O=Dahua",
				NotBefore: time.Date(2019, 5, 6, 7, 8, 9, 0, time.UTC),
				NotAfter:  time.Date(2039, 5, 6, 7, 8, 9, 0, time.UTC),
			},
		},
		{name: "garbage", der: []byte("not a certificate"), wantErr: true},
		{name: "empty", der: nil, wantErr: true},
		{name: "trailing bytes", der: append(append([]byte{}, leaf.Raw...), 0), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := summarizeCertificate(tc.der)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("summary = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func FuzzSummarizeCertificate(f *testing.F) {
	_, leaf := bannerCert(f)
	f.Add(leaf.Raw)
	f.Add(negativeSerialCert(f))
	f.Add([]byte{0x30, 0x03, 0x30, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		s, err := summarizeCertificate(der)
		if err != nil {
			return
		}
		if len(s.SANs) > maxSANs {
			t.Fatalf("%d SANs", len(s.SANs))
		}
	})
}
