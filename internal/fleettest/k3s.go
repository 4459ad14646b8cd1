package fleettest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

var (
	execRE    = regexp.MustCompile(`INSTALL_K3S_EXEC=(\w+)`)
	wantVerRE = regexp.MustCompile(`INSTALL_K3S_VERSION=(v[^ ']+)`)
	tokenRE   = regexp.MustCompile(`(?m)^token: "?([^"\n]+)"?$`)
	nodeRE    = regexp.MustCompile(`(?m)^node-name: "?([^"\n]+)"?$`)
	serverRE  = regexp.MustCompile(`(?m)^server: `)
)

// install runs the k3s installer: online it puts the asked version (or the
// channel's) on disk, offline it keeps the uploaded binary; then k3s starts
// with config.yaml, which must hold the cluster's token.
func install(h *Host, cmd remote.Cmd) (string, string, bool, error) {
	role := execRE.FindStringSubmatch(cmd.Script)[1]
	what := "install k3s " + role
	if !strings.Contains(cmd.Script, "INSTALL_K3S_SKIP_DOWNLOAD=true") {
		v := ChannelVersion
		if m := wantVerRE.FindStringSubmatch(cmd.Script); m != nil {
			v = m[1]
		}
		h.set("k3s_version", v, "k3s_bin_hash", sum([]byte(v)))
		h.files[k3sBinary] = []byte(v)
	}
	h.set("k3s_role", role)
	h.installed(role)
	if err := h.start(); err != nil {
		return "", what, true, err
	}
	return "", what, true, nil
}

// service runs systemctl restart or start of the k3s unit.
func (h *Host) service(cmd remote.Cmd, verb string) (string, string, bool, error) {
	unit := "k3s"
	if strings.Contains(cmd.Script, "k3s-agent") {
		unit = "k3s-agent"
	}
	return "", verb + " " + unit, true, h.start()
}

// start starts k3s from config.yaml: the first server of a cluster sets its
// token; every other node must bring the cluster's node-token.
func (h *Host) start() error {
	cfg := string(h.files[configPath])
	m := tokenRE.FindStringSubmatch(cfg)
	if m == nil {
		return &remote.ExitError{Host: h.addr, ExitCode: 1, Stderr: "k3s: no token in " + configPath}
	}
	tok, f := secretOf(m[1]), h.fleet
	joins := serverRE.MatchString(cfg)
	switch {
	case !joins && f.secret == "":
		f.secret = tok
	case !joins && tok != f.secret:
		return &remote.ExitError{Host: h.addr, ExitCode: 1, Stderr: "bootstrap data already found and encrypted with different token"}
	case joins && (tok != f.secret || !strings.HasPrefix(m[1], "K10")):
		return &remote.ExitError{Host: h.addr, ExitCode: 1, Stderr: "token is not the cluster's node-token"}
	}
	if h.kv["k3s_role"] == "server" {
		h.files[nodeTokenPath] = []byte("K10" + sum([]byte(f.secret))[:16] + "::server:" + f.secret + "\n")
	}
	h.set("service_active", "1", "k3s_stale", "0")
	f.register(h)
	return nil
}

// secretOf is the secret of a token: all of a bare one, the part after
// "::server:" of a full K10 one (k3s-io/k3s pkg/clientaccess/token.go).
func secretOf(tok string) string {
	if _, s, ok := strings.Cut(tok, "::server:"); ok {
		return s
	}
	return tok
}

// kubeNode is one node of the fake cluster.
type kubeNode struct {
	name, version       string
	labels, annotations map[string]string
	taints              []string // key[=value]:Effect
	cordoned            bool
	notReady            int // the node shows NotReady in this many more reads of the list
}

// NotReady makes the node show NotReady in the next reads of the node list.
func (f *Fleet) NotReady(node string, reads int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := f.nodes[node]; n != nil {
		n.notReady = reads
	}
}

