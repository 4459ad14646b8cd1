package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// badInput is one broken inventory or command line. Placeholders in args and
// want: {i} is the inventory's path, {d} its directory.
type badInput struct {
	name    string
	inv     string            // the inventory file's content
	args    []string          // default: up --dry-run -i {i}
	env     map[string]string // K3SUP_PI_* variables set for the run
	secrets []string          // values that must appear in no output
	want    string            // the whole of stderr after "error: "
}

const (
	oneHost  = "hosts:\n  - address: 192.0.2.1\n"
	twoHosts = "hosts:\n  - {address: 192.0.2.1, hostname: pi-1}\n  - {address: 192.0.2.2, hostname: pi-2}\n"
	upDry    = "up --dry-run -i {i}"
)

// badInputs are the broken inventories and flag combinations of issue 12
// ("Bad input at scale"): each must exit 2 with exactly this message.
var badInputs = []badInput{
	// Wrong types.
	{name: "port as text", inv: "ssh:\n  port: \"22\"\n" + oneHost,
		want: `{i}:2:9: ssh.port: expected a whole number, got text "22"; write it without quotes, like 22`},
	{name: "hosts as text", inv: "hosts: 192.0.2.1\n",
		want: `{i}:1:8: hosts: expected a list of hosts (lines starting with "- address: ..."), got text "192.0.2.1"`},
	{name: "bool as text", inv: "cluster:\n  taint_servers: yes please\n" + oneHost,
		want: `{i}:2:18: cluster.taint_servers: expected true or false, got text "yes please"`},
	{name: "duration without unit", inv: "cluster:\n  ready_timeout: 5\n" + oneHost,
		want: `{i}:2:18: cluster.ready_timeout: "5" is not a duration; write it with a unit, like "10m" or "90s"`},
	{name: "labels as list", inv: "hosts:\n  - address: 192.0.2.1\n    labels: [a, b]\n",
		want: `{i}:3:13: hosts[0].labels: expected a mapping like {disk: ssd}, got a list`},
	{name: "cluster as list", inv: "cluster: [a]\n" + oneHost,
		want: `{i}:1:10: cluster: expected a mapping of settings, got a list`},
	{name: "token as list", inv: "cluster:\n  token: [K10listSecret]\n" + oneHost, secrets: []string{"K10listSecret"},
		want: `{i}:2:10: cluster.token: expected text, got a list`},
	{name: "number too large", inv: "cluster:\n  batch_size: 99999999999999999999999\n" + oneHost,
		want: `{i}:2:15: cluster.batch_size: expected a whole number, got a number "99999999999999999999999"; write it without quotes, like 22`},
	{name: "host is a plain address", inv: "hosts:\n  - 192.0.2.1\n",
		want: `{i}:2:5: hosts[0]: expected a host mapping like "- address: 192.168.1.10", got text "192.0.2.1"`},

	// Unknown and misspelt keys.
	{name: "misspelt section", inv: "clusterr:\n  name: x\n" + oneHost,
		want: `{i}:1:1: clusterr: unknown key "clusterr"; did you mean "cluster"?`},
	{name: "misspelt token keeps its value", inv: "cluster:\n  tokn: K10misspeltSecret\n" + oneHost, secrets: []string{"K10misspeltSecret"},
		want: `{i}:2:3: cluster.tokn: unknown key "tokn"; did you mean "token"?`},
	{name: "misspelt address", inv: "hosts:\n  - adress: 192.0.2.1\n",
		want: `{i}:2:5: hosts[0].adress: unknown key "adress"; did you mean "address"?` + "\n" +
			`{i}:2:5: hosts[0]: has no address; add address: with its IP or host name`},
	{name: "key of another section", inv: "cluster:\n  user: pi\n" + oneHost,
		want: `{i}:2:3: cluster.user: unknown key "user"; user is a setting of a host or ssh, move it there`},
	{name: "unknown key lists the keys", inv: "ssh:\n  zzz: 1\n" + oneHost,
		want: `{i}:2:3: ssh.zzz: unknown key "zzz"; ssh takes config_file, key, known_hosts, port, proxy_jump, sudo_password_env, sudo_password_file, user`},

	// YAML syntax: tabs, bad bytes, documents.
	{name: "tab indents a host", inv: "hosts:\n\t- address: 192.0.2.1\n",
		want: `{i}:2:1: not valid YAML: a tab indents this line; YAML indents with spaces only, replace the tab with spaces`},
	{name: "tab below the reported line", inv: "hosts:\n  - address: 192.0.2.1\n    labels:\n  \t  disk: ssd\n",
		want: `{i}:4:3: not valid YAML: a tab indents this line; YAML indents with spaces only, replace the tab with spaces`},
	{name: "indentation broken in a list", inv: "hosts:\n  - address: 192.0.2.1\n   role: server\n",
		want: `{i}:1:1: not valid YAML: did not find expected '-' indicator in the block that starts on this line; check the indentation of the lines below it`},
	{name: "not UTF-8", inv: "hosts:\n  - address: \xff\xfe\n",
		want: `{i}:2:14: not valid YAML: byte 0xff is not UTF-8 text; save the file as UTF-8`},
	{name: "NUL byte", inv: "hosts:\n  - address: 192.0.2.1\x00\n",
		want: `{i}:2:23: not valid YAML: control character U+0000 is not allowed; remove it`},
	{name: "second document", inv: oneHost + "---\nhosts: []\n",
		want: `{i}:3:1: a second YAML document (after ---); keep the whole inventory in one document`},
	{name: "top level is a list", inv: "- address: 192.0.2.1\n",
		want: `{i}:1:1: the top level must be a mapping with cluster:, ssh: and hosts:, not a list`},

	// Anchors, aliases and merge bombs.
	{name: "alias repeats a host", inv: "hosts:\n  - &a {address: 192.0.2.1, hostname: pi-1}\n  - *a\n",
		want: `{i}:3:5: hosts[1].address: 192.0.2.1 port 22 is already hosts[0] (line 2); list each host once` + "\n" +
			`{i}:3:5: hosts[1].hostname: "pi-1" is already the hostname of hosts[0] (line 2); every node needs its own`},
	{name: "merge into itself", inv: "hosts:\n  - &a\n    address: 192.0.2.1\n    labels: &l\n      <<: *l\n",
		want: `{i}:4:13: hosts[0].labels: << merges this mapping into itself; remove that merge`},
	{name: "billion laughs in k3s settings", inv: "cluster:\n  server_config:\n" + laughs("    ", 6) + oneHost,
		want: `{i}:4:12: cluster.server_config.b: a list item must be a single value, not a list` + "\n" +
			`{i}:5:12: cluster.server_config.c: a list item must be a single value, not a list` + "\n" +
			`{i}:6:12: cluster.server_config.d: a list item must be a single value, not a list` + "\n" +
			`{i}:7:12: cluster.server_config.e: a list item must be a single value, not a list` + "\n" +
			`{i}:8:12: cluster.server_config.f: a list item must be a single value, not a list`},
	{name: "merge bomb of hosts", inv: mergeBomb(7),
		want: `{i}:7:5: hosts[5]: aliases (*name) and merge keys (<<) expand the inventory past 100000 entries here; write the entries out instead`},
	{name: "alias bomb of taints", inv: taintBomb(400, 300),
		want: `{i}:250:5: hosts[248].taints[52]: aliases (*name) and merge keys (<<) expand the inventory past 100000 entries here; write the entries out instead`},

	// Duplicate keys, empty files, hosts.
	{name: "repeated key", inv: "cluster:\n  name: a\n  name: b\n" + oneHost,
		want: `{i}:3:3: cluster.name: repeated key (first on line 2); keep one`},
	{name: "repeated hosts", inv: oneHost + "hosts:\n  - address: 192.0.2.2\n",
		want: `{i}:3:1: hosts: repeated key (first on line 1); keep one`},
	{name: "repeated label", inv: "hosts:\n  - address: 192.0.2.1\n    labels: {disk: ssd, disk: hdd}\n",
		want: `{i}:3:25: hosts[0].labels.disk: repeated key (first on line 3); keep one`},
	{name: "empty file", inv: "", want: `{i}: the file is empty; start from inventory.example.yml`},
	{name: "only comments", inv: "# hosts: to come\n", want: `{i}: the file is empty; start from inventory.example.yml`},
	{name: "no hosts key", inv: "cluster:\n  name: pis\n",
		want: `{i}:1:1: hosts: missing; list the machines under hosts:, each with an address`},
	{name: "hosts without a value", inv: "cluster:\n  name: pis\nhosts:\n# - address: 192.0.2.1\n",
		want: `{i}:3:1: hosts: has no value; list the machines under it, each as "- address: ..." indented below hosts:`},
	{name: "zero hosts", inv: "hosts: []\n",
		want: `{i}:1:8: hosts: is empty; list at least one host, like "- address: 192.168.1.10"`},
	{name: "no server", inv: "hosts:\n  - {address: 192.0.2.1, role: agent}\n",
		want: `{i}:2:3: hosts: no host has role: server; give one host role: server (or leave roles out: the first host then becomes the server)`},
	{name: "role spelt master", inv: "hosts:\n  - {address: 192.0.2.1, role: master}\n",
		want: `{i}:2:32: hosts[0].role: "master" is not a role; use "server"`},
	{name: "two etcd servers", inv: "hosts:\n  - {address: 192.0.2.1, role: server}\n  - {address: 192.0.2.2, role: server}\n",
		want: `{i}:3:1: hosts: 2 servers with embedded etcd: etcd needs an odd number for quorum; add or remove one server, or set cluster.datastore_endpoint for an external datastore`},
	{name: "four etcd servers", inv: "hosts:\n" +
		"  - {address: 192.0.2.1, role: server}\n  - {address: 192.0.2.2, role: server}\n  - {address: 192.0.2.3, role: server}\n  - {address: 192.0.2.4, role: server}\n  - {address: 192.0.2.5}\n",
		want: `{i}:5:1: hosts: 4 servers with embedded etcd: etcd needs an odd number for quorum; add or remove one server, or set cluster.datastore_endpoint for an external datastore`},

	// Duplicate addresses and names.
	{name: "duplicate address", inv: "hosts:\n  - address: 192.0.2.1\n  - address: 192.0.2.1\n",
		want: `{i}:3:14: hosts[1].address: 192.0.2.1 port 22 is already hosts[0] (line 2); list each host once`},
	{name: "duplicate IPv6 written two ways", inv: "hosts:\n  - address: \"2001:db8::1\"\n  - address: 2001:db8:0::1\n",
		want: `{i}:3:14: hosts[1].address: 2001:db8::1 port 22 is already hosts[0] (line 2); list each host once`},
	{name: "duplicate name in other case", inv: "hosts:\n  - address: Pi-1.local\n  - address: pi-1.LOCAL\n",
		want: `{i}:3:14: hosts[1].address: pi-1.local port 22 is already hosts[0] (line 2); list each host once`},
	{name: "duplicate hostname", inv: "hosts:\n  - {address: 192.0.2.1, hostname: pi-1}\n  - {address: 192.0.2.2, hostname: pi-1}\n",
		want: `{i}:3:36: hosts[1].hostname: "pi-1" is already the hostname of hosts[0] (line 2); every node needs its own`},
	{name: "hostname is another host's address", inv: "hosts:\n  - {address: 192.0.2.1, hostname: pi-2}\n  - {address: pi-2}\n",
		want: `{i}:2:36: hosts[0].hostname: "pi-2" is the address of hosts[1] (line 3); a hostname equal to another host's address makes the hosts ambiguous (--host pi-2); choose another hostname`},

	// Addresses: IPv6 with brackets, invalid names.
	{name: "IPv6 in brackets", inv: "hosts:\n  - address: \"[2001:db8::1]\"\n",
		want: `{i}:2:14: hosts[0].address: "[2001:db8::1]": write an IPv6 address without brackets, like 2001:db8::1`},
	{name: "IPv6 in brackets with a port", inv: "hosts:\n  - address: \"[2001:db8::1]:2222\"\n",
		want: `{i}:2:14: hosts[0].address: "[2001:db8::1]:2222" holds a port; write address: 2001:db8::1 and port: 2222`},
	{name: "IPv4 api endpoint in brackets", inv: "cluster:\n  api_endpoint: \"[192.0.2.1]\"\n" + oneHost,
		want: `{i}:2:17: cluster.api_endpoint: "[192.0.2.1]" is not host[:port]: only an IPv6 address goes in brackets, like [fd00::10] or [fd00::10]:6443`},
	{name: "IPv6 api endpoint missing a bracket", inv: "cluster:\n  api_endpoint: \"[fd00::10:6443\"\n" + oneHost,
		want: `{i}:2:17: cluster.api_endpoint: "[fd00::10:6443" is not host[:port] (like 192.168.1.10:6443 or k3s.lan)`},
	{name: "IPv6 jump host in brackets without a port", inv: "ssh:\n  proxy_jump: \"[fd00::1]\"\n" + oneHost,
		want: `{i}:2:15: ssh.proxy_jump: "[fd00::1]" is not [user@]host[:port] (several joined with commas)`},
	{name: "IPv6 with three colons", inv: "hosts:\n  - address: \"2001:db8:::1\"\n",
		want: `{i}:2:14: hosts[0].address: "2001:db8:::1" is not an IP address or host name: part "2001:db8:::1" must be 1-63 letters, digits or '-', not starting or ending with '-'`},
	{name: "IPv4 out of range", inv: "hosts:\n  - address: 10.0.0.256\n",
		want: `{i}:2:14: hosts[0].address: "10.0.0.256" is not a valid IPv4 address (four numbers 0-255, like 192.168.1.10)`},
	{name: "address with a space", inv: "hosts:\n  - address: pi 1\n",
		want: `{i}:2:14: hosts[0].address: "pi 1" is not an IP address or host name: part "pi 1" must be 1-63 letters, digits or '-', not starting or ending with '-'`},
	{name: "hostname with underscore", inv: "hosts:\n  - {address: 192.0.2.1, hostname: pi_1}\n",
		want: `{i}:2:36: hosts[0].hostname: "pi_1" is not a valid hostname; use 1-63 lower-case letters, digits or '-', not starting or ending with '-' (like pi-1)`},
	{name: "hostname with capitals", inv: "hosts:\n  - {address: 192.0.2.1, hostname: Pi-1}\n",
		want: `{i}:2:36: hosts[0].hostname: "Pi-1" has capitals, which Kubernetes node names may not; use "pi-1"`},
	{name: "hostname is a domain name", inv: "hosts:\n  - {address: 192.0.2.1, hostname: pi-1.local}\n",
		want: `{i}:2:36: hosts[0].hostname: "pi-1.local" is a domain name; a hostname is one label, like "pi-1"`},

	// Control characters in values are escaped: one problem stays one line.
	{name: "key path with a line break", inv: "ssh:\n  key: \"id\\nrsa\"\n" + oneHost,
		want: `{i}:2:8: ssh.key: {d}/id\nrsa does not exist; give the private key file, like ~/.ssh/id_ed25519`},
	{name: "label key with a terminal escape", inv: "hosts:\n  - address: 192.0.2.1\n    labels:\n      \"\\e[2Jx\": y\n",
		want: `{i}:4:7: hosts[0].labels[\x1b[2Jx]: label key "\x1b[2Jx" must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (optionally after a prefix like example.com/)`},

	// CIDRs.
	{name: "CIDR prefix too long", inv: "cluster:\n  server_config:\n    cluster-cidr: 10.42.0.0/33\n" + oneHost,
		want: `{i}:3:19: cluster.server_config.cluster-cidr: "10.42.0.0/33" is not a network in CIDR form, like 10.42.0.0/16 or fd00:42::/56 (join two with a comma for dual-stack)`},
	{name: "CIDR dual-stack half wrong", inv: "cluster:\n  server_config:\n    service-cidr: \"10.43.0.0/16,nope\"\n" + oneHost,
		want: `{i}:3:19: cluster.server_config.service-cidr: "nope" is not a network in CIDR form, like 10.42.0.0/16 or fd00:42::/56 (join two with a comma for dual-stack)`},
	{name: "CIDR without prefix", inv: "cluster:\n  server_config:\n    cluster-cidr: 10.42.0.1\n" + oneHost,
		want: `{i}:3:19: cluster.server_config.cluster-cidr: "10.42.0.1" is not a network in CIDR form, like 10.42.0.0/16 or fd00:42::/56 (join two with a comma for dual-stack)`},

	// Secrets with quotes, $, backticks and newlines.
	{name: "token with quotes and a trailing space", inv: "cluster:\n  token: \"K10q\\\"uo'te \"\n" + oneHost, secrets: []string{`K10q"uo'te`, "uo'te"},
		want: `{i}:2:10: cluster.token: starts or ends with white space (value withheld); remove it, it would become part of the secret`},
	{name: "token with a newline", inv: "cluster:\n  token: \"K10line\\nZweiteZeile\"\n" + oneHost, secrets: []string{"K10line", "ZweiteZeile"},
		want: `{i}:2:10: cluster.token: holds a line break or another control character (value withheld); a secret is one line of printable characters`},
	{name: "token as a block with a newline", inv: "cluster:\n  token: |\n    K10block\n    second\n" + oneHost, secrets: []string{"K10block", "second"},
		want: `{i}:2:10: cluster.token: starts or ends with white space (value withheld); remove it, it would become part of the secret`},
	{name: "token with $( ) and another mistake", inv: "cluster:\n  token: \"K10$(touch /tmp/pwned)x\"\nhosts:\n  - {address: 192.0.2.1, hostname: pi_1}\n",
		secrets: []string{"touch /tmp/pwned", "K10$("},
		want:    `{i}:4:36: hosts[0].hostname: "pi_1" is not a valid hostname; use 1-63 lower-case letters, digits or '-', not starting or ending with '-' (like pi-1)`},
	{name: "token with backticks and another mistake", inv: "cluster:\n  token: K10`id`Zyx\n  batch_size: 0\n" + oneHost,
		secrets: []string{"`id`Zyx"},
		want:    `{i}:3:15: cluster.batch_size: is 0; it counts agents joined per batch and must be 1 or more`},
	{name: "datastore password with a newline", inv: "cluster:\n  datastore_endpoint: \"postgres://k3s:Pa$$w0rd\\n@db/k3s\"\n" + oneHost,
		secrets: []string{"Pa$$w0rd"},
		want:    `{i}:2:23: cluster.datastore_endpoint: holds a line break or another control character (value not shown: it may hold a password); write it on one line`},
	{name: "datastore with an unknown scheme", inv: "cluster:\n  datastore_endpoint: \"pg://k3s:`Secr3t`@db/k3s\"\n" + oneHost,
		secrets: []string{"Secr3t"},
		want:    `{i}:2:23: cluster.datastore_endpoint: must start with postgres://, mysql://, https:// (external etcd) or nats:// (value not shown: it may hold a password)`},
	{name: "password typed into sudo_password_env", inv: "ssh:\n  sudo_password_env: \"p$x`y'\\\"Hunter2\"\n" + oneHost,
		secrets: []string{"Hunter2", "p$x"},
		want:    `{i}:2:22: ssh.sudo_password_env: is not an environment variable name (value withheld: it may be a password); this key takes the NAME of a variable, like K3SUP_PI_SUDO_PASSWORD, whose value is the password`},
	{name: "agent-token with a leading space", inv: "cluster:\n  server_config:\n    agent-token: \" K10agent$`x\"\n" + oneHost,
		secrets: []string{"K10agent"},
		want:    `{i}:3:18: cluster.server_config.agent-token: starts or ends with white space (value withheld); remove it, it would become part of the secret`},
	{name: "token and token_file", inv: "cluster:\n  token: K10both\n  token_file: tok\n" + oneHost, secrets: []string{"K10both"},
		want: `{i}:3:15: cluster.token_file: set together with token; keep one of token and token_file`},

	// Labels and taints with shell metacharacters.
	{name: "label value with ;", inv: "hosts:\n  - address: 192.0.2.1\n    labels:\n      disk: \"ssd; rm -rf /\"\n",
		want: `{i}:4:13: hosts[0].labels[disk]: label value "ssd; rm -rf /" must be empty or 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`},
	{name: "label key with $( )", inv: "hosts:\n  - address: 192.0.2.1\n    labels:\n      \"$(id)\": x\n",
		want: `{i}:4:7: hosts[0].labels[$(id)]: label key "$(id)" must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (optionally after a prefix like example.com/)`},
	{name: "label value with backticks", inv: "hosts:\n  - address: 192.0.2.1\n    labels:\n      disk: \"`reboot`\"\n",
		want: "{i}:4:13: hosts[0].labels[disk]: label value \"`reboot`\" must be empty or 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"},
	{name: "taint value with $( )", inv: "hosts:\n  - address: 192.0.2.1\n    taints: [\"a=$(reboot):NoSchedule\"]\n",
		want: `{i}:3:14: hosts[0].taints[0]: taint "a=$(reboot):NoSchedule": value "$(reboot)" must be empty or 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`},
	{name: "taint value with a pipe", inv: "hosts:\n  - address: 192.0.2.1\n    taints: [\"a=b|c:NoSchedule\"]\n",
		want: `{i}:3:14: hosts[0].taints[0]: taint "a=b|c:NoSchedule": value "b|c" must be empty or 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`},
	{name: "taint value with a newline", inv: "hosts:\n  - address: 192.0.2.1\n    taints: [\"a=b\\nc:NoSchedule\"]\n",
		want: `{i}:3:14: hosts[0].taints[0]: taint "a=b\nc:NoSchedule": value "b\nc" must be empty or 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`},

	// Environment overrides with bad values.
	{name: "env batch size not a number", inv: oneHost, env: map[string]string{"K3SUP_PI_BATCH_SIZE": "abc"},
		want: `{i}: cluster.batch_size: "abc" is not a whole number (set by --batch-size or $K3SUP_PI_BATCH_SIZE)`},
	{name: "env concurrency negative", inv: oneHost, env: map[string]string{"K3SUP_PI_CONCURRENCY": "-3"},
		want: `{i}: cluster.concurrency: is -3; it counts parallel SSH connections and must be 1 or more (set by --concurrency or $K3SUP_PI_CONCURRENCY)`},
	{name: "env reboot timeout without unit", inv: oneHost, env: map[string]string{"K3SUP_PI_REBOOT_TIMEOUT": "5"},
		want: `{i}: cluster.reboot_timeout: "5" is not a duration; write it with a unit, like 10m or 90s (set by --reboot-timeout or $K3SUP_PI_REBOOT_TIMEOUT)`},
	{name: "env version with shell text", inv: oneHost, env: map[string]string{"K3SUP_PI_K3S_VERSION": "v1.31.4+k3s1; rm -rf /"},
		want: `{i}: cluster.k3s_version: "v1.31.4+k3s1; rm -rf /" is not a k3s version; they look like v1.31.4+k3s1 (set by --k3s-version or $K3SUP_PI_K3S_VERSION)`},
	{name: "env channel with $( )", inv: oneHost, env: map[string]string{"K3SUP_PI_CHANNEL": "$(id)"},
		want: `{i}: cluster.channel: "$(id)" is not a channel; use stable, latest, testing or a minor line like v1.31 (set by --channel or $K3SUP_PI_CHANNEL)`},
	{name: "env install source misspelt", inv: oneHost, env: map[string]string{"K3SUP_PI_INSTALL_SOURCE": "ofline"},
		want: `{i}: cluster.install.source: "ofline" is not an install source; use "online" (hosts download k3s) or "offline" (upload bundle_dir) (set by --install-source or $K3SUP_PI_INSTALL_SOURCE)`},
	{name: "env user with a host", inv: oneHost, env: map[string]string{"K3SUP_PI_USER": "pi@192.0.2.1"},
		want: `{i}: ssh.user: "pi@192.0.2.1" is not a user name; give only the name, like pi (set by --user or $K3SUP_PI_USER)`},
	{name: "env key missing", inv: oneHost, env: map[string]string{"K3SUP_PI_KEY": "/nonexistent/id_ed25519"},
		want: `{i}: ssh.key: /nonexistent/id_ed25519 does not exist; give the private key file, like ~/.ssh/id_ed25519 (set by --key or $K3SUP_PI_KEY)`},
	{name: "env inventory is a directory", inv: oneHost, args: []string{"up", "--dry-run"}, env: map[string]string{"K3SUP_PI_INVENTORY": "{d}"},
		want: `read inventory (choose another with -i or $K3SUP_PI_INVENTORY): {d} is a directory, not a regular file; give the path of a file`},
	{name: "flag beats env", inv: oneHost, args: []string{"up", "--dry-run", "-i", "{i}", "--batch-size", "0"}, env: map[string]string{"K3SUP_PI_BATCH_SIZE": "5"},
		want: `{i}: cluster.batch_size: is 0; it counts agents joined per batch and must be 1 or more (set by --batch-size or $K3SUP_PI_BATCH_SIZE)`},
	{name: "sudo password in env stays out of errors", inv: "cluster:\n  token: \" K10x\"\n" + oneHost,
		env: map[string]string{"K3SUP_PI_SUDO_PASSWORD": "Sud0'$`pw\n"}, secrets: []string{"Sud0", "K10x"},
		want: `{i}:2:10: cluster.token: starts or ends with white space (value withheld); remove it, it would become part of the secret`},

	// Every command that reads the inventory refuses it the same way.
	{name: "doctor with a repeated key", inv: "ssh:\n  user: a\n  user: b\n" + oneHost, args: []string{"doctor", "-i", "{i}"},
		want: `{i}:3:3: ssh.user: repeated key (first on line 2); keep one`},
	{name: "reset with a tab", inv: "hosts:\n\t- address: 192.0.2.1\n", args: []string{"reset", "--yes", "-i", "{i}"},
		want: `{i}:2:1: not valid YAML: a tab indents this line; YAML indents with spaces only, replace the tab with spaces`},
	{name: "kubeconfig with an empty file", inv: "", args: []string{"kubeconfig", "-i", "{i}"},
		want: `{i}: the file is empty; start from inventory.example.yml`},
	{name: "add-node with two etcd servers", inv: "hosts:\n  - {address: 192.0.2.1, role: server}\n  - {address: 192.0.2.2, role: server}\n",
		args: []string{"add-node", "-i", "{i}", "--address", "192.0.2.9"},
		want: `{i}:3:1: hosts: 2 servers with embedded etcd: etcd needs an odd number for quorum; add or remove one server, or set cluster.datastore_endpoint for an external datastore`},

	// Conflicting and malformed flags.
	{name: "version and channel flags", inv: oneHost, args: []string{"up", "--dry-run", "-i", "{i}", "--k3s-version", "v1.31.4+k3s1", "--channel", "stable"},
		want: `{i}: cluster.channel: set together with k3s_version; keep one (an exact version, or a channel like stable) (set by --channel or $K3SUP_PI_CHANNEL)`},
	{name: "dry run and preflight only", inv: oneHost, args: []string{"up", "--dry-run", "--preflight-only", "-i", "{i}"},
		want: "--dry-run and --preflight-only cannot be used together; give one\nRun 'k3sup-pi up --help' for usage."},
	{name: "accept-new and insecure host keys", inv: oneHost, args: []string{"up", "-i", "{i}", "--insecure-ignore-host-keys", "--accept-new-host-keys"},
		want: "--accept-new-host-keys and --insecure-ignore-host-keys cannot be used together; give one\nRun 'k3sup-pi up --help' for usage."},
	{name: "empty batch size flag", inv: oneHost, args: []string{"up", "--dry-run", "-i", "{i}", "--batch-size="},
		want: `{i}: cluster.batch_size: "" is not a whole number (set by --batch-size or $K3SUP_PI_BATCH_SIZE)`},
	{name: "dry run is not a word", inv: oneHost, args: []string{"up", "--dry-run=maybe", "-i", "{i}"},
		want: "invalid argument \"maybe\" for \"--dry-run\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax\nRun 'k3sup-pi up --help' for usage."},
	{name: "add-node host and address", inv: twoHosts, args: []string{"add-node", "-i", "{i}", "--host", "pi-1", "--address", "192.0.2.9"},
		want: `add-node: give exactly one of --host NAME (from the inventory) or --address ADDR`},
	{name: "add-node host and hostname", inv: twoHosts, args: []string{"add-node", "-i", "{i}", "--host", "pi-2", "--hostname", "pi-9"},
		want: `add-node: --hostname goes with --address only; with --host pi-2 the inventory gives the host's settings (change them there)`},
	{name: "add-node host and role", inv: twoHosts, args: []string{"add-node", "-i", "{i}", "--host", "pi-2", "--role", "server"},
		want: `add-node: --role goes with --address only; with --host pi-2 the inventory gives the host's settings (change them there)`},
	{name: "reset an empty host name", inv: "hosts:\n  - address: 192.0.2.1\n  - address: 192.0.2.2\n", args: []string{"reset", "--yes", "-i", "{i}", "--host", ""},
		want: `--host: no host "" in {i}; give a hostname, an address or address:port of one of its hosts: 192.0.2.1, 192.0.2.2`},
	{name: "kubeconfig switch-context without merge", inv: oneHost, args: []string{"kubeconfig", "-i", "{i}", "--switch-context"},
		want: `kubeconfig: --switch-context works with --merge (the printed kubeconfig's current-context is already its own)`},
}

