package cluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// AdminUser and AdminGroup are the identity of the client certificate that
// the kubeconfig, Kubectl and Do use. system:masters bypasses RBAC.
const (
	AdminUser  = "kubechain-admin"
	AdminGroup = "system:masters"
)

// pki holds the paths of the generated key material, all in one folder.
type pki struct {
	caCert, caKey         string // the CA that signs the serving and client certificates
	servingCert, servKey  string // for 127.0.0.1, ::1 and localhost
	clientCert, clientKey string // AdminUser in AdminGroup
	saKey, saPub          string // service-account token signing key pair

	caPEM, clientCertPEM, clientKeyPEM []byte
}

// genPKI writes a fresh CA, a serving certificate, an admin client
// certificate and a service-account key pair into dir.
func genPKI(dir string) (*pki, error) {
	p := &pki{
		caCert:      filepath.Join(dir, "ca.crt"),
		caKey:       filepath.Join(dir, "ca.key"),
		servingCert: filepath.Join(dir, "serving.crt"),
		servKey:     filepath.Join(dir, "serving.key"),
		clientCert:  filepath.Join(dir, "admin.crt"),
		clientKey:   filepath.Join(dir, "admin.key"),
		saKey:       filepath.Join(dir, "sa.key"),
		saPub:       filepath.Join(dir, "sa.pub"),
	}
	now := time.Now()
	notBefore, notAfter := now.Add(-time.Hour), now.Add(7*24*time.Hour)

	caKey, err := newKey()
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "kubechain-test-ca"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, caCert, err := sign(caTmpl, nil, caKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	p.caPEM = pemCert(caDER)

	servKey, err := newKey()
	if err != nil {
		return nil, err
	}
	servDER, _, err := sign(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default",
			"kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, net.ParseIP(serviceIP)},
	}, caCert, servKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}

	clientKey, err := newKey()
	if err != nil {
		return nil, err
	}
	clientDER, _, err := sign(&x509.Certificate{
		Subject:     pkix.Name{CommonName: AdminUser, Organization: []string{AdminGroup}},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, caCert, clientKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	p.clientCertPEM = pemCert(clientDER)
	if p.clientKeyPEM, err = pemKey(clientKey); err != nil {
		return nil, err
	}

	saKey, err := newKey()
	if err != nil {
		return nil, err
	}
	saPubDER, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return nil, err
	}

	files := []struct {
		path string
		data func() ([]byte, error)
	}{
		{p.caCert, func() ([]byte, error) { return p.caPEM, nil }},
		{p.caKey, func() ([]byte, error) { return pemKey(caKey) }},
		{p.servingCert, func() ([]byte, error) { return pemCert(servDER), nil }},
		{p.servKey, func() ([]byte, error) { return pemKey(servKey) }},
		{p.clientCert, func() ([]byte, error) { return p.clientCertPEM, nil }},
		{p.clientKey, func() ([]byte, error) { return p.clientKeyPEM, nil }},
		{p.saKey, func() ([]byte, error) { return pemKey(saKey) }},
		{p.saPub, func() ([]byte, error) {
			return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPubDER}), nil
		}},
	}
	for _, f := range files {
		b, err := f.data()
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(f.path, b, 0o600); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func newKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// sign issues tmpl for pub, signed by parent/parentKey, or self-signed when
// parent is nil. It fills in the serial number.
func sign(tmpl, parent *x509.Certificate, pub crypto.PublicKey, parentKey crypto.Signer) ([]byte, *x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return der, cert, err
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func pemKey(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}
