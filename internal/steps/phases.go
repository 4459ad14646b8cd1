package steps

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/k3sup-pi/k3sup-pi/internal/kubeconfig"
)

// prepare sets hostnames and patches cmdline.txt on every host in parallel,
// then reboots the hosts that need it (see rebootAll) and verifies the memory
// cgroup. A host that fails does not stop the others; the phase returns all
// the failures at its end.
func (r *run) prepare(ctx context.Context) error {
	err := forEach(ctx, r.touched(), r.inv.Cluster.Concurrency, func(ctx context.Context, n *Node) error {
		p := r.prep[n]
		if p.SetHostname != "" {
			if err := setHostname(ctx, n, p.SetHostname); err != nil {
				return err
			}
		}
		if p.VxlanModules {
			if err := ensureVxlan(ctx, n); err != nil {
				return err
			}
		}
		if p.PatchCmdline {
			return patchCmdline(ctx, n)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return r.rebootAll(ctx)
}

// stage readies the installer (and offline, the binary) on every host that
// will install, all in parallel, before the first server starts.
func (r *run) stage(ctx context.Context) error {
	var todo []*Node
	for _, n := range r.touched() {
		if r.k3s[n].Install {
			todo = append(todo, n)
		}
	}
	return forEach(ctx, todo, r.inv.Cluster.Concurrency, r.in.stage)
}

// firstServer brings up the init server, waits for its API and reads the
// node-token and k3s.yaml that the rest of the run needs.
func (r *run) firstServer(ctx context.Context) error {
	first := r.servers[0]
	if r.touch(first) {
		if err := r.ensureToken(); err != nil {
			return err
		}
		if err := r.ensureNode(ctx, first, first); err != nil {
			return err
		}
	}
	if err := r.readJoinToken(ctx); err != nil {
		return err
	}
	y, err := readRootFile(ctx, first, kubeconfigK3s)
	if err != nil {
		return err
	}
	r.k3sYAML = y
	return nil
}

// ensureNode renders, plans and applies k3s on one node, then waits until it
// is Ready (on the wanted version). kubectl runs on a server other than skip.
func (r *run) ensureNode(ctx context.Context, n *Node, skip *Node) error {
	cfg, p, err := r.replan(n)
	if err != nil || !p.Changed() {
		return err
	}
	drain := r.drains(n, p)
	if drain {
		if err := r.cl.drain(ctx, n, skip); err != nil {
			return err
		}
	}
	join := ""
	if n != r.servers[0] {
		join = r.serverURL()
	}
	v, err := r.in.ensureK3s(ctx, n, n.Host.Role, cfg, p, join)
	if err != nil {
		return err
	}
	if err := r.cl.waitReady(ctx, map[string]string{n.NodeName(): v}, r.inv.Cluster.ReadyTimeout, skip); err != nil {
		return err
	}
	if drain {
		return r.cl.uncordon(ctx, n)
	}
	return nil
}

// replan renders a node's config now that the tokens exist and plans k3s on
// it again; the plan made before the first server was up could not know the
// config's hash.
func (r *run) replan(n *Node) ([]byte, K3sPlan, error) {
	cfg, err := r.config(n)
	if err != nil {
		return nil, K3sPlan{}, err
	}
	p, _, err := r.planK3s(n)
	if err != nil {
		return nil, K3sPlan{}, fmt.Errorf("%s: %w", n.Host.Name(), err)
	}
	r.k3s[n] = p
	return cfg, p, nil
}

// moreServers joins (or upgrades) further servers one at a time, each Ready
// before the next, so etcd keeps its quorum.
func (r *run) moreServers(ctx context.Context) error {
	for _, n := range r.servers[1:] {
		if !r.touch(n) {
			continue
		}
		if err := r.ensureNode(ctx, n, n); err != nil {
			return err
		}
	}
	return nil
}

// agentBatches joins (or upgrades) the agents that need it, in batches: every
// node of a batch Ready before the next batch starts.
func (r *run) agentBatches(ctx context.Context) error {
	var todo []*Node
	for _, n := range r.agents {
		if r.touch(n) {
			todo = append(todo, n)
		}
	}
	size := r.inv.Cluster.BatchSize
	for i := 0; i < len(todo); i += size {
		batch := todo[i:min(i+size, len(todo))]
		if err := r.agentBatch(ctx, batch, i/size+1); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) agentBatch(ctx context.Context, batch []*Node, num int) error {
	cfgs := map[*Node][]byte{}
	var changed []*Node
	for _, n := range batch {
		cfg, p, err := r.replan(n)
		if err != nil {
			return err
		}
		if p.Changed() {
			cfgs[n] = cfg
			changed = append(changed, n)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	var drained []*Node
	for _, n := range changed {
		if r.drains(n, r.k3s[n]) {
			if err := r.cl.drain(ctx, n, nil); err != nil {
				return err
			}
			drained = append(drained, n)
		}
	}
	want := map[string]string{}
	var mu sync.Mutex
	err := forEach(ctx, changed, r.inv.Cluster.Concurrency, func(ctx context.Context, n *Node) error {
		v, err := r.in.ensureK3s(ctx, n, "agent", cfgs[n], r.k3s[n], r.serverURL())
		mu.Lock()
		want[n.NodeName()] = v
		mu.Unlock()
		return err
	})
	if err != nil {
		return err
	}
	r.opt.Log.Hostf("batch", "%d: waiting for %d nodes to be Ready", num, len(changed))
	if err := r.cl.waitReady(ctx, want, r.inv.Cluster.ReadyTimeout, nil); err != nil {
		return err
	}
	for _, n := range drained {
		if err := r.cl.uncordon(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// labelAndTaint brings every node's labels and taints to the inventory's.
func (r *run) labelAndTaint(ctx context.Context) error {
	current, err := r.cl.nodes(ctx, nil)
	if err != nil {
		return err
	}
	for _, n := range r.touched() {
		kn, ok := current[n.NodeName()]
		if !ok {
			return fmt.Errorf("node %s (%s) is not in the cluster", n.NodeName(), n.Host.Name())
		}
		m := diffMeta(kn, r.metaWant(n))
		if m.empty() {
			continue
		}
		if err := r.cl.applyMeta(ctx, n.NodeName(), m); err != nil {
			return err
		}
		if len(m.Label)+len(m.Taint) > 0 {
			n.note("labels/taints: %v %v", m.Label, m.Taint)
		}
	}
	return nil
}

// metaWant is what the inventory asks one node to carry.
func (r *run) metaWant(n *Node) metaWant {
	w := metaWant{Labels: map[string]string{}}
	for k, v := range n.Host.Labels {
		w.Labels[k] = v
	}
	w.Taints = append(w.Taints, n.Host.Taints...)
	if n.Host.Role == "server" && r.inv.Cluster.TaintServers {
		w.Taints = append(w.Taints, ControlPlaneTaint)
	}
	if n.Host.Role == "agent" && r.inv.Cluster.LabelWorkers {
		k, v, _ := strings.Cut(WorkerLabel, "=")
		w.Labels[k] = v
	}
	return w
}

// writeKubeconfig writes the cluster's kubeconfig (built by kubeconfig.Rewrite
// from the CA and client credentials of the first server's k3s.yaml alone,
// server the API endpoint, entries named after the cluster, 0600) unless it is
// already current. A k3s.yaml with anything else is refused, nothing written.
func (r *run) writeKubeconfig(ctx context.Context) error {
	if !r.opt.WriteKubeconfig || r.inv.Cluster.Kubeconfig == "" {
		return nil
	}
	out, err := kubeconfig.Rewrite(r.k3sYAML, r.servers[0].Host.Name(), r.inv.Cluster.Name, r.serverURL())
	if err != nil {
		return err
	}
	path := r.inv.Cluster.Kubeconfig
	if same, _ := sameFile(path, out); same {
		return nil
	}
	if _, err := kubeconfig.WriteFile(path, out); err != nil {
		return err
	}
	r.result.Kubeconfig = path
	return nil
}