// register makes (or updates) the host's node: Ready, on the version on disk.
func (f *Fleet) register(h *Host) {
	name := h.kv["hostname"]
	if m := nodeRE.FindStringSubmatch(string(h.files[configPath])); m != nil {
		name = m[1]
	}
	n := f.nodes[name]
	if n == nil {
		n = &kubeNode{name: name, labels: map[string]string{}, annotations: map[string]string{}}
		f.nodes[name] = n
	}
	n.version = h.kv["k3s_version"]
	if h.kv["k3s_role"] == "server" {
		n.labels["node-role.kubernetes.io/control-plane"] = "true"
		if strings.Contains(string(h.files[configPath]), "cluster-init: true") || serverRE.MatchString(string(h.files[configPath])) {
			n.labels["node-role.kubernetes.io/etcd"] = "true"
		}
	}
}

// kubectl runs the kubectl verbs the engine uses against the fake cluster.
func (f *Fleet) kubectl(h *Host, args []string) (string, string, bool, error) {
	what := "kubectl " + strings.Join(args, " ")
	if h.kv["k3s_role"] != "server" || h.kv["service_active"] != "1" {
		return "", what, false, &remote.ExitError{Host: h.addr, ExitCode: 1, Stderr: "k3s kubectl: the server is not running"}
	}
	if len(args) >= 2 && args[0] == "get" && args[1] == "nodes" {
		return f.nodeList(), what, false, nil
	}
	if len(args) >= 2 && args[0] == "get" && args[1] == "secrets" {
		var b strings.Builder
		for _, name := range sortedNames(f.nodes) {
			b.WriteString("secret/" + name + ".node-password.k3s\n")
		}
		return b.String(), what, false, nil
	}
	name := args[len(args)-1]
	if args[0] == "label" || args[0] == "taint" || args[0] == "annotate" {
		name = args[2]
	}
	n := f.nodes[name]
	if n == nil && args[0] != "delete" {
		return "", what, false, &remote.ExitError{Host: h.addr, ExitCode: 1, Stderr: fmt.Sprintf("nodes %q not found", name)}
	}
	switch args[0] {
	case "drain":
		n.cordoned = true
	case "uncordon":
		n.cordoned = false
	case "delete":
		if args[1] == "node" {
			delete(f.nodes, name)
		}
	case "label", "annotate":
		m := map[bool]map[string]string{true: n.labels, false: n.annotations}[args[0] == "label"]
		for _, it := range args[4:] {
			if k, ok := strings.CutSuffix(it, "-"); ok {
				delete(m, k)
			} else if k, v, ok := strings.Cut(it, "="); ok {
				m[k] = v
			}
		}
	case "taint":
		for _, it := range args[4:] {
			if t, ok := strings.CutSuffix(it, "-"); ok {
				n.taints = slices.DeleteFunc(n.taints, func(x string) bool { return taintKE(x) == t })
			} else {
				n.taints = append(n.taints, it)
			}
		}
	default:
		return "", what, false, fmt.Errorf("%s: fake fleet: unknown kubectl %q", h.addr, args)
	}
	return "", what, true, nil
}

// taintKE is key:Effect of key[=value]:Effect.
func taintKE(t string) string {
	kv, eff, _ := strings.Cut(t, ":")
	k, _, _ := strings.Cut(kv, "=")
	return k + ":" + eff
}

// nodeList is `kubectl get nodes -o json`, trimmed to what the engine reads.
func (f *Fleet) nodeList() string {
	type taint struct{ Key, Value, Effect string }
	var items []any
	for _, name := range sortedNames(f.nodes) {
		n := f.nodes[name]
		var ts []taint
		for _, t := range n.taints {
			kv, eff, _ := strings.Cut(t, ":")
			k, v, _ := strings.Cut(kv, "=")
			ts = append(ts, taint{k, v, eff})
		}
		ready := "True"
		if n.notReady > 0 {
			n.notReady--
			ready = "False"
		}
		items = append(items, map[string]any{
			"metadata": map[string]any{"name": name, "labels": n.labels, "annotations": n.annotations},
			"spec":     map[string]any{"taints": ts, "unschedulable": n.cordoned},
			"status": map[string]any{"conditions": []map[string]string{{"type": "Ready", "status": ready}},
				"nodeInfo": map[string]string{"kubeletVersion": n.version}},
		})
	}
	b, _ := json.Marshal(map[string]any{"items": items})
	return string(b)
}

func sortedNames(m map[string]*kubeNode) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
