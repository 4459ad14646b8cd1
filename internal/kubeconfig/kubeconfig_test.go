package kubeconfig

import (
	"bytes"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/kubeconfig/kctest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/clientcmd/api"
)

// k3sYAML is a k3s.yaml as a server writes it for p.
func k3sYAML(t testing.TB, p kctest.PKI) []byte { return kctest.YAML(t, p.Config()) }

func load(t *testing.T, b []byte) *api.Config {
	t.Helper()
	c, err := clientcmd.Load(b)
	if err != nil {
		t.Fatalf("clientcmd.Load: %v\n%s", err, b)
	}
	return c
}

func TestRewrite(t *testing.T) {
	p := kctest.NewPKI(t)
	tests := []struct {
		server, want string
	}{
		{"10.0.0.5", "https://10.0.0.5:6443"},
		{"10.0.0.5:16443", "https://10.0.0.5:16443"},
		{"https://10.0.0.5:6443", "https://10.0.0.5:6443"},
		{"https://k3s.home.arpa/", "https://k3s.home.arpa"},
		{"pi-01.local", "https://pi-01.local:6443"},
		{"fd00::5", "https://[fd00::5]:6443"},
		{"[fd00::5]", "https://[fd00::5]:6443"},
		{"[fd00::5]:6443", "https://[fd00::5]:6443"},
		{"https://[fd00::5]:6443", "https://[fd00::5]:6443"},
	}
	for _, tt := range tests {
		t.Run(tt.server, func(t *testing.T) {
			out, err := Rewrite(k3sYAML(t, p), "pi-01", "pi-lab", tt.server)
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			c := load(t, out)
			if c.CurrentContext != "pi-lab" || len(c.Clusters) != 1 || len(c.AuthInfos) != 1 || len(c.Contexts) != 1 {
				t.Fatalf("want one cluster, user and context named pi-lab, got %s", out)
			}
			cl, u, ctx := c.Clusters["pi-lab"], c.AuthInfos["pi-lab"], c.Contexts["pi-lab"]
			if cl == nil || u == nil || ctx == nil || ctx.Cluster != "pi-lab" || ctx.AuthInfo != "pi-lab" {
				t.Fatalf("entries not renamed consistently:\n%s", out)
			}
			if cl.Server != tt.want {
				t.Errorf("server = %q, want %q", cl.Server, tt.want)
			}
			if !bytes.Equal(cl.CertificateAuthorityData, p.CA) || !bytes.Equal(u.ClientCertificateData, p.Cert) ||
				!bytes.Equal(u.ClientKeyData, p.Key) {
				t.Errorf("credentials not carried over:\n%s", out)
			}
			if bytes.Contains(out, []byte("default")) || bytes.Contains(out, []byte("127.0.0.1")) {
				t.Errorf("leftover of k3s.yaml names or address:\n%s", out)
			}
		})
	}
}

