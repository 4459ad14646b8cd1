package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

const oneHost = "hosts:\n  - address: 10.0.0.1\n"

// problemLines formats each problem of err as "line:col: path: msg".
func problemLines(t *testing.T, err error) []string {
	t.Helper()
	var ie *Error
	if !errors.As(err, &ie) {
		t.Fatalf("want *Error, got %T: %v", err, err)
	}
	var out []string
	for _, p := range ie.Problems {
		out = append(out, strings.TrimPrefix(p.format(""), ":"))
	}
	return out
}

// wantProblems checks that err holds exactly one problem per want, in order,
// each containing its want.
func wantProblems(t *testing.T, err error, want ...string) {
	t.Helper()
	got := problemLines(t, err)
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("problem %d:\n got  %s\n want %s", i, got[i], want[i])
		}
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"empty file", "", []string{"the file is empty"}},
		{"only comments", "# nothing\n", []string{"the file is empty"}},
		{"root is a list", "- a\n- b\n", []string{"1:1: the top level must be a mapping"}},
		{"root is a scalar", "hello\n", []string{"1:1: the top level must be a mapping"}},
		{"syntax error line", "cluster:\n  name: a\n  bad: [\n", []string{"3:1: not valid YAML"}},
		{"tab indentation", "cluster:\n\tname: a\n", []string{"2:1: not valid YAML"}},
		{"second document", oneHost + "---\nx: 1\n", []string{"3:1: a second YAML document"}},
		{"missing hosts", "cluster: {name: a}\n", []string{"1:1: hosts: missing"}},
		{"empty hosts", "hosts: []\n", []string{"1:8: hosts: is empty"}},
		{"hosts not a list", "hosts: 10.0.0.1\n", []string{"1:8: hosts: expected a list of hosts"}},
		{"host not a mapping", "hosts:\n  - 10.0.0.1\n", []string{"2:5: hosts[0]: expected a host mapping"}},
		{"host without address", "hosts:\n  - role: server\n", []string{"2:5: hosts[0]: has no address"}},
		{"unknown key near miss", "cluster:\n  k3s_verison: v1.31.4+k3s1\n" + oneHost,
			[]string{`2:3: cluster.k3s_verison: unknown key "k3s_verison"; did you mean "k3s_version"?`}},
		{"unknown key camel case", "cluster:\n  batchSize: 5\n" + oneHost, []string{`did you mean "batch_size"?`}},
		{"key in the wrong section", "user: pi\n" + oneHost, []string{"1:1: user: unknown key \"user\"; user is a setting of a host or ssh"}},
		{"unknown key listed", "ssh:\n  zzz: 1\n" + oneHost, []string{"ssh takes config_file, key, known_hosts"}},
		{"repeated key", "ssh:\n  user: a\n  user: b\n" + oneHost, []string{"3:3: ssh.user: repeated key (first on line 2)"}},
		{"string for int", "ssh:\n  port: \"22\"\n" + oneHost, []string{`2:9: ssh.port: expected a whole number, got text "22"`}},
		{"bool for string", "ssh:\n  user: true\n" + oneHost, []string{"ssh.user: expected text, got a boolean"}},
		{"string for bool", "cluster:\n  taint_servers: yes\n" + oneHost, []string{"cluster.taint_servers: expected true or false"}},
		{"section not a mapping", "cluster: [a]\n" + oneHost, []string{"1:10: cluster: expected a mapping of settings"}},
		{"bad duration", "cluster:\n  reboot_timeout: 10\n" + oneHost, []string{`2:19: cluster.reboot_timeout: "10" is not a duration`}},
		{"negative duration", "cluster:\n  ready_timeout: -1m\n" + oneHost, []string{"cluster.ready_timeout: is -1m0s; give a positive duration"}},
		{"bad max failures", "cluster:\n  max_failures: lots\n" + oneHost,
			[]string{`2:17: cluster.max_failures: "lots" is not a count of agents like 3 or a percentage of them like 10%`}},
		{"max failures over 100%", "cluster:\n  max_failures: 150%\n" + oneHost,
			[]string{`2:17: cluster.max_failures: "150%" is more than 100% of the agents`}},
		{"zero install timeout", "cluster:\n  install_timeout: 0s\n" + oneHost, []string{"cluster.install_timeout: is 0s; give a positive duration"}},
		{"install timeout not a duration", "cluster:\n  install_timeout: soon\n" + oneHost, []string{"install_timeout"}},
		{"batch size zero", "cluster:\n  batch_size: 0\n" + oneHost, []string{"2:15: cluster.batch_size: is 0"}},
		{"concurrency negative", "cluster:\n  concurrency: -3\n" + oneHost, []string{"cluster.concurrency: is -3"}},
		{"port out of range", "ssh:\n  port: 0\nhosts:\n  - {address: a, port: 65536}\n",
			[]string{"2:9: ssh.port: 0 is out of range", "4:24: hosts[0].port: 65536 is out of range"}},
		{"bad version", "cluster:\n  k3s_version: 1.31.4+k3s1\n" + oneHost, []string{`needs the leading v: "v1.31.4+k3s1"`}},
		{"version without suffix", "cluster:\n  k3s_version: v1.31.4\n" + oneHost, []string{"lacks the k3s suffix"}},
		{"version is a minor", "cluster:\n  k3s_version: v1.31\n" + oneHost, []string{"set channel: v1.31 instead"}},
		{"version and channel", "cluster:\n  k3s_version: v1.31.4+k3s1\n  channel: latest\n" + oneHost,
			[]string{"3:12: cluster.channel: set together with k3s_version"}},
		{"bad channel", "cluster:\n  channel: Stable!\n" + oneHost, []string{`"Stable!" is not a channel`}},
		{"token and token_file", "cluster:\n  token: abc\n  token_file: t\n" + oneHost,
			[]string{"3:15: cluster.token_file: set together with token"}},
		{"missing token file", "cluster:\n  token_file: /nonexistent/token\n" + oneHost, []string{"cluster.token_file: read cluster.token_file"}},
		{"bad install source", "cluster:\n  install: {source: usb}\n" + oneHost, []string{`"usb" is not an install source`}},
		{"offline without bundle", "cluster:\n  install: {source: offline}\n" + oneHost,
			[]string{"2:21: cluster.install.source: is offline but cluster.install.bundle_dir is not set"}},
		{"offline bundle incomplete", "cluster:\n  install: {source: offline, bundle_dir: /nonexistent}\n" + oneHost,
			[]string{"lacks k3s and install.sh"}},
		{"bad script url", "cluster:\n  install: {script_url: get.k3s.io}\n" + oneHost, []string{"is not an http(s) URL"}},
		{"bad api endpoint", "cluster:\n  api_endpoint: \"k3s.lan:99999\"\n" + oneHost, []string{`port "99999" must be a number`}},
		{"bad datastore", "cluster:\n  datastore_endpoint: sqlite:///x\n" + oneHost, []string{"must start with postgres://"}},
		{"bad cluster name", "cluster:\n  name: my cluster\n" + oneHost, []string{"is not a cluster name"}},
		{"bad sudo env", "ssh:\n  sudo_password_env: 1PASS\n" + oneHost, []string{"is not an environment variable name"}},
		{"bad proxy jump", "ssh:\n  proxy_jump: \"a b\"\n" + oneHost, []string{"is not [user@]host[:port]"}},
		{"bad user", "hosts:\n  - {address: a, user: \"pi@x\"}\n", []string{"hosts[0].user: \"pi@x\" is not a user name"}},
		{"managed config key", "cluster:\n  server_config: {token: x}\n" + oneHost, []string{`k3sup-pi manages "token"`}},
		{"underscore config key", "cluster:\n  agent_config: {node_ip: x}\n" + oneHost, []string{`write "node-ip"`}},
		{"merge cycle", "hosts:\n  - &x {address: a, <<: *x}\n", []string{"2:5: hosts[0]: << merges this mapping into itself"}},
		{"merge of a list of scalars", "hosts:\n  - {address: a, <<: [1]}\n", []string{"hosts[0]: << merges mappings only"}},
		{"config not a mapping", "cluster:\n  server_config: [a]\n" + oneHost, []string{"expected a mapping of k3s config.yaml keys"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("inv.yml", []byte(tt.yaml))
			wantProblems(t, err, tt.want...)
		})
	}
}

