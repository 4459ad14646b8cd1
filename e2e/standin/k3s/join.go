package main

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
)

// bootstrap is what a joining server receives from an existing one.
type bootstrap struct {
	CACert  string   `json:"caCert"`
	CAKey   string   `json:"caKey"`
	Secret  string   `json:"secret"`
	Servers []string `json:"servers"`
}

// heartbeatMsg is an agent's periodic status report.
type heartbeatMsg struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
}

// serverList is returned on join and heartbeats so agents can fail over.
type serverList struct {
	Servers []string `json:"servers"`
}

// joinRoutes registers the supervisor endpoints nodes use to join.
func (s *server) joinRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /cacerts", s.handleCACerts)
	mux.HandleFunc("GET /ping", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "pong") })
	mux.HandleFunc("POST /v1-k3s/standin/register", s.auth(true, s.handleRegister))
	mux.HandleFunc("POST /v1-k3s/standin/heartbeat", s.auth(true, s.handleHeartbeat))
	mux.HandleFunc("POST /v1-k3s/server-bootstrap", s.auth(false, s.handleBootstrap))
	mux.HandleFunc("GET /v1-k3s/standin/sync", s.auth(false, s.handleSync))
}

// authorized checks basic auth "server:<secret>" (or "node:<secret>").
func (s *server) authorized(r *http.Request, allowNode bool) bool {
	user, pw, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(pw), []byte(s.secret)) != 1 {
		return false
	}
	return user == "server" || allowNode && user == "node"
}

func (s *server) auth(allowNode bool, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r, allowNode) {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		next(w, r)
	}
}

// handleCACerts serves the CA without authentication; when credentials are
// sent they must be right (this is how joining nodes validate a token).
func (s *server) handleCACerts(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := r.BasicAuth(); ok && !s.authorized(r, true) {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	_, _ = w.Write(s.ca.certPEM)
}

func (s *server) handleRegister(w http.ResponseWriter, r *http.Request) {
	var reg registration
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&reg); err != nil || reg.Name == "" {
		http.Error(w, "bad registration", http.StatusBadRequest)
		return
	}
	err := s.store.register(reg)
	switch {
	case errors.Is(err, errPasswordRejected):
		logf("error", "Node password validation failed for '%s', using passwd file '%s'", reg.Name, "node-passwd")
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	logf("info", "Node %s registered (%s, %s)", reg.Name, reg.IP, reg.Version)
	writeJSON(w, 200, serverList{Servers: s.store.serverList()})
}

func (s *server) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	var hb heartbeatMsg
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&hb); err != nil {
		http.Error(w, "bad heartbeat", http.StatusBadRequest)
		return
	}
	if !s.store.heartbeat(hb.Name, hb.Ready) {
		http.Error(w, "node not found", http.StatusNotFound)
		return
	}
	writeJSON(w, 200, serverList{Servers: s.store.serverList()})
}

func (s *server) handleBootstrap(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Address string `json:"address"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil || in.Address == "" {
		http.Error(w, "bad bootstrap request", http.StatusBadRequest)
		return
	}
	s.store.addServers(in.Address)
	logf("info", "Server %s joined the cluster", in.Address)
	writeJSON(w, 200, bootstrap{CACert: string(s.ca.certPEM), CAKey: string(s.ca.keyPEM),
		Secret: s.secret, Servers: s.store.serverList()})
}

func (s *server) handleSync(w http.ResponseWriter, r *http.Request) {
	if from := r.URL.Query().Get("from"); from != "" {
		s.store.addServers(from)
	}
	writeJSON(w, 200, s.store.snapshot())
}

// addServers adds addresses to the known server list.
func (s *store) addServers(addrs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addServersLocked(addrs) {
		if err := s.saveLocked(); err != nil {
			logf("error", "%v", err)
		}
	}
}

func (s *store) addServersLocked(addrs []string) bool {
	changed := false
	for _, a := range addrs {
		found := false
		for _, have := range s.servers {
			found = found || have == a
		}
		if !found && a != "" {
			s.servers = append(s.servers, a)
			changed = true
		}
	}
	sort.Strings(s.servers)
	return changed
}

func (s *store) serverList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.servers...)
}

// snapshot returns every record (tombstones included) for replication.
func (s *store) snapshot() persisted {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := persisted{Servers: append([]string(nil), s.servers...), Secrets: s.secretsLocked()}
	for _, r := range s.listLocked(func(*record) bool { return true }) {
		p.Nodes = append(p.Nodes, &r)
	}
	return p
}
