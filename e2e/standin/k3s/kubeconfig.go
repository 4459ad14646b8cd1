package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
)

const kubeconfigTemplate = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: %s
    server: %s
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: %s
    client-key-data: %s
`

// writeKubeconfig writes /etc/rancher/k3s/k3s.yaml with an admin client
// certificate signed by the cluster CA.
func (s *server) writeKubeconfig() error {
	certPEM, keyPEM, err := s.ca.issue("system:admin", []string{"system:masters"}, true, nil, nil)
	if err != nil {
		return err
	}
	host := "127.0.0.1"
	if s.cfg.BindAddress != "" && s.cfg.BindAddress != "0.0.0.0" {
		host = s.cfg.BindAddress
	}
	url := "https://" + net.JoinHostPort(host, strconv.Itoa(s.cfg.HTTPSPort))
	b64 := base64.StdEncoding.EncodeToString
	content := fmt.Sprintf(kubeconfigTemplate, b64(s.ca.certPEM), url, b64(certPEM), b64(keyPEM))
	mode := os.FileMode(0o600)
	if s.cfg.WriteKubeconfigMode != "" {
		m, err := strconv.ParseUint(s.cfg.WriteKubeconfigMode, 8, 32)
		if err != nil {
			return fmt.Errorf("invalid write-kubeconfig-mode: %w", err)
		}
		mode = os.FileMode(m)
	}
	if err := writeFileAtomic(kubeconfigPath(), []byte(content), mode); err != nil {
		return err
	}
	logf("info", "Wrote kubeconfig %s", kubeconfigPath())
	return nil
}

// quietLog drops the TLS handshake noise of probes and unverified
// /cacerts fetches from the server's error log.
func quietLog() *log.Logger {
	return log.New(filterWriter{w: os.Stderr}, "", 0)
}

type filterWriter struct{ w io.Writer }

func (f filterWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "TLS handshake error") {
		return len(p), nil
	}
	return f.w.Write(p)
}