// laughs is a billion-laughs document of depth levels under indent: each
// key a list of nine aliases to the key before it.
func laughs(indent string, levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sa: &a [%s]\n", indent, strings.TrimSuffix(strings.Repeat(`"lol",`, 9), ","))
	for l := 1; l < levels; l++ {
		prev, cur := string(rune('a'+l-1)), string(rune('a'+l))
		fmt.Fprintf(&b, "%s%s: &%s [%s]\n", indent, cur, cur, strings.TrimSuffix(strings.Repeat("*"+prev+",", 9), ","))
	}
	return b.String()
}

// mergeBomb is a hosts list where each host merges the one before it ten
// times: the last of n hosts expands to 10^(n-1) keys.
func mergeBomb(n int) string {
	var b strings.Builder
	b.WriteString("hosts:\n  - &h0 {address: 192.0.2.1}\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  - &h%d {<<: [%s], address: 192.0.2.%d}\n", i,
			strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*h%d, ", i-1), 10), ", "), i+1)
	}
	return b.String()
}

// taintBomb is one list of n taints that every one of hosts hosts aliases.
func taintBomb(n, hosts int) string {
	var b strings.Builder
	b.WriteString("hosts:\n  - {address: 192.0.2.1, taints: &t [")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "k%d:NoSchedule", i)
	}
	b.WriteString("]}\n")
	for i := 1; i < hosts; i++ {
		fmt.Fprintf(&b, "  - {address: 10.0.%d.%d, taints: *t}\n", i/250, i%250+1)
	}
	return b.String()
}

