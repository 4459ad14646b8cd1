package kubeconfig

import (
	"fmt"
	"reflect"
	"strings"

	"k8s.io/client-go/tools/clientcmd/api"
)

// RefusedError is a kubeconfig that holds something k3sup-pi does not copy
// into the operator's files. k3s writes k3s.yaml with exactly one cluster
// (certificate-authority-data and server), one user (client-certificate-data
// and client-key-data) and one context, all named "default" (k3s
// pkg/clientaccess/kubeconfig.go, WriteClientKubeConfig); anything else was
// put there by someone else, and some of it (an exec plugin, an
// auth-provider, a file path, a proxy) would act on the operator's machine.
type RefusedError struct {
	Source string // "k3s.yaml on pi-01"
	Field  string // where, e.g. users["default"].user.exec
	What   string // "has an exec credential plugin"
	Why    string // "k3s never writes one"
}

// Error names the source, what is wrong and where.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s %s (%s); %s — refusing to copy it to your kubeconfig", e.Source, e.What, e.Field, e.Why)
}

// credentials are all that is taken from a k3s.yaml.
type credentials struct {
	caData, certData, keyData []byte
	token                     string
}

const (
	never     = "k3s never writes one"
	neverThat = "k3s never writes that"
)

// allowed checks c against the allowlist and returns its credentials, with
// every certificate and key parsed and re-encoded.
func allowed(c *api.Config, source string) (credentials, error) {
	refuse := func(field, what, why string) error {
		return &RefusedError{Source: source, Field: field, What: what, Why: why}
	}
	switch {
	case len(c.Clusters) != 1:
		return credentials{}, refuse("clusters", fmt.Sprintf("has %d clusters", len(c.Clusters)), "k3s writes exactly one")
	case len(c.AuthInfos) != 1:
		return credentials{}, refuse("users", fmt.Sprintf("has %d users", len(c.AuthInfos)), "k3s writes exactly one")
	case len(c.Contexts) > 1:
		return credentials{}, refuse("contexts", fmt.Sprintf("has %d contexts", len(c.Contexts)), "k3s writes exactly one")
	}
	top := *c
	top.Kind, top.APIVersion, top.Clusters, top.AuthInfos, top.Contexts, top.CurrentContext = "", "", nil, nil, nil, ""
	if key := leftover(top); key != "" {
		return credentials{}, refuse(key, "has "+key, neverThat)
	}
	clusterName, cluster := only(c.Clusters)
	userName, user := only(c.AuthInfos)
	if err := checkContext(c, clusterName, userName, refuse); err != nil {
		return credentials{}, err
	}
	if cluster == nil || user == nil {
		return credentials{}, refuse("clusters", "has an empty cluster or user", "k3s writes neither")
	}
	ca, err := checkCluster(*cluster, fmt.Sprintf("clusters[%q].cluster", clusterName), refuse)
	if err != nil {
		return credentials{}, err
	}
	cr, err := checkUser(*user, fmt.Sprintf("users[%q].user", userName), refuse)
	cr.caData = ca
	return cr, err
}

// checkContext accepts no context, or one naming the only cluster and user
// and nothing else; current-context, when set, must name it.
func checkContext(c *api.Config, cluster, user string, refuse func(field, what, why string) error) error {
	name, ctx := only(c.Contexts)
	if ctx == nil {
		if c.CurrentContext != "" {
			return refuse("current-context", "names a context it does not have", "k3s sets it to its one context")
		}
		return nil
	}
	field := fmt.Sprintf("contexts[%q].context", name)
	switch {
	case c.CurrentContext != "" && c.CurrentContext != name:
		return refuse("current-context", "names a context it does not have", "k3s sets it to its one context")
	case ctx.Cluster != cluster:
		return refuse(field+".cluster", "has a context for another cluster", "k3s writes one context for its one cluster")
	case ctx.AuthInfo != user:
		return refuse(field+".user", "has a context for another user", "k3s writes one context for its one user")
	case ctx.Namespace != "":
		return refuse(field+".namespace", "sets a namespace", "k3s never sets one")
	}
	rest := *ctx
	rest.LocationOfOrigin, rest.Cluster, rest.AuthInfo = "", "", ""
	if key := leftover(rest); key != "" {
		return refuse(field+"."+key, "has "+key+" in its context", neverThat)
	}
	return nil
}