func TestParseInvalidHosts(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"address with port", "hosts:\n  - address: 10.0.0.1:22\n", []string{`write address: 10.0.0.1 and port: 22`}},
		{"address url", "hosts:\n  - address: ssh://pi\n", []string{"is a URL"}},
		{"address user", "hosts:\n  - address: pi@pi-1\n", []string{"holds a user"}},
		{"address bad ipv4", "hosts:\n  - address: 10.0.0.256\n", []string{"not a valid IPv4 address"}},
		{"address bad chars", "hosts:\n  - address: pi_1\n", []string{"is not an IP address or host name"}},
		{"address bracketed ipv6", "hosts:\n  - address: \"[fd00::1]\"\n", []string{"without brackets"}},
		{"bad role", "hosts:\n  - address: a\n    role: master\n", []string{`3:11: hosts[0].role: "master" is not a role; use "server"`}},
		{"unknown role", "hosts:\n  - address: a\n    role: boss\n", []string{`use "server" or "agent"`}},
		{"no server", "hosts:\n  - {address: a, role: agent}\n", []string{"2:3: hosts: no host has role: server"}},
		{"even etcd servers", "hosts:\n  - {address: a, role: server}\n  - {address: b, role: server}\n",
			[]string{"3:1: hosts: 2 servers with embedded etcd"}},
		{"duplicate host", "hosts:\n  - address: a\n  - address: A\n", []string{"3:14: hosts[1].address: a port 22 is already hosts[0] (line 2)"}},
		{"hostname is another host's address", "hosts:\n  - {address: 10.0.0.1, hostname: pi-2}\n  - address: pi-2\n",
			[]string{`2:35: hosts[0].hostname: "pi-2" is the address of hosts[1] (line 3); a hostname equal to another host's address makes the hosts ambiguous`}},
		{"hostname is a later host's ip", "hosts:\n  - address: 10.0.0.1\n  - {address: pi-b.lan, hostname: pi-c}\n  - {address: pi-c, port: 2222}\n",
			[]string{`3:35: hosts[1].hostname: "pi-c" is the address of hosts[2] (line 4)`}},
		{"duplicate host via ssh port", "ssh: {port: 2222}\nhosts:\n  - address: a\n  - {address: a, port: 2222}\n",
			[]string{"4:15: hosts[1].address: a port 2222 is already hosts[0] (line 3)"}},
		{"duplicate ipv6 host", "hosts:\n  - address: \"fd00::1\"\n  - address: \"fd00:0::1\"\n", []string{"is already hosts[0]"}},
		{"duplicate hostname", "hosts:\n  - {address: a, hostname: pi}\n  - {address: b, hostname: pi}\n",
			[]string{`3:28: hosts[1].hostname: "pi" is already the hostname of hosts[0] (line 2)`}},
		{"capital hostname", "hosts:\n  - {address: a, hostname: Pi-1}\n", []string{`use "pi-1"`}},
		{"dotted hostname", "hosts:\n  - {address: a, hostname: pi.lan}\n", []string{`a hostname is one label, like "pi"`}},
		{"bad hostname", "hosts:\n  - {address: a, hostname: -pi}\n", []string{"is not a valid hostname"}},
		{"bad label key", "hosts:\n  - address: a\n    labels: {\"-x\": y}\n", []string{"3:14: hosts[0].labels[-x]: label key"}},
		{"bad label prefix", "hosts:\n  - address: a\n    labels: {\"Ex.com/x\": y}\n", []string{"has prefix \"Ex.com\""}},
		{"bad label value", "hosts:\n  - address: a\n    labels: {x: \"a b\"}\n", []string{`label value "a b"`}},
		{"label value mapping", "hosts:\n  - address: a\n    labels: {x: {y: z}}\n", []string{"must be a single word"}},
		{"labels not a mapping", "hosts:\n  - address: a\n    labels: [x]\n", []string{"expected a mapping like {disk: ssd}"}},
		{"taint without effect", "hosts:\n  - address: a\n    taints: [gpu=true]\n", []string{"3:14: hosts[0].taints[0]: taint \"gpu=true\" has no effect"}},
		{"taint bad effect", "hosts:\n  - address: a\n    taints: [\"gpu:Never\"]\n", []string{`"Never" is not an effect`}},
		{"taint effect case", "hosts:\n  - address: a\n    taints: [\"gpu:noschedule\"]\n", []string{`is spelled "NoSchedule"`}},
		{"taint bad key", "hosts:\n  - address: a\n    taints: [\"a b=c:NoSchedule\"]\n", []string{`key "a b"`}},
		{"taint bad value", "hosts:\n  - address: a\n    taints: [\"k=a b:NoSchedule\"]\n", []string{`value "a b"`}},
		{"duplicate taint", "hosts:\n  - address: a\n    taints:\n      - gpu=a:NoSchedule\n      - gpu:NoExecute\n      - gpu=b:NoSchedule\n",
			[]string{`6:9: hosts[0].taints[2]: taint "gpu=b:NoSchedule" has the key and effect of "gpu=a:NoSchedule" (line 4)`}},
		{"same taint twice", "hosts:\n  - address: a\n    taints: [\"x:NoExecute\", \"x:NoExecute\"]\n",
			[]string{`3:29: hosts[0].taints[1]: taint "x:NoExecute" is listed twice (first on line 3)`}},
		{"taint of taint_servers with another value", "cluster: {taint_servers: true}\nhosts:\n  - address: a\n    taints: [\"node-role.kubernetes.io/control-plane:NoSchedule\"]\n",
			[]string{`4:14: hosts[0].taints[0]: taint "node-role.kubernetes.io/control-plane:NoSchedule" has the key and effect of "node-role.kubernetes.io/control-plane=true:NoSchedule", which cluster.taint_servers puts`}},
		{"taint of taint_servers repeated", "cluster: {taint_servers: true}\nhosts:\n  - address: a\n    taints: [\"node-role.kubernetes.io/control-plane=true:NoSchedule\"]\n",
			[]string{`4:14: hosts[0].taints[0]: taint "node-role.kubernetes.io/control-plane=true:NoSchedule" is put on every server by cluster.taint_servers`}},
		{"taints a string", "hosts:\n  - address: a\n    taints: \"k:NoSchedule\"\n", []string{"expected a list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("inv.yml", []byte(tt.yaml))
			wantProblems(t, err, tt.want...)
		})
	}
}

