// Package kubeconfig turns the k3s.yaml of a server into a kubeconfig for the
// operator's machine and merges it into an existing one, through client-go's
// clientcmd so that every field survives (no hand-rolled YAML, no string
// replacement of "default").
package kubeconfig

import (
	"errors"
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/clientcmd/api"
)

// Rewrite takes the k3s.yaml of a server (cluster, user and context all named
// "default", server https://127.0.0.1:6443) and returns a kubeconfig whose
// cluster, user and context are all named clusterName, whose server is server,
// and whose current-context is clusterName.
//
// server may be a host ("10.0.0.5", "pi-01.local", "fd00::5"), host:port
// ("10.0.0.5:6443", "[fd00::5]:6443") or a full https URL; the port defaults to
// 6443.
func Rewrite(k3sYAML []byte, clusterName, server string) ([]byte, error) {
	if clusterName == "" {
		return nil, errors.New("rewrite kubeconfig: empty cluster name")
	}
	url, err := ServerURL(server)
	if err != nil {
		return nil, fmt.Errorf("rewrite kubeconfig: %w", err)
	}
	src, err := clientcmd.Load(k3sYAML)
	if err != nil {
		return nil, fmt.Errorf("rewrite kubeconfig: parse k3s.yaml: %w", err)
	}
	ctx, err := sourceContext(src)
	if err != nil {
		return nil, fmt.Errorf("rewrite kubeconfig: k3s.yaml: %w", err)
	}
	cluster := src.Clusters[ctx.Cluster].DeepCopy()
	cluster.Server = url
	cluster.LocationOfOrigin = ""
	user := src.AuthInfos[ctx.AuthInfo].DeepCopy()
	user.LocationOfOrigin = ""

	out := api.NewConfig()
	out.Clusters[clusterName] = cluster
	out.AuthInfos[clusterName] = user
	out.Contexts[clusterName] = &api.Context{Cluster: clusterName, AuthInfo: clusterName, Namespace: ctx.Namespace,
		Extensions: ctx.DeepCopy().Extensions}
	out.CurrentContext = clusterName
	b, err := clientcmd.Write(*out)
	if err != nil {
		return nil, fmt.Errorf("rewrite kubeconfig: encode: %w", err)
	}
	return b, nil
}

// sourceContext picks the context of k3s.yaml to export: the current one, else
// the only one; without contexts, the only cluster and the only user. It checks
// that the cluster and user it names exist.
func sourceContext(c *api.Config) (*api.Context, error) {
	ctx := c.Contexts[c.CurrentContext]
	if ctx == nil && len(c.Contexts) == 1 {
		for _, only := range c.Contexts {
			ctx = only
		}
	}
	if ctx == nil && len(c.Contexts) == 0 && len(c.Clusters) == 1 && len(c.AuthInfos) == 1 {
		ctx = &api.Context{}
		for name := range c.Clusters {
			ctx.Cluster = name
		}
		for name := range c.AuthInfos {
			ctx.AuthInfo = name
		}
	}
	switch {
	case len(c.Clusters) == 0:
		return nil, errors.New("no cluster in it")
	case len(c.AuthInfos) == 0:
		return nil, errors.New("no user in it")
	case ctx == nil:
		return nil, fmt.Errorf("%d contexts and no current-context: cannot tell which one to export", len(c.Contexts))
	case c.Clusters[ctx.Cluster] == nil:
		return nil, fmt.Errorf("context names cluster %q, which is not in it", ctx.Cluster)
	case c.AuthInfos[ctx.AuthInfo] == nil:
		return nil, fmt.Errorf("context names user %q, which is not in it", ctx.AuthInfo)
	}
	return ctx, nil
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
