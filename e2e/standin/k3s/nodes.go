package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// registration is what a node sends when its k3s process starts.
type registration struct {
	Name     string            `json:"name"`
	Password string            `json:"password"`
	IP       string            `json:"ip"`
	Hostname string            `json:"hostname"`
	Version  string            `json:"version"`
	Labels   map[string]string `json:"labels"`
	Extra    []string          `json:"nodeLabels"`
	Taints   []string          `json:"nodeTaints"`
}

// errPasswordRejected is k3s's answer to a node name already taken.
var errPasswordRejected error = usageError("Node password rejected, duplicate hostname or contents of " +
	"'/etc/rancher/node/password' may not match server node-passwd entry, " +
	"try enabling a unique node name with the --with-node-id flag")

// Annotations the stand-in maintains on every node.
const (
	annRegisteredAt = "standin.k3s.io/registered-at"
	annHistory      = "standin.k3s.io/history"
)

func hashPassword(pw string) string {
	sum := sha256.Sum256([]byte(pw))
	return hex.EncodeToString(sum[:])
}

// register creates the node, or records a restart of a known node. The
// node's password is checked against its node-password secret (created on
// first use) before the Node object is touched, as k3s checks it when the
// node asks for its certificates (k3s-io/k3s pkg/nodepassword/validate.go).
func (s *store) register(reg registration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	sec, err := s.ensurePasswordLocked(reg.Name, reg.Password)
	if err != nil {
		return err
	}
	r, ok := s.nodes[reg.Name]
	if ok && !r.Deleted {
		r.History = append(r.History, event{Event: "restarted", Time: now, Version: reg.Version})
		if r.Version != reg.Version {
			r.History = append(r.History, event{Event: "version", Time: now, Version: reg.Version, From: r.Version})
		}
	} else {
		labels, err := parseLabels(reg.Extra)
		var taints []any
		if err == nil {
			taints, err = parseTaints(reg.Taints)
		}
		if err != nil {
			s.saveOrLogLocked() // the secret stays: k3s made it before the kubelet failed
			return err
		}
		nr := &record{Name: reg.Name, UID: uuid(), Created: now, Labels: labels, Taints: taints,
			Annotations: map[string]string{annRegisteredAt: now.UTC().Format(time.RFC3339Nano)}}
		if ok {
			nr.History = r.History
		}
		nr.History = append(nr.History, event{Event: "registered", Time: now, Version: reg.Version})
		r = nr
		s.nodes[reg.Name] = r
	}
	for k, v := range reg.Labels {
		r.Labels[k] = v
	}
	r.Annotations["k3s.io/hostname"] = reg.Hostname
	r.Annotations["k3s.io/internal-ip"] = reg.IP
	r.IP, r.Hostname, r.Version = reg.IP, reg.Hostname, reg.Version
	s.ownLocked(sec, r)
	r.Ready, r.Transition, r.Heartbeat = false, now, now
	s.commitLocked(r, "ADDED", true)
	return nil
}

// heartbeat records that a node's kubelet is alive (ready once started).
// It reports false when the node does not exist (for example was deleted).
func (s *store) heartbeat(name string, ready bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.nodes[name]
	if !ok || r.Deleted {
		return false
	}
	now := time.Now()
	r.Heartbeat = now
	if ready && !r.Ready {
		r.Ready, r.Transition = true, now
		r.History = append(r.History, event{Event: "ready", Time: now, Version: r.Version})
		s.commitLocked(r, "MODIFIED", true)
	}
	return true
}

// sweep turns nodes NotReady whose heartbeats stopped longer than after ago.
func (s *store) sweep(after time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for _, r := range s.nodes {
		if r.Deleted || !r.Ready || now.Sub(r.Heartbeat) < after {
			continue
		}
		r.Ready, r.Transition = false, now
		r.History = append(r.History, event{Event: "notready", Time: now, Version: r.Version})
		s.commitLocked(r, "MODIFIED", true)
	}
}

// graceHeartbeats gives every node a fresh heartbeat after a server start,
// so nodes are not declared NotReady for the time the server was down.
func (s *store) graceHeartbeats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for _, r := range s.nodes {
		r.Heartbeat = now
	}
}

func parseLabels(in []string) (map[string]string, error) {
	out := map[string]string{}
	for _, l := range in {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid node-label %q: want key=value", l)
		}
		out[k] = v
	}
	return out, nil
}

// parseTaints parses key=value:Effect or key:Effect.
func parseTaints(in []string) ([]any, error) {
	var out []any
	for _, t := range in {
		kv, effect, ok := strings.Cut(t, ":")
		switch effect {
		case "NoSchedule", "PreferNoSchedule", "NoExecute":
		default:
			ok = false
		}
		k, v, _ := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid node-taint %q: want key=value:Effect", t)
		}
		m := map[string]any{"key": k, "effect": effect}
		if v != "" {
			m["value"] = v
		}
		out = append(out, m)
	}
	return out, nil
}

func uuid() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
