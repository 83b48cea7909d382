package scantest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"time"
)

// tlsConfig makes the persona's certificate: self-signed when IssuerCN is
// empty, else signed by a throwaway issuer carrying IssuerCN, because some
// makers ship a device certificate under a factory CA name and the scanner
// records subject and issuer separately. Keys are ECDSA P-256 so that a
// network of fifty hosts starts in milliseconds.
func tlsConfig(spec CertSpec, addr netip.Addr) (*tls.Config, error) {
	subject := pkix.Name{CommonName: spec.CommonName}
	if spec.Organization != "" {
		subject.Organization = []string{spec.Organization}
	}
	if spec.OrgUnit != "" {
		subject.OrganizationalUnit = []string{spec.OrgUnit}
	}
	if spec.Country != "" {
		subject.Country = []string{spec.Country}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("scantest: certificate: %w", err)
	}
	// Devices make their certificate at first boot and keep it for a decade.
	notBefore := time.Now().Add(-24 * time.Hour).Truncate(time.Hour)
	leaf := &x509.Certificate{
		SerialNumber: randSerial(),
		Subject:      subject,
		NotBefore:    notBefore,
		NotAfter:     notBefore.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     spec.DNSNames,
		IPAddresses:  []net.IP{addr.AsSlice()},
	}
	parent, signer := leaf, key
	if spec.IssuerCN != "" && spec.IssuerCN != spec.CommonName {
		caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("scantest: certificate: %w", err)
		}
		issuer := subject
		issuer.CommonName = spec.IssuerCN
		parent = &x509.Certificate{
			SerialNumber:          randSerial(),
			Subject:               issuer,
			NotBefore:             notBefore,
			NotAfter:              notBefore.AddDate(20, 0, 0),
			KeyUsage:              x509.KeyUsageCertSign,
			BasicConstraintsValid: true,
			IsCA:                  true,
		}
		signer = caKey
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, parent, &key.PublicKey, signer)
	if err != nil {
		return nil, fmt.Errorf("scantest: certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
	}, nil
}

func randSerial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	return n
}
