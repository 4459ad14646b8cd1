package steps

import "context"

// allReady waits (up to cluster.ready_timeout) until every node this run may
// change is Ready, the ones it left alone too: k3s that runs but whose node
// is not Ready (an agent that rejoined on its own after its network came
// back, a kubelet that stopped reporting) is no "Ready cluster", whatever
// the hosts' files say. On a healthy cluster it is one API read.
func (r *run) allReady(ctx context.Context) error {
	want := map[string]string{}
	for _, n := range r.touched() {
		want[n.NodeName()] = ""
	}
	if len(want) == 0 {
		return nil
	}
	return r.cl.waitReady(ctx, want, r.inv.Cluster.ReadyTimeout, nil)
}