// TestFiveMistakes is the acceptance case: every mistake reported at once.
func TestFiveMistakes(t *testing.T) {
	data := `cluster:
  name: lab
  batch_size: 0
  k3s_version: v1.31.4
ssh:
  usr: pi
hosts:
  - address: 192.168.1.10
    role: master
  - address: 192.168.1.11
    hostname: pi-1
  - address: 192.168.1.12
    hostname: pi-1
`
	_, err := Parse("inventory.yml", []byte(data))
	wantProblems(t, err,
		"3:15: cluster.batch_size: is 0",
		"4:16: cluster.k3s_version: \"v1.31.4\" lacks the k3s suffix",
		`6:3: ssh.usr: unknown key "usr"; did you mean "user"?`,
		`9:11: hosts[0].role: "master" is not a role; use "server"`,
		`13:15: hosts[2].hostname: "pi-1" is already the hostname of hosts[1] (line 10)`,
	)
	if !strings.HasPrefix(err.Error(), "inventory.yml:3:15: cluster.batch_size:") {
		t.Errorf("Error() should start with file:line:col: path, got\n%s", err)
	}
	if n := strings.Count(err.Error(), "\n"); n != 4 {
		t.Errorf("Error() should print one problem per line, got %d newlines", n)
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	const tok, dsn = "S3CRET-TOKEN", "postgres://k3s:S3CRET-PW@db/k3s"
	cases := []string{
		"cluster:\n  token: " + tok + "\n  token_file: x\n" + oneHost,
		"cluster:\n  token: [" + tok + "]\n" + oneHost,
		"cluster:\n  token: {" + tok + ": 1}\n" + oneHost,
		"cluster:\n  datastore_endpoint: true\n  token: " + tok + "\n  tokn: 1\n" + oneHost,
		"cluster:\n  datastore_endpoint: \"x" + dsn + "\"\n  token: " + tok + "\n" + oneHost,
		"cluster:\n  datastore_endpoint: [\"" + dsn + "\"]\n" + oneHost,
		"ssh:\n  sudo_password_env: \"S3CRET pw!\"\n" + oneHost,
		"ssh:\n  sudo_password_env: [S3CRET]\n" + oneHost,
		"ssh:\n  sudo_password: S3CRET\n" + oneHost,
		"cluster:\n  token: \" S3CRET\"\n" + oneHost,
		"cluster:\n  server_config: {agent-token: [S3CRET], etcd-s3-secret-key: {S3CRET: 1}}\n" + oneHost,
		"cluster:\n  server_config: {vpn-auth: [[S3CRET]]}\n" + oneHost,
	}
	for i, c := range cases {
		_, err := Parse("inv.yml", []byte(c))
		if err == nil {
			t.Fatalf("case %d: want an error", i)
		}
		if msg := err.Error(); strings.Contains(msg, "S3CRET") {
			t.Errorf("case %d: secret in error:\n%s", i, msg)
		}
	}
}

// TestSecretKeysWithheld: a problem with a secret-bearing key names the key
// and line and says the value is withheld.
func TestSecretKeysWithheld(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"password typed into sudo_password_env", "ssh:\n  sudo_password_env: \"hunter2 x\"\n" + oneHost,
			[]string{"2:22: ssh.sudo_password_env: is not an environment variable name (value withheld: it may be a password)"}},
		{"sudo_password_env of the wrong type", "ssh:\n  sudo_password_env: true\n" + oneHost,
			[]string{"2:22: ssh.sudo_password_env: expected text, got a boolean (value withheld)"}},
		{"blank token", "cluster:\n  token: \"   \"\n" + oneHost, []string{"2:10: cluster.token: is blank; give the secret, or remove token:"}},
		{"empty token", "cluster:\n  token: \"\"\n" + oneHost, []string{"2:10: cluster.token: is blank"}},
		{"token with white space around", "cluster:\n  token: \"abc123 \"\n" + oneHost,
			[]string{"2:10: cluster.token: starts or ends with white space (value withheld)"}},
		{"token of the wrong type", "cluster:\n  token: {a: b}\n" + oneHost, []string{"2:10: cluster.token: expected text, got a mapping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("inv.yml", []byte(tt.yaml))
			wantProblems(t, err, tt.want...)
		})
	}
}