// TestBadInputAtScale runs every broken inventory and command line of
// badInputs through the command: exit 2, exactly the expected message on
// stderr, nothing on stdout, no secret anywhere, and no host dialled.
func TestBadInputAtScale(t *testing.T) {
	if len(badInputs) < 40 {
		t.Fatalf("%d cases; issue 12 asks for at least 40", len(badInputs))
	}
	orig := dialHost
	t.Cleanup(func() { dialHost = orig })
	for _, tt := range badInputs {
		t.Run(tt.name, func(t *testing.T) {
			dialHost = func(_ context.Context, tg remote.Target, _ remote.Options) (*remote.Client, error) {
				t.Errorf("host %s was dialled; bad input must stop the command first", tg.Alias)
				return nil, fmt.Errorf("test: no host may be dialled")
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "inventory.yml")
			if err := os.WriteFile(path, []byte(tt.inv), 0o600); err != nil {
				t.Fatal(err)
			}
			fill := strings.NewReplacer("{i}", path, "{d}", dir).Replace
			for k, v := range tt.env {
				t.Setenv(k, fill(v))
			}
			args := strings.Fields(upDry)
			if tt.args != nil {
				args = append([]string(nil), tt.args...)
			}
			for i := range args {
				args[i] = fill(args[i])
			}
			out, errOut, code := runCLI(t, args...)
			if code != exitBadInput {
				t.Errorf("exit %d, want %d", code, exitBadInput)
			}
			if want := "error: " + fill(tt.want) + "\n"; errOut != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
			}
			if out != "" {
				t.Errorf("stdout must stay empty, got %q", out)
			}
			for _, s := range tt.secrets {
				if strings.Contains(out+errOut, s) {
					t.Errorf("the secret %q reached the output", s)
				}
			}
		})
	}
}
