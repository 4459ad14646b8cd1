// Package kctest makes k3s.yaml files for tests: a throwaway cluster CA and
// admin client certificate, in the shape k3s writes them.
package kctest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/clientcmd/api"
)

// PKI is a CA certificate and an admin client certificate and key, as PEM.
type PKI struct {
	CA, Cert, Key []byte
}

// NewPKI makes a fresh PKI (ECDSA P-256, as k3s uses).
func NewPKI(t testing.TB) PKI {
	t.Helper()
	caKey := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "k3s-server-ca@1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key := newKey(t)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "system:admin", Organization: []string{"system:masters"}},
		NotBefore: tmpl.NotBefore, NotAfter: tmpl.NotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }
	// k3s's client-admin.crt holds the client certificate and its CA.
	return PKI{
		CA:   enc("CERTIFICATE", caDER),
		Cert: append(enc("CERTIFICATE", der), enc("CERTIFICATE", caDER)...),
		Key:  enc("EC PRIVATE KEY", keyDER),
	}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Config is the k3s.yaml k3s writes for p: cluster, user and context all
// named "default", server https://127.0.0.1:6443 (k3s
// pkg/clientaccess/kubeconfig.go, WriteClientKubeConfig).
func (p PKI) Config() *api.Config {
	c := api.NewConfig()
	cl := api.NewCluster()
	cl.Server, cl.CertificateAuthorityData = "https://127.0.0.1:6443", p.CA
	u := api.NewAuthInfo()
	u.ClientCertificateData, u.ClientKeyData = p.Cert, p.Key
	ctx := api.NewContext()
	ctx.Cluster, ctx.AuthInfo = "default", "default"
	c.Clusters["default"], c.AuthInfos["default"], c.Contexts["default"] = cl, u, ctx
	c.CurrentContext = "default"
	return c
}

// YAML encodes c.
func YAML(t testing.TB, c *api.Config) []byte {
	t.Helper()
	b, err := clientcmd.Write(*c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