func TestSecretPath(t *testing.T) {
	for path, want := range map[string]bool{
		"cluster.token": true, "cluster.datastore_endpoint": true, "ssh.sudo_password_env": true,
		"ssh.sudo_password": true, "cluster.server_config.agent-token": true, "cluster.server_config.etcd-s3-secret-key": true,
		"cluster.token_file": false, "ssh.sudo_password_file": false, "ssh.user": false, "hosts[0].labels[disk]": false,
		"hosts[0].labels[api-token]": true,
	} {
		if got := secretPath(path); got != want {
			t.Errorf("secretPath(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestParseValid(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "tok")
	if err := os.WriteFile(tokenFile, []byte(" abc \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle")
	writeBundle(t, bundle)
	tests := []struct {
		name, yaml string
		check      func(t *testing.T, inv *Inventory)
	}{
		{"defaults", oneHost, func(t *testing.T, inv *Inventory) {
			checkDefaults(t, inv)
			expect(t, "line", inv.Hosts[0].Line, 2)
		}},
		{"roles default first server", "hosts:\n  - address: a\n  - address: b\n  - address: c\n", func(t *testing.T, inv *Inventory) {
			expect(t, "roles", roles(inv), "server agent agent")
		}},
		{"roles given elsewhere", "hosts:\n  - address: a\n  - {address: b, role: server}\n", func(t *testing.T, inv *Inventory) {
			expect(t, "roles", roles(inv), "agent server")
			expect(t, "api endpoint", inv.Cluster.APIEndpoint, "b")
		}},
		{"ha three servers", "hosts:\n  - {address: a, role: server}\n  - {address: b, role: server}\n  - {address: c, role: server}\n", func(t *testing.T, inv *Inventory) {
			expect(t, "etcd", inv.EmbeddedEtcd(), true)
		}},
		{"two servers external datastore", "cluster: {datastore_endpoint: \"postgres://u:p@db/k3s\"}\nhosts:\n  - {address: a, role: server}\n  - {address: b, role: server}\n", func(t *testing.T, inv *Inventory) {
			expect(t, "etcd", inv.EmbeddedEtcd(), false)
		}},
		{"ipv6 and names", "hosts:\n  - address: \"fd00::1\"\n  - address: pi-2.lan\n  - address: pi3\n  - {address: \"fd00::1\", port: 2222}\n", func(t *testing.T, inv *Inventory) {
			expect(t, "hosts", len(inv.Hosts), 4)
		}},
		{"ipv6 api endpoint in brackets", "cluster:\n  api_endpoint: \"[fd00::10]\"\n" + oneHost, func(t *testing.T, inv *Inventory) {
			expect(t, "api endpoint", inv.Cluster.APIEndpoint, "[fd00::10]")
		}},
		{"ipv6 api endpoint with a port", "cluster:\n  api_endpoint: \"[fd00::10]:6443\"\n" + oneHost, func(t *testing.T, inv *Inventory) {
			expect(t, "api endpoint", inv.Cluster.APIEndpoint, "[fd00::10]:6443")
		}},
		{"token file and bundle", "cluster:\n  token_file: " + tokenFile + "\n  install: {source: offline, bundle_dir: " + bundle + "}\n" + oneHost, func(t *testing.T, inv *Inventory) {
			tok, err := inv.TokenValue()
			expect(t, "token", tok, "abc")
			expect(t, "err", err, error(nil))
		}},
		{"version instead of channel", "cluster: {k3s_version: v1.31.4-rc1+k3s2}\n" + oneHost, func(t *testing.T, inv *Inventory) {
			expect(t, "channel", inv.Cluster.Channel, "")
		}},
		{"merge keys and aliases", "hosts:\n  - &pi {address: a, user: ubuntu, port: 2222}\n  - <<: *pi\n    address: b\n", func(t *testing.T, inv *Inventory) {
			h := inv.Hosts[1]
			expect(t, "merged", h.Address+" "+h.User, "b ubuntu")
			expect(t, "port", h.Port, 2222)
		}},
		{"config maps", "cluster:\n  server_config: {disable: [traefik], cluster-init: true}\n  agent_config: {node-ip: 1.2.3.4}\n" + oneHost, func(t *testing.T, inv *Inventory) {
			expect(t, "etcd", inv.EmbeddedEtcd(), true)
			expect(t, "agent", inv.Cluster.AgentConfig["node-ip"], any("1.2.3.4"))
		}},
		{"labels and taints", "hosts:\n  - address: a\n    labels: {example.com/disk: ssd, gpu: true, empty: }\n    taints: [\"a=b:NoSchedule\", \"c:NoExecute\"]\n", func(t *testing.T, inv *Inventory) {
			h := inv.Hosts[0]
			expect(t, "labels", len(h.Labels), 3)
			expect(t, "gpu", h.Labels["gpu"], "true")
			expect(t, "taints", len(h.Taints), 2)
		}},
		{"null sections", "cluster:\nssh:\n" + oneHost, checkDefaults},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := Parse(filepath.Join(dir, "inventory.yml"), []byte(tt.yaml))
			if err != nil {
				t.Fatalf("unexpected error:\n%v", err)
			}
			tt.check(t, inv)
		})
	}
}

func checkDefaults(t *testing.T, inv *Inventory) {
	t.Helper()
	c := inv.Cluster
	expect(t, "name", c.Name, "k3s")
	expect(t, "channel", c.Channel, "stable")
	expect(t, "batch", c.BatchSize, 50)
	expect(t, "concurrency", c.Concurrency, 30)
	expect(t, "reboot", c.RebootTimeout, 10*time.Minute)
	expect(t, "ready", c.ReadyTimeout, 5*time.Minute)
	expect(t, "install", c.InstallTimeout, 10*time.Minute)
	expect(t, "source", c.Install.Source, "online")
	expect(t, "script", c.Install.ScriptURL, "https://get.k3s.io")
	expect(t, "kubeconfig", c.Kubeconfig, filepath.Join(filepath.Dir(inv.File), "kubeconfig"))
	expect(t, "api", c.APIEndpoint, "10.0.0.1")
	// user and port stay unset so that ~/.ssh/config can supply them; the
	// remote layer falls back to DefaultSSHUser and DefaultSSHPort after it.
	expect(t, "user", inv.SSH.User, "")
	expect(t, "port", inv.SSH.Port, 0)
	expect(t, "sudo env", inv.SSH.SudoPasswordEnv, "K3SUP_PI_SUDO_PASSWORD")
	expect(t, "role", inv.Hosts[0].Role, role.Server)
}

func expect[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func roles(inv *Inventory) string {
	var r []string
	for _, h := range inv.Hosts {
		r = append(r, string(h.Role))
	}
	return strings.Join(r, " ")
}

func writeBundle(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"k3s", "install.sh"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}
