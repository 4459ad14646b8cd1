package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"
)

// event is one entry of a node's history annotation.
type event struct {
	Event   string    `json:"event"`
	Time    time.Time `json:"time"`
	Version string    `json:"version,omitempty"`
	From    string    `json:"from,omitempty"`
}

// record is the server's state for one node. Spec and metadata that users
// can edit live in Labels, Annotations, Taints and Unschedulable; status is
// derived from the heartbeat fields when the node is rendered.
type record struct {
	Name          string            `json:"name"`
	UID           string            `json:"uid"`
	Created       time.Time         `json:"created"`
	Labels        map[string]string `json:"labels"`
	Annotations   map[string]string `json:"annotations"`
	Taints        []any             `json:"taints,omitempty"`
	Unschedulable bool              `json:"unschedulable,omitempty"`
	IP            string            `json:"ip"`
	Hostname      string            `json:"hostname"`
	Version       string            `json:"version"`
	Ready         bool              `json:"ready"`
	Transition    time.Time         `json:"transition"`
	Heartbeat     time.Time         `json:"heartbeat"`
	History       []event           `json:"history"`
	Deleted       bool              `json:"deleted,omitempty"`
	Updated       int64             `json:"updated"`
	RV            int64             `json:"-"`
}

// watchEvent is delivered to API watchers.
type watchEvent struct {
	Type string
	Rec  record
}

// store holds every node record, persists them and notifies watchers.
type store struct {
	mu       sync.Mutex
	path     string
	rv       int64
	nodes    map[string]*record
	secrets  map[string]*secretRec // node-password secrets, apart from the nodes
	servers  []string
	watchers map[chan watchEvent]struct{}
}

// persisted is the on-disk form of the store.
type persisted struct {
	Nodes   []*record    `json:"nodes"`
	Servers []string     `json:"servers"`
	Secrets []*secretRec `json:"secrets,omitempty"`
}

// openStore loads the store from path (a missing file is an empty store).
func openStore(path string) (*store, error) {
	s := &store{path: path, nodes: map[string]*record{}, secrets: map[string]*secretRec{}, watchers: map[chan watchEvent]struct{}{}}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading node store: %w", err)
	}
	var p persisted
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("parsing node store %s: %w", path, err)
	}
	for _, r := range p.Nodes {
		s.rv++
		r.RV = s.rv
		s.nodes[r.Name] = r
	}
	s.servers = p.Servers
	s.mergeSecretsLocked(p.Secrets)
	return s, nil
}

// saveLocked writes the store; the caller holds mu.
func (s *store) saveLocked() error {
	p := persisted{Servers: s.servers, Secrets: s.secretsLocked()}
	for _, r := range s.nodes {
		p.Nodes = append(p.Nodes, r)
	}
	sort.Slice(p.Nodes, func(i, j int) bool { return p.Nodes[i].Name < p.Nodes[j].Name })
	b, err := json.MarshalIndent(p, "", " ")
	if err != nil {
		return fmt.Errorf("encoding node store: %w", err)
	}
	return writeFileAtomic(s.path, b, 0o600)
}

// commitLocked stamps r as changed, saves, and notifies watchers.
func (s *store) commitLocked(r *record, typ string, stamp bool) {
	s.rv++
	r.RV = s.rv
	if stamp {
		r.Updated = time.Now().UnixNano()
	}
	if err := s.saveLocked(); err != nil {
		logf("error", "%v", err)
	}
	s.notifyLocked(r, typ)
}

// notifyLocked sends a change to every watcher; slow watchers are dropped
// (their watch ends and kubectl starts a new one).
func (s *store) notifyLocked(r *record, typ string) {
	for ch := range s.watchers {
		select {
		case ch <- watchEvent{Type: typ, Rec: cloneRecord(r)}:
		default:
			delete(s.watchers, ch)
			close(ch)
		}
	}
}

// update runs fn on the named live record and commits when fn returns true.
func (s *store) update(name string, fn func(r *record) bool) (record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.nodes[name]
	if !ok || r.Deleted {
		return record{}, false
	}
	if fn(r) {
		s.commitLocked(r, "MODIFIED", true)
	}
	return cloneRecord(r), true
}

// get returns a copy of a live record.
func (s *store) get(name string) (record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.nodes[name]
	if !ok || r.Deleted {
		return record{}, false
	}
	return cloneRecord(r), true
}

// list returns copies of all live records sorted by name, and the current RV.
func (s *store) list() ([]record, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listLocked(func(r *record) bool { return !r.Deleted }), s.rv
}

func (s *store) listLocked(keep func(r *record) bool) []record {
	out := []record{}
	for _, r := range s.nodes {
		if keep(r) {
			out = append(out, cloneRecord(r))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// remove marks a node deleted (a tombstone, so HA peers learn of it) and,
// as k3s's garbage collector does, deletes the node-password secret it owns.
func (s *store) remove(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.nodes[name]
	if !ok || r.Deleted {
		return false
	}
	r.Deleted = true
	s.collectLocked(r)
	r.History = append(r.History, event{Event: "deleted", Time: time.Now()})
	s.commitLocked(r, "DELETED", true)
	return true
}

// subscribe returns a channel of changes; cancel must be called when done.
func (s *store) subscribe() (<-chan watchEvent, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan watchEvent, 1024)
	s.watchers[ch] = struct{}{}
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.watchers[ch]; ok {
			delete(s.watchers, ch)
			close(ch)
		}
	}
}

func cloneRecord(r *record) record {
	c := *r
	c.Labels = cloneMap(r.Labels)
	c.Annotations = cloneMap(r.Annotations)
	c.Taints = append([]any(nil), r.Taints...)
	c.History = append([]event(nil), r.History...)
	return c
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
