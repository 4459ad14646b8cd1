package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRealKubectl drives the real kubectl against one server and two
// agents: each step runs kubectl and checks its output.
func TestRealKubectl(t *testing.T) {
	c := newCluster(t)
	s := c.server("srv", nil, "--cluster-init", "--token", "topsecret")
	tok := s.nodeToken(t)
	c.agent("v1.31.4+k3s1", "pi-1", s.url(), tok, nil)
	a2 := c.agent("v1.31.4+k3s1", "pi-2", s.url(), tok, nil)
	eventually(t, 20*time.Second, "3 nodes registered", func() bool {
		out, _ := c.kubectl(s, "get", "nodes", "-o", "name")
		return strings.Count(out, "node/") == 3
	})
	steps := []struct {
		name  string
		args  []string
		match string // regexp the output must match
	}{
		{"wait ready", []string{"wait", "--for=condition=Ready", "node/pi-1", "node/pi-2", "node/srv", "--timeout=30s"}, `node/pi-1 condition met`},
		{"table", []string{"get", "nodes"}, `(?m)^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n(?:\S+\s+Ready\s+\S+\s+\d+s\s+v1\.31\.4\+k3s1\n){3}$`},
		{"roles", []string{"get", "node", "srv", "--no-headers"}, `srv\s+Ready\s+control-plane,etcd,master`},
		{"jsonpath", []string{"get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"}, `^pi-1 pi-2 srv$`},
		{"label", []string{"label", "node", "pi-1", "node-role.kubernetes.io/worker=true", "tier=edge"}, `node/pi-1 labeled`},
		{"label shown", []string{"get", "nodes", "-l", "tier=edge", "--no-headers"}, `^pi-1\s+Ready\s+worker\s`},
		{"unlabel", []string{"label", "node", "pi-1", "tier-"}, `node/pi-1 unlabeled`},
		{"unlabel shown", []string{"get", "node", "pi-1", "-o", "jsonpath={.metadata.labels.tier}|{.metadata.labels.node-role\\.kubernetes\\.io/worker}"}, `^\|true$`},
		{"taint", []string{"taint", "node", "pi-2", "dedicated=gpu:NoSchedule"}, `node/pi-2 tainted`},
		{"taint shown", []string{"get", "node", "pi-2", "-o", "jsonpath={.spec.taints[0].key}={.spec.taints[0].value}:{.spec.taints[0].effect}"}, `^dedicated=gpu:NoSchedule$`},
		{"untaint", []string{"taint", "node", "pi-2", "dedicated-"}, `node/pi-2 untainted`},
		{"untaint shown", []string{"get", "node", "pi-2", "-o", "jsonpath={.spec.taints}"}, `^$`},
		{"cordon", []string{"cordon", "pi-1"}, `node/pi-1 cordoned`},
		{"cordon shown", []string{"get", "node", "pi-1", "--no-headers"}, `Ready,SchedulingDisabled`},
		{"uncordon", []string{"uncordon", "pi-1"}, `node/pi-1 uncordoned`},
		{"drain", []string{"drain", "pi-2", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=30s"}, `node/pi-2 drained`},
		{"delete", []string{"delete", "node", "pi-2", "--timeout=30s"}, `node "pi-2" deleted`},
		{"deleted gone", []string{"get", "nodes", "-o", "name"}, `^node/pi-1\nnode/srv\n$`},
		{"namespaces", []string{"get", "namespaces", "-o", "name"}, `namespace/kube-system`},
		{"pods", []string{"get", "pods", "-A"}, `No resources found`},
	}
	for _, st := range steps {
		out := c.mustKubectl(s, st.args...)
		if !regexp.MustCompile(st.match).MatchString(out) {
			t.Fatalf("step %q: kubectl %s\noutput:\n%s\ndoes not match %s", st.name, strings.Join(st.args, " "), out, st.match)
		}
	}
	checkReplace(t, c, s)
	checkReregister(t, c, s, a2)
}

// checkReplace edits a node with PUT (kubectl replace).
func checkReplace(t *testing.T, c *cluster, s *proc) {
	obj := strings.Replace(c.mustKubectl(s, "get", "node", "pi-1", "-o", "json"), `"labels": {`, `"labels": {"put": "yes",`, 1)
	if out, err := c.kubectlIn(s, obj, "replace", "--validate=false", "-f", "-"); err != nil || !strings.Contains(out, "node/pi-1 replaced") {
		t.Fatalf("kubectl replace: %v\n%s", err, out)
	}
	if got := c.getNode(s, "pi-1").Metadata.Labels["put"]; got != "yes" {
		t.Fatalf("label from PUT: %q", got)
	}
}

// checkReregister proves a deleted node stays deleted while its agent
// runs, and registers again when the agent restarts.
func checkReregister(t *testing.T, c *cluster, s *proc, a *proc) {
	eventually(t, 10*time.Second, "a heartbeat for the deleted node", func() bool {
		return strings.Contains(a.log.String(), "not found on the server")
	})
	if out := c.mustKubectl(s, "get", "nodes", "-o", "name"); strings.Contains(out, "pi-2") {
		t.Fatalf("deleted node came back without a restart:\n%s", out)
	}
	a.restart(t, "v1.31.4+k3s1")
	c.mustKubectl(s, "wait", "--for=condition=Ready", "node/pi-2", "--timeout=30s")
	if got := strings.Join(events(t, c.getNode(s, "pi-2")), ","); got != "registered,ready,deleted,registered,ready" {
		t.Fatalf("history after re-registration: %s", got)
	}
}

// TestNodeJSON checks the Node object: version, labels, addresses and the
// registration annotations tests use to prove order.
func TestNodeJSON(t *testing.T) {
	c := newCluster(t)
	s := c.server("srv", nil, "--node-label", "zone=a", "--node-taint", "role=cp:NoSchedule")
	a := c.agent("v1.31.5+k3s1", "pi-1", s.url(), s.nodeToken(t), nil)
	c.mustKubectl(s, "wait", "--for=condition=Ready", "node/pi-1", "--timeout=30s")
	var list struct {
		Items []nodeJSON `json:"items"`
	}
	if err := json.Unmarshal([]byte(c.mustKubectl(s, "get", "nodes", "-o", "json")), &list); err != nil {
		t.Fatalf("decoding node list: %v", err)
	}
	want := map[string]struct {
		version, ip string
		label       string
		taints      int
		etcd        bool
	}{
		"srv":  {"v1.31.4+k3s1", s.ip, "zone", 1, false},
		"pi-1": {"v1.31.5+k3s1", a.ip, "kubernetes.io/hostname", 0, false},
	}
	if len(list.Items) != len(want) {
		t.Fatalf("got %d nodes, want %d", len(list.Items), len(want))
	}
	for _, n := range list.Items {
		w := want[n.Metadata.Name]
		if n.Status.NodeInfo.KubeletVersion != w.version || n.Status.Addresses[0].Address != w.ip {
			t.Errorf("%s: version %s ip %s, want %s %s", n.Metadata.Name, n.Status.NodeInfo.KubeletVersion,
				n.Status.Addresses[0].Address, w.version, w.ip)
		}
		if _, ok := n.Metadata.Labels[w.label]; !ok || len(n.Spec.Taints) != w.taints {
			t.Errorf("%s: labels %v taints %v", n.Metadata.Name, n.Metadata.Labels, n.Spec.Taints)
		}
		if _, etcd := n.Metadata.Labels["node-role.kubernetes.io/etcd"]; etcd != w.etcd {
			t.Errorf("%s: etcd label %v, want %v", n.Metadata.Name, etcd, w.etcd)
		}
		reg, err := time.Parse(time.RFC3339Nano, n.Metadata.Annotations[annRegisteredAt])
		if err != nil || reg.Sub(n.Metadata.Created) > time.Second || reg.Before(n.Metadata.Created) {
			t.Errorf("%s: registered-at %q vs creationTimestamp %s (%v)", n.Metadata.Name,
				n.Metadata.Annotations[annRegisteredAt], n.Metadata.Created, err)
		}
		if got := events(t, n); strings.Join(got, ",") != "registered,ready" {
			t.Errorf("%s: history %v, want registered,ready", n.Metadata.Name, got)
		}
	}
}

// nodeJSON is the part of a Node the tests read.
type nodeJSON struct {
	Metadata struct {
		Name        string            `json:"name"`
		Created     time.Time         `json:"creationTimestamp"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		Taints        []map[string]string `json:"taints"`
		Unschedulable bool                `json:"unschedulable"`
	} `json:"spec"`
	Status struct {
		NodeInfo struct {
			KubeletVersion string `json:"kubeletVersion"`
		} `json:"nodeInfo"`
		Addresses []struct {
			Address string `json:"address"`
		} `json:"addresses"`
		Conditions []struct {
			Type, Status string
		} `json:"conditions"`
	} `json:"status"`
}

func events(t *testing.T, n nodeJSON) []string {
	t.Helper()
	var hist []event
	if err := json.Unmarshal([]byte(n.Metadata.Annotations[annHistory]), &hist); err != nil {
		t.Fatalf("%s: history annotation: %v", n.Metadata.Name, err)
	}
	var out []string
	for _, e := range hist {
		out = append(out, e.Event)
	}
	return out
}

// getNode reads one node through kubectl -o json.
func (c *cluster) getNode(s *proc, name string) nodeJSON {
	c.t.Helper()
	var n nodeJSON
	if err := json.Unmarshal([]byte(c.mustKubectl(s, "get", "node", name, "-o", "json")), &n); err != nil {
		c.t.Fatalf("decoding node %s: %v", name, err)
	}
	return n
}
