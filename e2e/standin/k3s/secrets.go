package main

import (
	"sort"
	"strings"
	"time"
)

// Node-password secrets, modelled on k3s-io/k3s pkg/nodepassword:
// nodepassword.go (Ensure: the first certificate request of a node creates
// kube-system/<node>.node-password.k3s holding a hash of the node's
// /etc/rancher/node/password; a later request with another password is
// rejected) and controller.go (the secret gets an OwnerReference to its Node
// once the node exists, so the garbage collector deletes it with the node;
// secrets without a node are deleted after MinOrphanSecretAge). The secret
// lives apart from the Node object: it can be listed and deleted through the
// API, and while it exists a node of that name must present its password.

// secretType is the type k3s gives node-password secrets.
const secretType = "k3s.cattle.io/node-password"

// orphanSecretAge is k3s's MinOrphanSecretAge; orphanSecretAgeEnv changes
// it (hidden; tests only).
const (
	orphanSecretAge    = 10 * time.Minute
	orphanSecretAgeEnv = "K3S_STANDIN_ORPHAN_SECRET_AGE"
)

// secretRec is one node-password secret.
type secretRec struct {
	Name    string    `json:"name"`
	UID     string    `json:"uid"`
	Created time.Time `json:"created"`
	Hash    string    `json:"hash"`
	Owner   string    `json:"owner,omitempty"`    // the node it belongs to, once that node exists
	OwnerID string    `json:"ownerUID,omitempty"` // that node's UID
	Deleted bool      `json:"deleted,omitempty"`
	Updated int64     `json:"updated"`
	RV      int64     `json:"-"`
}

// passwordSecretName is k3s's getSecretName.
func passwordSecretName(node string) string {
	return strings.ToLower(node + ".node-password.k3s")
}

// ensurePasswordLocked verifies the node's password against its secret, or
// creates the secret; the caller holds mu.
func (s *store) ensurePasswordLocked(node, password string) (*secretRec, error) {
	name := passwordSecretName(node)
	if sec, ok := s.secrets[name]; ok && !sec.Deleted {
		if sec.Hash != hashPassword(password) {
			return nil, errPasswordRejected
		}
		return sec, nil
	}
	sec := &secretRec{Name: name, UID: uuid(), Created: time.Now(), Hash: hashPassword(password)}
	s.secrets[name] = sec
	s.touchSecretLocked(sec)
	return sec, nil
}

// ownLocked records the node as the secret's owner (controller.go onChangeNode).
func (s *store) ownLocked(sec *secretRec, r *record) {
	if sec.OwnerID != r.UID {
		sec.Owner, sec.OwnerID = r.Name, r.UID
		s.touchSecretLocked(sec)
	}
}

func (s *store) touchSecretLocked(sec *secretRec) {
	s.rv++
	sec.RV = s.rv
	sec.Updated = time.Now().UnixNano()
}

// collectLocked deletes the secrets owned by a deleted node (the garbage
// collector following the OwnerReference); the caller holds mu.
func (s *store) collectLocked(r *record) {
	for _, sec := range s.secrets {
		if !sec.Deleted && sec.OwnerID == r.UID {
			sec.Deleted = true
			s.touchSecretLocked(sec)
		}
	}
}

// deleteSecret deletes a secret through the API.
func (s *store) deleteSecret(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[name]
	if !ok || sec.Deleted {
		return false
	}
	sec.Deleted = true
	s.touchSecretLocked(sec)
	s.saveOrLogLocked()
	return true
}

// sweepSecrets deletes secrets older than age whose node does not exist
// (controller.go sync).
func (s *store) sweepSecrets(age time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for _, sec := range s.secrets {
		if sec.Deleted || time.Since(sec.Created) < age {
			continue
		}
		if r, ok := s.nodes[sec.Owner]; ok && !r.Deleted && r.UID == sec.OwnerID {
			continue
		}
		logf("warning", "Deleted orphaned node-password secret %s created %s", sec.Name, sec.Created.UTC().Format(time.RFC3339))
		sec.Deleted = true
		s.touchSecretLocked(sec)
		changed = true
	}
	if changed {
		s.saveOrLogLocked()
	}
}

// listSecrets returns copies of the live secrets sorted by name, and the RV.
func (s *store) listSecrets() ([]secretRec, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []secretRec{}
	for _, sec := range s.secrets {
		if !sec.Deleted {
			out = append(out, *sec)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, s.rv
}

// secretsLocked copies every secret, tombstones included, for replication.
func (s *store) secretsLocked() []*secretRec {
	out := []*secretRec{}
	for _, sec := range s.secrets {
		c := *sec
		out = append(out, &c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// mergeSecretsLocked takes every remote secret newer than the local one.
func (s *store) mergeSecretsLocked(in []*secretRec) bool {
	changed := false
	for _, rs := range in {
		if l, ok := s.secrets[rs.Name]; ok && l.Updated >= rs.Updated {
			continue
		}
		s.rv++
		rs.RV = s.rv
		s.secrets[rs.Name] = rs
		changed = true
	}
	return changed
}

func (s *store) saveOrLogLocked() {
	if err := s.saveLocked(); err != nil {
		logf("error", "%v", err)
	}
}