// checkCluster accepts certificate-authority-data (PEM certificates) and a
// server, which is replaced anyway.
func checkCluster(cl api.Cluster, field string, refuse func(field, what, why string) error) ([]byte, error) {
	for _, r := range []struct {
		set       bool
		key, what string
	}{
		{cl.InsecureSkipTLSVerify, "insecure-skip-tls-verify", "turns TLS verification off"},
		{cl.ProxyURL != "", "proxy-url", "sends API traffic through a proxy"},
		{cl.TLSServerName != "", "tls-server-name", "overrides the server name checked in TLS"},
		{cl.CertificateAuthority != "", "certificate-authority", "names a CA file (a path on your machine)"},
	} {
		if r.set {
			return nil, refuse(field+"."+r.key, r.what, "k3s never sets it")
		}
	}
	rest := cl
	rest.LocationOfOrigin, rest.Server, rest.CertificateAuthorityData = "", "", nil
	if key := leftover(rest); key != "" {
		return nil, refuse(field+"."+key, "has "+key, neverThat)
	}
	ca, err := pemCertificates(cl.CertificateAuthorityData)
	if err != nil {
		return nil, refuse(field+".certificate-authority-data", "has a CA that is not a PEM certificate: "+err.Error(),
			"k3s writes its server CA there")
	}
	return ca, nil
}

// checkUser accepts client-certificate-data with client-key-data, or a token.
func checkUser(u api.AuthInfo, field string, refuse func(field, what, why string) error) (credentials, error) {
	for _, r := range []struct {
		set       bool
		key, what string
	}{
		{u.Exec != nil, "exec", "has an exec credential plugin"},
		{u.AuthProvider != nil, "auth-provider", "has an auth-provider plugin"},
		{u.TokenFile != "", "tokenFile", "names a token file (a path on your machine)"},
		{u.ClientCertificate != "", "client-certificate", "names a client certificate file (a path on your machine)"},
		{u.ClientKey != "", "client-key", "names a client key file (a path on your machine)"},
		{u.Impersonate != "" || u.ImpersonateUID != "" || len(u.ImpersonateGroups) > 0 || len(u.ImpersonateUserExtra) > 0,
			"as", "impersonates another user"},
		{u.Username != "" || u.Password != "", "username", "has a basic-auth username or password"},
	} {
		if r.set {
			return credentials{}, refuse(field+"."+r.key, r.what, never)
		}
	}
	rest := u
	rest.LocationOfOrigin, rest.ClientCertificateData, rest.ClientKeyData, rest.Token = "", nil, nil, ""
	if key := leftover(rest); key != "" {
		return credentials{}, refuse(field+"."+key, "has "+key, neverThat)
	}
	return userCredentials(u, field, refuse)
}

// only returns the one entry of m (nil when m is empty).
func only[T any](m map[string]*T) (string, *T) {
	for k, v := range m {
		return k, v
	}
	return "", nil
}

// leftover returns the YAML name of the first field of the struct v that is
// set, "" when none is: whatever the allowlist did not take out.
func leftover(v any) string {
	rv := reflect.ValueOf(v)
	for i := 0; i < rv.NumField(); i++ {
		if !empty(rv.Field(i)) {
			name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				name = rv.Type().Field(i).Name
			}
			return name
		}
	}
	return ""
}

// empty is reflect's IsZero, with empty maps and slices counted as empty.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Map, reflect.Slice:
		return v.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return v.IsNil() || empty(v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if !empty(v.Field(i)) {
				return false
			}
		}
		return true
	}
	return v.IsZero()
}
