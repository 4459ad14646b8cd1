// Package kubeconfig turns the k3s.yaml of a server into a kubeconfig for the
// operator's machine and merges it into an existing one, through client-go's
// clientcmd (no hand-rolled YAML, no string replacement of "default").
// Nothing of k3s.yaml but the CA, the client certificate and key (or a
// token) reaches the result: a k3s.yaml with anything else is refused.
package kubeconfig

import (
	"errors"
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/clientcmd/api"
)

// Rewrite takes the k3s.yaml that host (a server, named in messages) holds
// and returns a kubeconfig built from scratch: one cluster, user and context
// all named clusterName, current-context clusterName, the server URL made
// from server, and from k3s.yaml only the CA certificates and the client
// certificate and key (or a token), each checked to parse. A k3s.yaml
// holding anything else (an exec or auth-provider plugin, a proxy-url, file
// paths, insecure-skip-tls-verify, more entries, extensions...) is refused
// with a *RefusedError.
//
// server may be a host ("10.0.0.5", "pi-01.local", "fd00::5"), host:port
// ("10.0.0.5:6443", "[fd00::5]:6443") or a full https URL; the port defaults to
// 6443.
func Rewrite(k3sYAML []byte, host, clusterName, server string) ([]byte, error) {
	if clusterName == "" {
		return nil, errors.New("rewrite kubeconfig: empty cluster name")
	}
	url, err := ServerURL(server)
	if err != nil {
		return nil, fmt.Errorf("rewrite kubeconfig: %w", err)
	}
	source := "k3s.yaml on " + host
	src, err := clientcmd.Load(k3sYAML)
	if err != nil {
		return nil, fmt.Errorf("%s does not parse as a kubeconfig: %w", source, err)
	}
	cr, err := allowed(src, source)
	if err != nil {
		return nil, err
	}
	b, err := clientcmd.Write(*build(cr, clusterName, url))
	if err != nil {
		return nil, fmt.Errorf("rewrite kubeconfig: encode: %w", err)
	}
	return b, nil
}

// build is the kubeconfig of cr, every entry named name.
func build(cr credentials, name, url string) *api.Config {
	out := api.NewConfig()
	cluster := api.NewCluster()
	cluster.Server, cluster.CertificateAuthorityData = url, cr.caData
	user := api.NewAuthInfo()
	user.ClientCertificateData, user.ClientKeyData, user.Token = cr.certData, cr.keyData, cr.token
	out.Clusters[name] = cluster
	out.AuthInfos[name] = user
	out.Contexts[name] = &api.Context{Cluster: name, AuthInfo: name}
	out.CurrentContext = name
	return out
}

// Merge returns existing with the clusters, users and contexts of add merged in:
// an entry of add replaces the entry of the same name in existing (so a stale CA
// or client certificate of a rebuilt cluster goes away), everything else of
// existing is kept. current-context becomes add's only when switchContext is
// true or existing had none. existing may be empty (no kubeconfig yet).
func Merge(existing, add []byte, switchContext bool) ([]byte, error) {
	dst, err := clientcmd.Load(existing)
	if err != nil {
		return nil, fmt.Errorf("merge kubeconfig: parse existing config: %w", err)
	}
	src, err := clientcmd.Load(add)
	if err != nil {
		return nil, fmt.Errorf("merge kubeconfig: parse new config: %w", err)
	}
	if len(src.Contexts) == 0 {
		return nil, errors.New("merge kubeconfig: the new config has no context")
	}
	if _, err := allowed(src, "the kubeconfig to merge"); err != nil {
		return nil, fmt.Errorf("merge kubeconfig: %w", err)
	}
	for name, c := range src.Clusters {
		dst.Clusters[name] = c
	}
	for name, u := range src.AuthInfos {
		dst.AuthInfos[name] = u
	}
	for name, c := range src.Contexts {
		dst.Contexts[name] = c
	}
	if switchContext || dst.CurrentContext == "" {
		if src.CurrentContext == "" || src.Contexts[src.CurrentContext] == nil {
			return nil, errors.New("merge kubeconfig: the new config has no current-context to switch to")
		}
		dst.CurrentContext = src.CurrentContext
	}
	b, err := clientcmd.Write(*dst)
	if err != nil {
		return nil, fmt.Errorf("merge kubeconfig: encode: %w", err)
	}
	return b, nil
}
