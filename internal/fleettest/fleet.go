// Package fleettest is a fake fleet of hosts for unit tests of the engine:
// each host serves facts from a fixture of internal/facts/testdata, answers
// the commands the engine sends by small handlers that change its state as a
// real host would (install, restart, reboot, a cmdline.txt write, the run
// lock), runs a fake cluster behind `k3s kubectl`, and records every command,
// write, upload and reboot in order so that a test can assert what changed,
// and in what order.
package fleettest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/kubeconfig/kctest"
)

// Event kinds.
const (
	KindRun    = "run"
	KindWrite  = "write"
	KindUpload = "upload"
	KindReboot = "reboot"
)

// Event is one thing a host was asked to do.
type Event struct {
	Host     string // the host's address
	Kind     string // KindRun, KindWrite, KindUpload or KindReboot
	What     string // short words: "install k3s server", "kubectl drain s2", "write /etc/rancher/k3s/config.yaml"
	Script   string // the script as sent, for a run
	Changing bool   // the classifier's verdict: it changed the host or the cluster
}

// String is "host: what", as tests compare them.
func (e Event) String() string { return e.Host + ": " + e.What }

// Fleet is the fake hosts and their cluster.
type Fleet struct {
	mu      sync.Mutex
	hosts   map[string]*Host
	events  []Event
	nodes   map[string]*kubeNode // the cluster's nodes by name
	k3sYAML []byte
	secret  string // the cluster token the first server was started with
}

// New makes an empty fleet; add hosts with Add.
func New(t testing.TB) *Fleet {
	t.Helper()
	pki := kctest.NewPKI(t)
	return &Fleet{hosts: map[string]*Host{}, nodes: map[string]*kubeNode{}, k3sYAML: kctest.YAML(t, pki.Config())}
}

// Fixture reads a facts fixture of internal/facts/testdata by file name.
func Fixture(t testing.TB, name string) string {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(self), "..", "facts", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Add makes a host at addr serving the facts of fixture (its text).
func (f *Fleet) Add(addr, fixture string) *Host {
	h := &Host{fleet: f, addr: addr, files: map[string][]byte{}}
	for _, line := range strings.Split(strings.TrimRight(fixture, "\n"), "\n") {
		k, v, _ := strings.Cut(line, "=")
		h.keys = append(h.keys, k)
		if h.kv == nil {
			h.kv = map[string]string{}
		}
		h.kv[k] = v
	}
	f.mu.Lock()
	f.hosts[addr] = h
	f.mu.Unlock()
	return h
}

// Host returns the host at addr, nil when there is none.
func (f *Fleet) Host(addr string) *Host {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hosts[addr]
}

// Dial is a dialer body: the host at addr, or an error.
func (f *Fleet) Dial(_ context.Context, addr string) (*Host, error) {
	if h := f.Host(addr); h != nil {
		return h, nil
	}
	return nil, fmt.Errorf("%s: connect %s:22: no route to host", addr, addr) // as remote.Dial names it
}

// Events returns every event so far, in order.
func (f *Fleet) Events() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Event(nil), f.events...)
}

// Changing returns the events that changed a host or the cluster, as strings.
func (f *Fleet) Changing() []string {
	var out []string
	for _, e := range f.Events() {
		if e.Changing {
			out = append(out, e.String())
		}
	}
	return out
}

// Reset forgets the events so far (the hosts keep their state).
func (f *Fleet) Reset() {
	f.mu.Lock()
	f.events = nil
	f.mu.Unlock()
}
