package steps

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed" // catif.sh
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/hostpath"
	"github.com/k3sup-pi/k3sup-pi/internal/k3sconfig"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/redact"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
	"gopkg.in/yaml.v3"
)

// readTokens finds the secrets that already exist, without creating any: the
// inventory's token, else the one in the first server's config.yaml; and the
// first server's node-token when k3s runs there.
func (r *run) readTokens(ctx context.Context) error {
	tok, err := r.inv.TokenValue()
	if err != nil {
		return err
	}
	first := r.servers[0]
	if tok == "" && first.Facts.ConfigHash != "" {
		if tok, err = configToken(ctx, first); err != nil {
			return err
		}
	}
	r.setToken(tok)
	if first.Facts.K3sRole == role.Server && first.Facts.ServiceActive {
		if err := r.readJoinToken(ctx); err != nil {
			return err
		}
	}
	return r.checkClusterToken(ctx)
}

// checkClusterToken refuses, before anything changes, a token that is not the
// one the cluster was created with: k3s keeps its datastore under a key
// derived from the token and refuses to start a server with another one
// ("bootstrap data already found and encrypted with different token",
// k3s-io/k3s pkg/cluster/storage.go), so writing it would take the cluster
// down. The first server's node-token holds the cluster's token; its absence
// means no datastore exists yet. Neither token is ever printed.
func (r *run) checkClusterToken(ctx context.Context) error {
	first := r.servers[0]
	if r.token == "" || first.Facts.K3sRole != role.Server {
		return nil
	}
	cur := r.joinToken
	if cur == "" {
		res, err := first.Conn.Run(ctx, remote.Script(catIfSh, hostpath.NodeToken).Root())
		if err != nil {
			return fmt.Errorf("read %s on %s: %w", hostpath.NodeToken, first.Conn.Name(), err)
		}
		cur = strings.TrimSpace(string(res.Stdout))
		redact.Add(cur)
	}
	if cur == "" || sameSecret(cur, r.token) {
		return nil
	}
	return &RefusedError{Findings: []preflight.Finding{refusal("", "the inventory's token differs from the token cluster %s was created with "+
		"(on %s); use the cluster's token or reset the cluster", r.inv.Cluster.Name, first.Host.Name())}}
}

//go:embed catif.sh
var catIfSh string

// tokenSecret is the secret part of a k3s token: the whole of a bare token,
// the part after "<user>:" of the full K10<ca-hash>::<user>:<secret> form
// (k3s-io/k3s pkg/clientaccess/token.go).
func tokenSecret(tok string) string {
	tok = strings.TrimSpace(tok)
	if rest, ok := strings.CutPrefix(tok, "K10"); ok {
		if _, creds, ok := strings.Cut(rest, "::"); ok {
			if _, secret, ok := strings.Cut(creds, ":"); ok {
				return secret
			}
		}
	}
	return tok
}

// sameSecret compares the secrets of two tokens in constant time.
func sameSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(tokenSecret(a)), []byte(tokenSecret(b))) == 1
}

// setToken records the cluster token and registers it for redaction.
func (r *run) setToken(tok string) {
	r.token = tok
	redact.Add(tok)
}

// ensureToken creates a random cluster token when none exists yet.
func (r *run) ensureToken() error {
	if r.token != "" {
		return nil
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("create a cluster token: %w", err)
	}
	r.setToken(hex.EncodeToString(b))
	return nil
}

// readJoinToken reads the first server's node-token, which joining nodes use:
// it pins the cluster CA, so a node never joins an impostor.
func (r *run) readJoinToken(ctx context.Context) error {
	out, err := readRootFile(ctx, r.servers[0], hostpath.NodeToken)
	if err != nil {
		return err
	}
	tok := strings.TrimSpace(string(out))
	if !strings.HasPrefix(tok, "K10") {
		return fmt.Errorf("%s on %s does not hold a k3s node token", hostpath.NodeToken, r.servers[0].Conn.Name())
	}
	redact.Add(tok)
	r.joinToken = tok
	return nil
}

// configToken reads the token from the first server's current config.yaml.
func configToken(ctx context.Context, n *fleet.Node) (string, error) {
	out, err := readRootFile(ctx, n, hostpath.K3sConfig)
	if err != nil {
		return "", err
	}
	var cfg struct {
		Token string `yaml:"token"`
	}
	if err := yaml.Unmarshal(out, &cfg); err != nil {
		return "", fmt.Errorf("read %s on %s: %w", hostpath.K3sConfig, n.Conn.Name(), err)
	}
	return cfg.Token, nil
}

// tokenFor is the token a node's config carries, "" when not known yet.
func (r *run) tokenFor(n *fleet.Node) string {
	if n == r.servers[0] {
		return r.token
	}
	return r.joinToken
}

// config renders a node's config.yaml.
func (r *run) config(n *fleet.Node) ([]byte, error) {
	c := r.inv.Cluster
	node := k3sconfig.Node{Role: n.Host.Role, NodeName: n.NodeName(), Token: r.tokenFor(n)}
	if n.Host.Role == role.Server {
		host, _ := r.inv.Endpoint()
		node.TLSSANs = dedupe(host, n.Host.Address)
		node.DatastoreEndpoint = c.DatastoreEndpoint
		node.Extra = without(c.ServerConfig, "cluster-init")
		if n == r.servers[0] {
			node.ClusterInit = r.inv.EmbeddedEtcd()
		} else {
			node.ServerURL = r.inv.ServerURL()
		}
	} else {
		node.ServerURL = r.inv.ServerURL()
		node.Extra = c.AgentConfig
	}
	out, err := k3sconfig.Render(node)
	if err != nil {
		return nil, fmt.Errorf("render config for %s: %w", n.Host.Name(), err)
	}
	return out, nil
}

func hashBytes(b []byte) string { return k3sconfig.Hash(b) }

func dedupe(items ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range items {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// without copies m less the named key.
func without(m map[string]any, key string) map[string]any {
	if _, ok := m[key]; !ok {
		return m
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}
