package main

import (
	"os"
	"path/filepath"
	"strings"
)

// Filesystem locations of the real k3s. Every one of them goes through
// rooted, so that K3S_STANDIN_ROOT can move the whole tree into a temporary
// directory for unit tests that run the stand-in as an unprivileged process.
const (
	etcDir         = "/etc/rancher/k3s"
	nodeDir        = "/etc/rancher/node"
	defaultDataDir = "/var/lib/rancher/k3s"
	systemdDir     = "/etc/systemd/system"
	kubectlBin     = "/usr/bin/kubectl"

	// rootEnv relocates every path above (hidden; tests only).
	rootEnv = "K3S_STANDIN_ROOT"
	// readyDelayEnv sets how long a node stays NotReady after it registers.
	readyDelayEnv = "K3S_STANDIN_READY_DELAY"
	// notReadyAfterEnv sets how long a node may miss heartbeats before it
	// turns NotReady (hidden; tests only, default 15s).
	notReadyAfterEnv = "K3S_STANDIN_NOTREADY_AFTER"
	// kubectlEnv overrides the path of the real kubectl (hidden; tests only).
	kubectlEnv = "K3S_STANDIN_KUBECTL"
)

// rooted prefixes p with $K3S_STANDIN_ROOT when that is set.
func rooted(p string) string {
	if r := os.Getenv(rootEnv); r != "" {
		return filepath.Join(r, p)
	}
	return p
}

// paths are the files one k3s process reads and writes.
type paths struct {
	dataDir string
}

func newPaths(dataDir string) paths {
	if dataDir == "" {
		dataDir = defaultDataDir
	}
	return paths{dataDir: rooted(dataDir)}
}

func (p paths) serverDir() string { return filepath.Join(p.dataDir, "server") }
func (p paths) tlsDir() string    { return filepath.Join(p.serverDir(), "tls") }
func (p paths) dbDir() string     { return filepath.Join(p.serverDir(), "db") }
func (p paths) tokenFile() string { return filepath.Join(p.serverDir(), "token") }
func (p paths) nodeToken() string { return filepath.Join(p.serverDir(), "node-token") }
func (p paths) agentDir() string  { return filepath.Join(p.dataDir, "agent") }
func (p paths) lbFile() string {
	return filepath.Join(p.agentDir(), "etc", "k3s-agent-load-balancer.json")
}
func (p paths) stateFile() string   { return filepath.Join(p.dbDir(), "state.json") }
func (p paths) serverCA() string    { return filepath.Join(p.tlsDir(), "server-ca.crt") }
func (p paths) serverCAKey() string { return filepath.Join(p.tlsDir(), "server-ca.key") }

func kubeconfigPath() string   { return rooted(filepath.Join(etcDir, "k3s.yaml")) }
func configPath() string       { return rooted(filepath.Join(etcDir, "config.yaml")) }
func nodePasswordPath() string { return rooted(filepath.Join(nodeDir, "password")) }
func nodeIDPath() string       { return rooted(filepath.Join(nodeDir, "node-id")) }

// envFromUnitFiles looks key up in the process environment and then in the
// env files install.sh writes beside the units, so a setting placed there
// works even when the binary runs outside systemd.
func envFromUnitFiles(key string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	for _, unit := range []string{"k3s.service.env", "k3s-agent.service.env"} {
		b, err := os.ReadFile(rooted(filepath.Join(systemdDir, unit)))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
			if ok && k == key {
				return strings.Trim(v, `"'`)
			}
		}
	}
	return ""
}
