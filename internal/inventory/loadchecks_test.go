package inventory

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestFilesCheckedAtLoad: every file the inventory names is checked when it
// is loaded, each problem with its line (issue 9 item 16).
func TestFilesCheckedAtLoad(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "id"), testKey)
	writeFile(t, filepath.Join(dir, "id.pub"), "ssh-ed25519 AAAAC3Nza me@host\n")
	writeFile(t, filepath.Join(dir, "id.ppk"), "PuTTY-User-Key-File-3: ssh-ed25519\n")
	writeFile(t, filepath.Join(dir, "notes"), "hello\n")
	writeFile(t, filepath.Join(dir, "empty"), "\n")
	writeFile(t, filepath.Join(dir, "kh"), "")
	writeFile(t, filepath.Join(dir, "cfg"), "Host *\n")
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"key missing", "ssh:\n  key: nope\n" + oneHost, []string{"2:8: ssh.key: " + dir + "/nope does not exist; give the private key file"}},
		{"key is the public half", "ssh:\n  key: id.pub\n" + oneHost, []string{"2:8: ssh.key: " + dir + "/id.pub is a public key; give the private key"}},
		{"key is a putty key", "ssh:\n  key: id.ppk\n" + oneHost, []string{"is a PuTTY key; convert it with: puttygen"}},
		{"key is not a key", "ssh:\n  key: notes\n" + oneHost, []string{"is not an SSH private key"}},
		{"host key is a fifo", "hosts:\n  - {address: a, key: fifo}\n", []string{"2:23: hosts[0].key: " + dir + "/fifo is a named pipe (FIFO), not a regular file"}},
		{"host key is a directory", "hosts:\n  - {address: a, key: .}\n", []string{"hosts[0].key: " + dir + " is a directory"}},
		{"known_hosts directory missing", "ssh:\n  known_hosts: nodir/known_hosts\n" + oneHost,
			[]string{"2:16: ssh.known_hosts: " + dir + "/nodir/known_hosts does not exist, and neither does its directory"}},
		{"known_hosts is a directory", "ssh:\n  known_hosts: .\n" + oneHost, []string{"ssh.known_hosts: " + dir + " is a directory"}},
		{"known_hosts is a device", "ssh:\n  known_hosts: /dev/zero\n" + oneHost, []string{"/dev/zero is a character device"}},
		{"config_file missing", "ssh:\n  config_file: nocfg\n" + oneHost, []string{"2:16: ssh.config_file: " + dir + "/nocfg does not exist; give the ssh_config file"}},
		{"config_file is a fifo", "ssh:\n  config_file: fifo\n" + oneHost, []string{"is a named pipe"}},
		{"sudo password file missing", "ssh:\n  sudo_password_file: nopw\n" + oneHost, []string{"2:23: ssh.sudo_password_file: " + dir + "/nopw does not exist"}},
		{"sudo password file empty", "ssh:\n  sudo_password_file: empty\n" + oneHost, []string{"2:23: ssh.sudo_password_file: " + dir + "/empty is empty"}},
		{"kubeconfig is a directory", "cluster:\n  kubeconfig: .\n" + oneHost, []string{"2:15: cluster.kubeconfig: " + dir + " is a directory"}},
		{"kubeconfig below a file", "cluster:\n  kubeconfig: notes/kc\n" + oneHost, []string{"2:15: cluster.kubeconfig: " + dir + "/notes is not a directory"}},
		{"everything at once", "cluster:\n  kubeconfig: notes/kc\nssh:\n  key: id.pub\n  known_hosts: nodir/kh\n  sudo_password_file: empty\nhosts:\n  - {address: a, key: nope}\n",
			[]string{"2:15: cluster.kubeconfig", "4:8: ssh.key", "5:16: ssh.known_hosts", "6:23: ssh.sudo_password_file", "8:23: hosts[0].key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(filepath.Join(dir, "inventory.yml"), []byte(tt.yaml))
			wantProblems(t, err, tt.want...)
		})
	}
	valid := "cluster:\n  kubeconfig: new/dirs/kc\nssh:\n  key: id\n  known_hosts: kh\n  config_file: cfg\n  sudo_password_file: notes\n" +
		"hosts:\n  - {address: a, key: " + filepath.Join(dir, "id") + "}\n  - {address: b}\n"
	if _, err := Parse(filepath.Join(dir, "inventory.yml"), []byte(valid)); err != nil {
		t.Errorf("valid files refused:\n%v", err)
	}
	inv, err := Parse(filepath.Join(dir, "inventory.yml"), []byte("ssh:\n  config_file: none\n"+oneHost))
	if err != nil || inv.SSH.ConfigFile != NoSSHConfig {
		t.Errorf("config_file: none (read no ssh_config) = %q, %v; want it kept as %q", inv.SSH.ConfigFile, err, NoSSHConfig)
	}
	if _, err := Parse(filepath.Join(dir, "inventory.yml"), []byte("ssh:\n  known_hosts: not-yet\n"+oneHost)); err != nil {
		t.Errorf("a known_hosts file still to be created was refused:\n%v", err)
	}
}

