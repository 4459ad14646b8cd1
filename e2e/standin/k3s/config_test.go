package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	cases := []struct {
		name    string
		role    string
		files   map[string]string // relative to /etc/rancher/k3s
		env     []string
		args    []string
		check   func(c *Config) bool
		wantErr string
	}{
		{name: "file then flags override", role: "server",
			files: map[string]string{"config.yaml": "token: fromfile\nnode-name: a\ncluster-init: true\ntls-san: [x.example, 10.0.0.9]\n"},
			args:  []string{"--node-name=b", "--tls-san", "y"},
			check: func(c *Config) bool {
				return c.Token == "fromfile" && c.NodeName == "b" && c.ClusterInit &&
					reflect.DeepEqual(c.TLSSAN, []string{"x.example", "10.0.0.9", "y"})
			}},
		{name: "drop-in replaces and appends", role: "agent",
			files: map[string]string{"config.yaml": "server: https://s:6443\ntoken: t\nnode-label: [a=1]\n",
				"config.yaml.d/10-more.yaml": "node-label+: [b=2]\nnode-taint: k=v:NoSchedule\n"},
			check: func(c *Config) bool {
				return reflect.DeepEqual(c.NodeLabel, []string{"a=1", "b=2"}) && c.NodeTaint[0] == "k=v:NoSchedule"
			}},
		{name: "env fills what is unset", role: "agent",
			env:  []string{"K3S_URL=https://e:6443", "K3S_TOKEN=envtok", "K3S_NODE_NAME=envname"},
			args: []string{"--node-name", "flagname"},
			check: func(c *Config) bool {
				return c.Server == "https://e:6443" && c.Token == "envtok" && c.NodeName == "flagname"
			}},
		{name: "token file", role: "agent", files: map[string]string{"tok": "  filetok\n"},
			args:  []string{"--server", "https://s:6443", "--token-file", "@/tok"},
			check: func(c *Config) bool { return c.Token == "filetok" }},
		{name: "unknown key", role: "server", files: map[string]string{"config.yaml": "tokn: x\n"},
			wantErr: `flag provided but not defined: -tokn (key "tokn" in`},
		{name: "server-only key on agent", role: "agent",
			files: map[string]string{"config.yaml": "server: https://s:6443\ntoken: t\ncluster-init: true\n"}, wantErr: "-cluster-init"},
		{name: "unknown flag", role: "server", args: []string{"--no-such-flag"}, wantErr: "flag provided but not defined: -no-such-flag"},
		{name: "agent without server", role: "agent", args: []string{"--token", "x"}, wantErr: "--server is required"},
		{name: "bad kubeconfig mode", role: "server", args: []string{"--write-kubeconfig-mode", "9z"}, wantErr: "write-kubeconfig-mode"},
		{name: "list for a string key", role: "server", files: map[string]string{"config.yaml": "token: [a, b]\n"}, wantErr: `key "token"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			t.Setenv(rootEnv, root)
			for _, k := range []string{"K3S_URL", "K3S_TOKEN", "K3S_NODE_NAME", "K3S_TOKEN_FILE", "K3S_CONFIG_FILE"} {
				t.Setenv(k, "")
			}
			for _, e := range tc.env {
				k, v, _ := strings.Cut(e, "=")
				t.Setenv(k, v)
			}
			for name, content := range tc.files {
				p := filepath.Join(root, etcDir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.Replace(a, "@", filepath.Join(root, etcDir), 1)
			}
			c, err := loadConfig(tc.role, args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(c) {
				t.Fatalf("err %v, config %+v", err, c)
			}
		})
	}
}

func TestParseToken(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	cases := []struct {
		in      string
		want    token
		wantErr bool
	}{
		{"K10" + hash + "::server:s3cret", token{caHash: hash, user: "server", secret: "s3cret"}, false},
		{"K10" + hash + "::node:abc", token{caHash: hash, user: "node", secret: "abc"}, false},
		{"plain", token{user: "server", secret: "plain"}, false},
		{"K10" + hash + "::root:x", token{}, true},
		{"K10nothex::server:x", token{}, true},
		{"K10" + hash, token{}, true},
		{"", token{}, true},
	}
	for _, tc := range cases {
		got, err := parseToken(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseToken(%q) = %+v, %v; want %+v, err=%v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestApplyPatch(t *testing.T) {
	base := `{"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"taints":[{"key":"x","effect":"NoSchedule"}]}}`
	cases := []struct {
		name, ct, patch, want string
	}{
		{"merge add and delete label", mergePatch, `{"metadata":{"labels":{"c":"3","a":null}}}`,
			`{"metadata":{"labels":{"b":"2","c":"3"}},"spec":{"taints":[{"effect":"NoSchedule","key":"x"}]}}`},
		{"strategic replaces taints", strategicPatch, `{"spec":{"taints":[{"key":"y","effect":"NoExecute"}],"$setElementOrder/taints":[{"key":"y"}]}}`,
			`{"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"taints":[{"effect":"NoExecute","key":"y"}]}}`},
		{"strategic cordon", strategicPatch + "; charset=utf-8", `{"spec":{"unschedulable":true}}`,
			`{"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"taints":[{"effect":"NoSchedule","key":"x"}],"unschedulable":true}}`},
		{"json patch unsupported", "application/json-patch+json", `[]`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var obj map[string]any
			if err := jsonUnmarshal(base, &obj); err != nil {
				t.Fatal(err)
			}
			got, err := applyPatch(obj, tc.ct, []byte(tc.patch))
			if tc.want == "" {
				if err == nil {
					t.Fatalf("want an error")
				}
				return
			}
			if err != nil || jsonString(got) != tc.want {
				t.Fatalf("got %s, %v; want %s", jsonString(got), err, tc.want)
			}
		})
	}
}

func TestHumanAge(t *testing.T) {
	cases := map[string]string{"5s": "5s", "119s": "119s", "150s": "2m30s", "30m": "30m", "5h": "5h", "72h": "3d"}
	for in, want := range cases {
		d, _ := time.ParseDuration(in)
		if got := humanAge(d); got != want {
			t.Errorf("humanAge(%s) = %s, want %s", in, got, want)
		}
	}
}