func TestRewriteErrors(t *testing.T) {
	good := string(k3sYAML(t, kctest.NewPKI(t)))
	tests := []struct {
		name, in, cluster, server, want string
	}{
		{"not a kubeconfig", "{{{", "pi", "10.0.0.5", "k3s.yaml on pi-01 does not parse"},
		{"empty cluster name", good, "", "10.0.0.5", "empty cluster name"},
		{"empty server", good, "pi", "", "empty API server"},
		{"http server", good, "pi", "http://10.0.0.5:6443", "want https"},
		{"bad port", good, "pi", "10.0.0.5:99999", "port"},
		{"bad host", good, "pi", "a b", "neither an IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Rewrite([]byte(tt.in), "pi-01", tt.cluster, tt.server)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Rewrite error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// unrelated is a kubeconfig holding two contexts of other clusters.
func unrelated(t *testing.T) []byte {
	t.Helper()
	c := api.NewConfig()
	for _, name := range []string{"work", "kind-dev"} {
		c.Clusters[name] = &api.Cluster{Server: "https://" + name + ".example:443", CertificateAuthorityData: []byte(name + "-ca")}
		c.AuthInfos[name] = &api.AuthInfo{Token: name + "-token"}
		c.Contexts[name] = &api.Context{Cluster: name, AuthInfo: name, Namespace: "ns-" + name}
	}
	c.CurrentContext = "work"
	b, err := clientcmd.Write(*c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rewritten(t *testing.T, p kctest.PKI) []byte {
	t.Helper()
	b, err := Rewrite(k3sYAML(t, p), "pi-01", "pi-lab", "10.0.0.5")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMerge(t *testing.T) {
	oldPKI, newPKI := kctest.NewPKI(t), kctest.NewPKI(t)
	tests := []struct {
		name        string
		existing    func(*testing.T) []byte
		switchCtx   bool
		wantCurrent string
		wantCtxs    []string
	}{
		{"into nothing", func(*testing.T) []byte { return nil }, false, "pi-lab", []string{"pi-lab"}},
		{"keeps two unrelated contexts", unrelated, false, "work", []string{"work", "kind-dev", "pi-lab"}},
		{"switches when asked", unrelated, true, "pi-lab", []string{"work", "kind-dev", "pi-lab"}},
		{"replaces stale CA", func(t *testing.T) []byte { return rewritten(t, oldPKI) }, false, "pi-lab", []string{"pi-lab"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Merge(tt.existing(t), rewritten(t, newPKI), tt.switchCtx)
			if err != nil {
				t.Fatalf("Merge: %v", err)
			}
			c := load(t, out)
			if c.CurrentContext != tt.wantCurrent {
				t.Errorf("current-context = %q, want %q", c.CurrentContext, tt.wantCurrent)
			}
			if len(c.Contexts) != len(tt.wantCtxs) {
				t.Errorf("contexts = %d, want %v", len(c.Contexts), tt.wantCtxs)
			}
			for _, name := range tt.wantCtxs {
				ctx := c.Contexts[name]
				if ctx == nil || c.Clusters[ctx.Cluster] == nil || c.AuthInfos[ctx.AuthInfo] == nil {
					t.Errorf("context %q missing or dangling:\n%s", name, out)
				}
			}
			if got := c.Clusters["pi-lab"].CertificateAuthorityData; !bytes.Equal(got, newPKI.CA) {
				t.Errorf("pi-lab CA = %q, want the new one", got)
			}
			if w := c.AuthInfos["work"]; w != nil && w.Token != "work-token" {
				t.Errorf("unrelated user changed: %+v", w)
			}
		})
	}
}

func TestMergeErrors(t *testing.T) {
	tests := []struct {
		name, existing, add, want string
	}{
		{"bad existing", "{{{", string(rewritten(t, kctest.NewPKI(t))), "parse existing"},
		{"bad new", "", "{{{", "parse new"},
		{"new without context", "", "apiVersion: v1\nkind: Config\n", "no context"},
		{"new with an exec plugin", "", string(withExec(t)), "the kubeconfig to merge has an exec credential plugin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Merge([]byte(tt.existing), []byte(tt.add), false)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Merge error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// withExec is a kubeconfig shaped like Rewrite's output, plus an exec plugin.
func withExec(t *testing.T) []byte {
	c := load(t, rewritten(t, kctest.NewPKI(t)))
	c.AuthInfos["pi-lab"].Exec = &api.ExecConfig{APIVersion: "client.authentication.k8s.io/v1", Command: "sh"}
	return kctest.YAML(t, c)
}

func FuzzServerURL(f *testing.F) {
	for _, s := range []string{"10.0.0.5", "fd00::5", "[fd00::5]:6443", "https://h:1/", "h:0", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		u, err := ServerURL(in)
		if err != nil {
			return
		}
		if !strings.HasPrefix(u, "https://") {
			t.Fatalf("ServerURL(%q) = %q: not https", in, u)
		}
		again, err := ServerURL(u)
		if err != nil || again != u {
			t.Fatalf("ServerURL not stable: %q -> %q -> %q, %v", in, u, again, err)
		}
	})
}

func FuzzRewrite(f *testing.F) {
	f.Add(k3sYAML(f, kctest.NewPKI(f)))
	f.Add([]byte("apiVersion: v1\nkind: Config\nclusters: []\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Rewrite(in, "pi-01", "pi", "10.0.0.5")
		if err != nil {
			return
		}
		c := load(t, out)
		if ctx := c.Contexts["pi"]; ctx == nil || c.Clusters["pi"] == nil || c.AuthInfos["pi"] == nil || c.CurrentContext != "pi" {
			t.Fatalf("Rewrite(%q) = %s: entries not named pi", in, out)
		}
		if _, err := Merge(out, out, true); err != nil {
			t.Fatalf("Merge of a Rewrite output into itself: %v", err)
		}
	})
}
