package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRestartUpgradeAndNotReady covers persistence across a server
// restart, an agent upgrade, NotReady when heartbeats stop, and the
// history annotation that records it all.
func TestRestartUpgradeAndNotReady(t *testing.T) {
	c := newCluster(t)
	fast := []string{"K3S_STANDIN_NOTREADY_AFTER=2s"}
	s := c.server("srv", fast)
	a := c.agent("v1.31.4+k3s1", "pi-1", s.url(), s.nodeToken(t), []string{"K3S_STANDIN_READY_DELAY=0"})
	c.mustKubectl(s, "wait", "--for=condition=Ready", "node/pi-1", "--timeout=30s")
	c.mustKubectl(s, "label", "node", "pi-1", "keep=me")

	s = s.restart(t, "v1.31.4+k3s1")
	if !s.ready(15 * time.Second) {
		t.Fatalf("restarted server not ready:\n%s", s.log.String())
	}
	if got := c.getNode(s, "pi-1").Metadata.Labels["keep"]; got != "me" {
		t.Fatalf("label lost across server restart: %q", got)
	}

	a = a.restart(t, "v1.31.5+k3s1")
	eventually(t, 20*time.Second, "pi-1 on v1.31.5 and Ready", func() bool {
		n := c.getNode(s, "pi-1")
		return n.Status.NodeInfo.KubeletVersion == "v1.31.5+k3s1" && n.Status.Conditions[0].Status == "True"
	})
	a.stop(t)
	eventually(t, 20*time.Second, "pi-1 NotReady", func() bool {
		out, _ := c.kubectl(s, "get", "node", "pi-1", "--no-headers")
		return strings.Contains(out, "NotReady")
	})
	got := strings.Join(events(t, c.getNode(s, "pi-1")), ",")
	if want := "registered,ready,restarted,version,ready,notready"; got != want {
		t.Fatalf("history %s, want %s", got, want)
	}
}

// TestHA runs three servers: they share one CA, every server answers for
// every node, and an agent fails over when its server stops.
func TestHA(t *testing.T) {
	c := newCluster(t)
	fast := []string{"K3S_STANDIN_NOTREADY_AFTER=6s"}
	s1 := c.server("s1", fast, "--cluster-init", "--token", "ha")
	s2 := c.server("s2", fast, "--server", s1.url(), "--token", "ha")
	s3 := c.server("s3", fast, "--server", s1.url(), "--token", s1.nodeToken(t))
	a := c.agent("v1.31.4+k3s1", "pi-1", s1.url(), "ha", nil)
	ca1, _ := os.ReadFile(s1.file("var/lib/rancher/k3s/server/tls/server-ca.crt"))
	for _, s := range []*proc{s2, s3} {
		ca, _ := os.ReadFile(s.file("var/lib/rancher/k3s/server/tls/server-ca.crt"))
		if !bytes.Equal(ca, ca1) {
			t.Fatalf("server %s has its own CA", s.ip)
		}
	}
	for _, s := range []*proc{s1, s2, s3} {
		eventually(t, 20*time.Second, "4 Ready nodes on "+s.ip, func() bool {
			out, _ := c.kubectl(s, "get", "nodes", "--no-headers")
			return strings.Count(out, " Ready ") == 4
		})
	}
	if roles := c.mustKubectl(s3, "get", "node", "s2", "--no-headers"); !strings.Contains(roles, "control-plane,etcd,master") {
		t.Fatalf("joined server roles: %s", roles)
	}
	s1.stop(t)
	eventually(t, 30*time.Second, "s1 NotReady on s2", func() bool {
		out, _ := c.kubectl(s2, "get", "node", "s1", "--no-headers")
		return strings.Contains(out, "NotReady")
	})
	if out := c.mustKubectl(s3, "get", "node", "pi-1", "--no-headers"); !strings.Contains(out, " Ready ") {
		t.Fatalf("agent did not fail over, pi-1 is:\n%s\nagent log:\n%s", out, a.log.String())
	}
}
