package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// secretJSON is what the tests read of a node-password secret.
type secretJSON struct {
	Type     string `json:"type"`
	Metadata struct {
		Name            string `json:"name"`
		Namespace       string `json:"namespace"`
		OwnerReferences []struct {
			Kind, Name string
		} `json:"ownerReferences"`
	} `json:"metadata"`
	Data map[string]string `json:"data"`
}

// TestNodePasswordSecrets follows k3s-io/k3s pkg/nodepassword
// (nodepassword.go, controller.go, validate.go): the secret
// kube-system/<node>.node-password.k3s is made at a node's first
// registration, owned by the Node, visible and deletable through the API;
// while it exists another password under that name is rejected; deleting
// the secret lets the name join with a new password; deleting the node
// deletes the secret; a secret whose node never registered is swept.
func TestNodePasswordSecrets(t *testing.T) {
	c := newCluster(t)
	s := c.server("srv", []string{"K3S_STANDIN_ORPHAN_SECRET_AGE=1s"}, "--token", "pw")
	a := c.agent("v1.31.4+k3s1", "pi-1", s.url(), "pw", []string{"K3S_STANDIN_READY_DELAY=0"})
	c.mustKubectl(s, "wait", "--for=condition=Ready", "node/pi-1", "--timeout=30s")
	if out := c.mustKubectl(s, "get", "secrets", "-n", "kube-system", "-o", "name"); out != "secret/pi-1.node-password.k3s\nsecret/srv.node-password.k3s\n" {
		t.Fatalf("secrets:\n%s", out)
	}
	var sec secretJSON
	if err := json.Unmarshal([]byte(c.mustKubectl(s, "get", "secret", "-n", "kube-system", "pi-1.node-password.k3s", "-o", "json")), &sec); err != nil {
		t.Fatal(err)
	}
	if sec.Type != secretType || sec.Metadata.Namespace != "kube-system" || sec.Data["hash"] == "" ||
		len(sec.Metadata.OwnerReferences) != 1 || sec.Metadata.OwnerReferences[0].Kind != "Node" || sec.Metadata.OwnerReferences[0].Name != "pi-1" {
		t.Fatalf("secret: %+v", sec)
	}

	// The same name from a fresh /etc/rancher/node: rejected while the secret exists.
	a.stop(t)
	b := start(t, "v1.31.4+k3s1", filepath.Join(c.dir, "pi-1-new"), a.ip, []string{"K3S_STANDIN_READY_DELAY=0"}, a.args...)
	eventually(t, 15*time.Second, "Node password rejected", func() bool { return strings.Contains(b.log.String(), "Node password rejected") })
	if b.ready(100 * time.Millisecond) {
		t.Fatal("an agent with another password became ready")
	}
	c.mustKubectl(s, "delete", "secret", "-n", "kube-system", "pi-1.node-password.k3s")
	if !b.ready(15 * time.Second) {
		t.Fatalf("agent not accepted after its secret was deleted:\n%s", b.log.String())
	}
	c.mustKubectl(s, "get", "secret", "-n", "kube-system", "pi-1.node-password.k3s")

	// Deleting the node deletes its secret.
	b.stop(t)
	c.mustKubectl(s, "delete", "node", "pi-1")
	if out := c.mustKubectl(s, "get", "secrets", "-n", "kube-system", "-o", "name"); out != "secret/srv.node-password.k3s\n" {
		t.Fatalf("secrets after the node was deleted:\n%s", out)
	}

	// A node that never registers leaves an orphan secret, swept after its age.
	bad := start(t, "v1.31.4+k3s1", filepath.Join(c.dir, "bad"), newIP(), nil,
		"agent", "--node-name", "bad", "--server", s.url(), "--token", "pw", "--node-label", "no-value")
	eventually(t, 15*time.Second, "the orphan secret", func() bool {
		out, _ := c.kubectl(s, "get", "secrets", "-n", "kube-system", "-o", "name")
		return strings.Contains(out, "bad.node-password.k3s")
	})
	bad.stop(t)
	eventually(t, 15*time.Second, "the orphan secret swept", func() bool {
		out, _ := c.kubectl(s, "get", "secrets", "-n", "kube-system", "-o", "name")
		return !strings.Contains(out, "bad.node-password.k3s")
	})
}
