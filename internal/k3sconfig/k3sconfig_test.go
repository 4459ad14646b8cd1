package k3sconfig

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/role"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const token = "K10c0ffee::server:s3cr3t-join"

func goldenNodes() map[string]Node {
	return map[string]Node{
		"first-server": {Role: role.Server, NodeName: "pi-01", ClusterInit: true, Token: token,
			TLSSANs: []string{"10.0.0.5", "k3s.home.arpa"}, NodeIP: "10.0.0.5",
			Extra: map[string]any{"disable": []string{"traefik", "servicelb"}, "write-kubeconfig-mode": "0644"}},
		"joining-server": {Role: role.Server, NodeName: "pi-02", ServerURL: "https://10.0.0.5:6443", Token: token,
			TLSSANs: []string{"10.0.0.5"}},
		"external-datastore": {Role: role.Server, NodeName: "pi-01", Token: token,
			DatastoreEndpoint: "postgres://k3s:dbpass@10.0.0.2:5432/k3s"},
		"agent": {Role: role.Agent, NodeName: "pi-07", ServerURL: "https://10.0.0.5:6443", Token: token,
			NodeIP: "fd00::7", Extra: map[string]any{"kubelet-arg": []any{"max-pods=50", "image-gc-high-threshold=80"}}},
	}
}

