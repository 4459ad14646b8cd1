package fleet

import (
	"crypto/ecdsa"
	"crypto/ed25519"
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
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// writeKey creates the fleet's ed25519 key pair (id_ed25519, id_ed25519.pub).
func (f *Fleet) writeKey() error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate fleet key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "k3sup-pi fleet "+f.Name)
	if err != nil {
		return fmt.Errorf("encode fleet key: %w", err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return fmt.Errorf("encode fleet public key: %w", err)
	}
	if err := os.WriteFile(f.KeyPath, pem.EncodeToMemory(block), 0o600); err != nil {
		return fmt.Errorf("write fleet key: %w", err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " k3sup-pi-fleet-" + f.Name + "\n"
	if err := os.WriteFile(f.KeyPath+".pub", []byte(line), 0o644); err != nil {
		return fmt.Errorf("write fleet public key: %w", err)
	}
	return nil
}

// authorizedKey returns the fleet public key as an authorized_keys line.
func (f *Fleet) authorizedKey() ([]byte, error) {
	b, err := os.ReadFile(f.KeyPath + ".pub")
	if err != nil {
		return nil, fmt.Errorf("read fleet public key: %w", err)
	}
	return b, nil
}

// writeKnownHosts writes the known_hosts lines of every host from keys, each
// being the host's own public host keys, read out of band (docker exec).
func (f *Fleet) writeKnownHosts(keys []string) error {
	var b strings.Builder
	for i, h := range f.All() {
		names := h.Addr
		if h.alias != "" {
			names = h.alias + "," + h.Addr
		}
		for _, key := range lines(keys[i]) {
			fields := strings.Fields(key)
			if len(fields) < 2 {
				return fmt.Errorf("host %s: bad host key %q", h.Name, key)
			}
			fmt.Fprintf(&b, "%s %s %s\n", names, fields[0], fields[1])
		}
	}
	if err := os.WriteFile(f.KnownHostsPath, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write known_hosts: %w", err)
	}
	return nil
}

// writeCA creates the fleet CA and a server certificate for the mirror
// (DNS name "mirror" and its address) in the state dir.
func (f *Fleet) writeCA() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate fleet CA key: %w", err)
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "k3sup-pi fleet " + f.Name + " CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("create fleet CA: %w", err)
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		return fmt.Errorf("parse fleet CA: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate mirror key: %w", err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "mirror"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(5 * 365 * 24 * time.Hour),
		DNSNames: []string{"mirror"}, IPAddresses: []net.IP{net.ParseIP(f.Mirror.Addr)},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("create mirror certificate: %w", err)
	}
	if err := writePEM(f.CAPath, "CERTIFICATE", caDER, 0o644); err != nil {
		return err
	}
	if err := writeECKey(filepath.Join(f.Dir, "ca.key"), caKey); err != nil {
		return err
	}
	if err := writePEM(filepath.Join(f.Dir, "mirror.crt"), "CERTIFICATE", leafDER, 0o644); err != nil {
		return err
	}
	return writeECKey(filepath.Join(f.Dir, "mirror.key"), key)
}

func writeECKey(path string, k *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	return writePEM(path, "EC PRIVATE KEY", der, 0o600)
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	b := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, b, mode); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}
