package kubeconfig

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"k8s.io/client-go/tools/clientcmd/api"
)

// userCredentials takes the client certificate and key, or the token, of u
// (whose other fields were checked to be empty).
func userCredentials(u api.AuthInfo, field string, refuse func(field, what, why string) error) (credentials, error) {
	hasCert := len(u.ClientCertificateData) > 0 || len(u.ClientKeyData) > 0
	switch {
	case hasCert && u.Token != "":
		return credentials{}, refuse(field+".token", "has both a client certificate and a token", "k3s writes a certificate only")
	case u.Token != "":
		if strings.TrimSpace(u.Token) != u.Token || strings.ContainsFunc(u.Token, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
			return credentials{}, refuse(field+".token", "has a token with spaces or control characters", "a bearer token is printable ASCII")
		}
		return credentials{token: u.Token}, nil
	case len(u.ClientCertificateData) == 0:
		return credentials{}, refuse(field+".client-certificate-data", "has no client certificate and no token", "k3s writes the admin's certificate there")
	case len(u.ClientKeyData) == 0:
		return credentials{}, refuse(field+".client-key-data", "has a client certificate without its key", "k3s writes the admin's key there")
	}
	cert, err := pemCertificates(u.ClientCertificateData)
	if err != nil {
		return credentials{}, refuse(field+".client-certificate-data", "has a client certificate that is not a PEM certificate: "+err.Error(),
			"k3s writes the admin's certificate there")
	}
	key, err := pemPrivateKey(u.ClientKeyData)
	if err != nil {
		return credentials{}, refuse(field+".client-key-data", "has a client key that is not a PEM private key: "+err.Error(),
			"k3s writes the admin's key there")
	}
	if _, err := tls.X509KeyPair(cert, key); err != nil {
		return credentials{}, refuse(field+".client-key-data", "has a client key that does not match its certificate",
			"k3s writes the admin's key pair there")
	}
	return credentials{certData: cert, keyData: key}, nil
}

// pemCertificates checks that b is one or more PEM certificates and nothing
// else, and returns them re-encoded (without text around or headers).
func pemCertificates(b []byte) ([]byte, error) {
	var out bytes.Buffer
	rest := bytes.TrimSpace(b)
	for len(rest) > 0 {
		if !bytes.HasPrefix(rest, []byte("-----BEGIN ")) {
			return nil, errors.New("text outside a PEM block")
		}
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return nil, errors.New("a broken PEM block")
		}
		if blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("a %q PEM block", blk.Type)
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return nil, fmt.Errorf("a certificate that does not parse: %w", err)
		}
		_ = pem.Encode(&out, &pem.Block{Type: blk.Type, Bytes: blk.Bytes})
		rest = bytes.TrimSpace(rest)
	}
	if out.Len() == 0 {
		return nil, errors.New("empty")
	}
	return out.Bytes(), nil
}

// pemPrivateKey checks that b is exactly one PEM private key (PKCS#8, PKCS#1
// RSA or SEC 1 EC) and returns it re-encoded.
func pemPrivateKey(b []byte) ([]byte, error) {
	rest := bytes.TrimSpace(b)
	if !bytes.HasPrefix(rest, []byte("-----BEGIN ")) {
		return nil, errors.New("text outside a PEM block")
	}
	blk, rest := pem.Decode(rest)
	if blk == nil {
		return nil, errors.New("a broken PEM block")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("more than one PEM block")
	}
	var err error
	switch blk.Type {
	case "PRIVATE KEY":
		_, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	case "RSA PRIVATE KEY":
		_, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY":
		_, err = x509.ParseECPrivateKey(blk.Bytes)
	default:
		return nil, fmt.Errorf("a %q PEM block", blk.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("a key that does not parse: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: blk.Type, Bytes: blk.Bytes}), nil
}