func TestRenderGolden(t *testing.T) {
	for name, n := range goldenNodes() {
		t.Run(name, func(t *testing.T) {
			got, err := Render(n)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			path := filepath.Join("testdata", name+".yaml")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			if string(got) != string(want) {
				t.Errorf("Render mismatch\n got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestRenderDeterministic(t *testing.T) {
	n := goldenNodes()["first-server"]
	n.Extra = map[string]any{"a": 1, "z": "x", "m": true, "c": []string{"3", "1", "2"}, "b": 2.5, "k": "v"}
	first, err := Render(n)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		again, err := Render(n)
		if err != nil || Hash(again) != Hash(first) {
			t.Fatalf("render %d differs: %v\n%s\nvs\n%s", i, err, again, first)
		}
	}
	if !strings.HasPrefix(string(first), Header) {
		t.Errorf("no header: %s", first)
	}
	var back map[string]any
	if err := yaml.Unmarshal(first, &back); err != nil {
		t.Fatalf("rendered config does not parse: %v", err)
	}
	if back["token"] != token || back["cluster-init"] != true {
		t.Errorf("round trip lost settings: %v", back)
	}
}

func TestRenderErrors(t *testing.T) {
	agent := func(mod func(*Node)) Node {
		n := Node{Role: role.Agent, NodeName: "pi-07", ServerURL: "https://10.0.0.5:6443", Token: token}
		mod(&n)
		return n
	}
	tests := []struct {
		name string
		n    Node
		want string
	}{
		{"unknown role", Node{Role: "worker"}, `role "worker"`},
		{"extra overrides token", Node{Role: role.Server, Extra: map[string]any{"token": "x"}}, `"token" is managed`},
		{"extra overrides server", agent(func(n *Node) { n.Extra = map[string]any{"server": "x"} }), `"server" is managed`},
		{"extra overrides cluster-init", Node{Role: role.Server, Extra: map[string]any{"cluster-init": false}}, `"cluster-init" is managed`},
		{"extra duplicates node-name", Node{Role: role.Server, NodeName: "a", Extra: map[string]any{"node-name": "b"}}, `"node-name" is already set`},
		{"node-label via extra", Node{Role: role.Server, Extra: map[string]any{"node-label": []string{"a=b"}}}, "kubectl"},
		{"node-taint via extra", agent(func(n *Node) { n.Extra = map[string]any{"node-taint": "a=b:NoSchedule"} }), "kubectl"},
		{"dashes in key", Node{Role: role.Server, Extra: map[string]any{"--disable": "traefik"}}, "without leading dashes"},
		{"map value", Node{Role: role.Server, Extra: map[string]any{"disable": map[string]any{"a": 1}}}, "want a string"},
		{"func in list", Node{Role: role.Server, Extra: map[string]any{"disable": []any{func() {}}}}, "list item"},
		{"agent without server", agent(func(n *Node) { n.ServerURL = "" }), "no server URL"},
		{"agent without token", agent(func(n *Node) { n.Token = "" }), "no token"},
		{"agent cluster-init", agent(func(n *Node) { n.ClusterInit = true }), "cluster-init is a server-only"},
		{"agent tls-san", agent(func(n *Node) { n.TLSSANs = []string{"x"} }), "tls-san is a server-only"},
		{"agent datastore", agent(func(n *Node) { n.DatastoreEndpoint = "x" }), "datastore-endpoint is a server-only"},
		{"agent extra disable", agent(func(n *Node) { n.Extra = map[string]any{"disable": "traefik"} }), `"disable" is a server-only`},
		{"agent extra etcd flag", agent(func(n *Node) { n.Extra = map[string]any{"etcd-snapshot-retention": 3} }), `"etcd-snapshot-retention" is a server-only`},
		{"cluster-init joining", Node{Role: role.Server, ClusterInit: true, ServerURL: "https://x:6443"}, "first server only"},
		{"cluster-init with datastore", Node{Role: role.Server, ClusterInit: true, DatastoreEndpoint: "x"}, "exclude each other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(tt.n)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Render error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestAgentAcceptsAgentFlags(t *testing.T) {
	n := Node{Role: role.Agent, ServerURL: "https://10.0.0.5:6443", Token: token,
		Extra: map[string]any{"kubelet-arg": []string{"max-pods=50"}, "flannel-iface": "eth0", "disable-apiserver-lb": true}}
	if _, err := Render(n); err != nil {
		t.Fatalf("Render agent with agent flags: %v", err)
	}
}

func TestHash(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		if got := Hash([]byte(tt.in)); got != tt.want {
			t.Errorf("Hash(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestRedacted(t *testing.T) {
	tests := []struct {
		name, in     string
		want, absent []string
	}{
		{"rendered server", mustRender(t, goldenNodes()["external-datastore"]),
			[]string{Header, `token: "***"`, `datastore-endpoint: "***"`, "node-name: pi-01"}, []string{"s3cr3t", "dbpass"}},
		{"token as list", "token:\n  - a-secret\nnode-name: x\n", []string{`token: "***"`, "node-name: x"}, []string{"a-secret"}},
		{"comments only", Header, []string{Header}, nil},
		{"not yaml", "token: [unclosed s3cr3t\n", []string{"content hidden"}, []string{"s3cr3t"}},
		{"not a mapping", "- token\n- s3cr3t\n", []string{"content hidden"}, []string{"s3cr3t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Redacted([]byte(tt.in))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Redacted output lacks %q:\n%s", w, got)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("Redacted output leaks %q:\n%s", a, got)
				}
			}
		})
	}
}

func mustRender(t *testing.T, n Node) string {
	t.Helper()
	b, err := Render(n)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func FuzzRedacted(f *testing.F) {
	f.Add("token: abc\n")
	f.Add(Header + "datastore-endpoint: postgres://u:p@h/db\n")
	f.Add("token: &a abc\nother: *a\n")
	f.Fuzz(func(t *testing.T, in string) {
		var m map[string]any
		if yaml.Unmarshal([]byte(in), &m) != nil {
			return
		}
		tok, ok := m["token"].(string)
		if !ok || len(tok) < 4 || strings.Contains(Mask, tok) {
			return
		}
		if strings.Count(in, tok) != 1 {
			return // the token text also occurs outside the value, e.g. in a comment
		}
		if out := Redacted([]byte(in)); strings.Contains(out, tok) {
			t.Fatalf("Redacted(%q) leaks token %q: %q", in, tok, out)
		}
	})
}