// TestK3sSettingsCheckedAtLoad: server_config and agent_config are checked
// when the inventory is loaded, not when a node's config is rendered.
func TestK3sSettingsCheckedAtLoad(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"server-only key for agents", "cluster:\n  agent_config: {disable: [traefik]}\n" + oneHost,
			[]string{`2:18: cluster.agent_config.disable: "disable" is a setting of k3s servers, which agents refuse; move it to cluster.server_config`}},
		{"cluster-init for agents", "cluster:\n  agent_config:\n    cluster-init: true\n" + oneHost, []string{`3:5: cluster.agent_config.cluster-init: "cluster-init" is a setting of k3s servers`}},
		{"etcd key for agents", "cluster:\n  agent_config:\n    etcd-snapshot-retention: 3\n" + oneHost, []string{"is a setting of k3s servers"}},
		{"node-label in server_config", "cluster:\n  server_config:\n    node-label: [a=b]\n" + oneHost,
			[]string{`3:5: cluster.server_config.node-label: "node-label" goes on the hosts: set labels: on each host instead`}},
		{"node-taint in agent_config", "cluster:\n  agent_config:\n    node-taint: [a=b:NoSchedule]\n" + oneHost, []string{"set taints: on each host instead"}},
		{"tls-san is managed", "cluster:\n  server_config:\n    tls-san: [k3s.lan]\n" + oneHost, []string{`3:5: cluster.server_config.tls-san: k3sup-pi manages "tls-san"`}},
		{"leading dashes", "cluster:\n  server_config:\n    --disable: traefik\n" + oneHost, []string{`without leading dashes: "disable"`}},
		{"bad cluster-cidr", "cluster:\n  server_config:\n    cluster-cidr: 10.42.0.0/33\n" + oneHost,
			[]string{`3:19: cluster.server_config.cluster-cidr: "10.42.0.0/33" is not a network in CIDR form`}},
		{"bad second dual-stack cidr", "cluster:\n  server_config:\n    service-cidr: \"10.43.0.0/16,fd00:43::\"\n" + oneHost, []string{`"fd00:43::" is not a network in CIDR form`}},
		{"bad cidr in a list", "cluster:\n  server_config:\n    cluster-cidr:\n      - 10.42.0.0/16\n      - 10.42.0/16\n" + oneHost,
			[]string{`5:9: cluster.server_config.cluster-cidr: "10.42.0/16" is not a network`}},
		{"bad node-ip", "cluster:\n  agent_config:\n    node-ip: 10.0.0.300\n" + oneHost, []string{`3:14: cluster.agent_config.node-ip: "10.0.0.300" is not an IP address`}},
		{"bad cluster-dns", "cluster:\n  server_config:\n    cluster-dns: \"10.43.0.10,dns\"\n" + oneHost, []string{`"dns" is not an IP address`}},
		{"bad node-external-ip", "cluster:\n  agent_config: {node-external-ip: [1.2.3.4, x]}\n" + oneHost, []string{`"x" is not an IP address`}},
		{"advertise-address list", "cluster:\n  server_config: {advertise-address: [10.0.0.1]}\n" + oneHost, []string{"cluster.server_config.advertise-address: takes one value, not a list"}},
		{"bad bind-address", "cluster:\n  server_config: {bind-address: localhost}\n" + oneHost, []string{`"localhost" is not an IP address`}},
		{"bad port range", "cluster:\n  server_config: {service-node-port-range: \"30000:32767\"}\n" + oneHost, []string{`"30000:32767" is not a port range`}},
		{"reversed port range", "cluster:\n  server_config: {service-node-port-range: \"32767-30000\"}\n" + oneHost, []string{"the first not above the last"}},
		{"bad flannel backend", "cluster:\n  server_config: {flannel-backend: ipsec}\n" + oneHost, []string{`"ipsec" is not a flannel backend`}},
		{"bad cluster domain", "cluster:\n  server_config: {cluster-domain: \"-x\"}\n" + oneHost, []string{`"-x" is not a DNS domain`}},
		{"mapping value", "cluster:\n  server_config:\n    kubelet-arg: {a: b}\n" + oneHost, []string{"3:18: cluster.server_config.kubelet-arg: expected a value or a list of values, got a mapping"}},
		{"no value", "cluster:\n  server_config:\n    disable:\n" + oneHost, []string{"cluster.server_config.disable: has no value"}},
		{"empty list", "cluster:\n  server_config: {disable: []}\n" + oneHost, []string{"is an empty list"}},
		{"nested list", "cluster:\n  server_config: {disable: [[a]]}\n" + oneHost, []string{"a list item must be a single value, not a list"}},
		{"blank agent-token", "cluster:\n  server_config: {agent-token: \" \"}\n" + oneHost, []string{"cluster.server_config.agent-token: is blank"}},
		{"every mistake at once", "cluster:\n  server_config:\n    cluster-cidr: x\n    node-label: [a=b]\n  agent_config:\n    disable: [traefik]\n    node-ip: y\n" + oneHost,
			[]string{"3:19: cluster.server_config.cluster-cidr", "4:5: cluster.server_config.node-label", "6:5: cluster.agent_config.disable", "7:14: cluster.agent_config.node-ip"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("inv.yml", []byte(tt.yaml))
			wantProblems(t, err, tt.want...)
		})
	}
	valid := "cluster:\n  server_config:\n    cluster-cidr: \"10.42.0.0/16,fd00:42::/56\"\n    service-cidr: [10.43.0.0/16]\n    cluster-dns: 10.43.0.10\n" +
		"    advertise-address: 10.0.0.1\n    service-node-port-range: 30000-32767\n    flannel-backend: wireguard-native\n    cluster-init: true\n    kubelet-arg: [max-pods=50]\n" +
		"  agent_config:\n    node-ip: [10.0.0.2, \"fd00::2\"]\n    kubelet-arg: max-pods=60\n" + oneHost
	if _, err := Parse("inv.yml", []byte(valid)); err != nil {
		t.Errorf("valid k3s settings refused:\n%v", err)
	}
}
