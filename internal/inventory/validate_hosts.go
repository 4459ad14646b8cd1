package inventory

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

func (v *validator) hosts() {
	addrs, names := map[string]int{}, map[string]int{}
	for i, h := range v.inv.Hosts {
		hp := fmt.Sprintf("hosts[%d]", i)
		v.host(hp, h)
		if h.Address != "" && checkAddress(h.Address) == "" {
			key := fmt.Sprintf("%s port %d", canonicalAddress(h.Address), effectivePort(h.Port, v.inv.SSH.Port))
			if j, dup := addrs[key]; dup {
				v.check(hp+".address", fmt.Sprintf("%s is already hosts[%d] (line %d); list each host once", key, j, v.inv.Hosts[j].Line))
			} else {
				addrs[key] = i
			}
		}
		if h.Hostname != "" && checkHostname(h.Hostname) == "" {
			if j, dup := names[h.Hostname]; dup {
				v.check(hp+".hostname", fmt.Sprintf("%q is already the hostname of hosts[%d] (line %d); every node needs its own", h.Hostname, j, v.inv.Hosts[j].Line))
			} else {
				names[h.Hostname] = i
			}
		}
	}
	v.hostnamesNotAddresses()
}

// hostnamesNotAddresses refuses a hostname that is another host's address:
// a name given to --host would then select the wrong host.
func (v *validator) hostnamesNotAddresses() {
	addrs := map[string]int{}
	for i := len(v.inv.Hosts) - 1; i >= 0; i-- {
		addrs[canonicalAddress(v.inv.Hosts[i].Address)] = i
	}
	for i, h := range v.inv.Hosts {
		if h.Hostname == "" {
			continue
		}
		j, clash := addrs[canonicalAddress(h.Hostname)]
		if clash && j != i && canonicalAddress(v.inv.Hosts[j].Address) != canonicalAddress(h.Address) {
			v.check(fmt.Sprintf("hosts[%d].hostname", i), fmt.Sprintf(
				"%q is the address of hosts[%d] (line %d); a hostname equal to another host's address makes the hosts ambiguous (--host %s); choose another hostname",
				h.Hostname, j, v.inv.Hosts[j].Line, h.Hostname))
		}
	}
}

func canonicalAddress(a string) string {
	if ip, err := netip.ParseAddr(a); err == nil {
		return ip.String()
	}
	return strings.ToLower(a)
}

// host checks the values of one host entry.
func (v *validator) host(hp string, h Host) {
	if h.Address == "" && !v.inv.given(hp+".address") {
		if v.inv.pos[hp+".address"].origin != badOrigin {
			v.report(hp, "has no address; add address: with its IP or host name")
		}
	} else {
		v.check(hp+".address", checkAddress(h.Address))
	}
	if h.Role != role.Server && h.Role != role.Agent {
		v.check(hp+".role", roleMsg(h.Role))
	}
	if h.Hostname != "" {
		v.check(hp+".hostname", checkHostname(h.Hostname))
	}
	if h.User != "" {
		v.check(hp+".user", checkUser(h.User))
	}
	v.port(hp+".port", h.Port)
	v.serverTaints(hp, h)
	if h.ProxyJump != "" {
		v.check(hp+".proxy_jump", checkProxyJump(h.ProxyJump))
	}
}

func roleMsg(r role.Role) string {
	var want role.Role
	switch strings.ToLower(string(r)) {
	case "server", "master", "control-plane", "controlplane", "control_plane":
		want = role.Server
	case "agent", "worker", "node":
		want = role.Agent
	default:
		return fmt.Sprintf("%q is not a role; use \"server\" or \"agent\"", r)
	}
	return fmt.Sprintf("%q is not a role; use %q", r, want)
}

// topology checks the hosts as a whole: some host, a server, and an odd
// number of servers when they share embedded etcd.
func (v *validator) topology() {
	hosts := v.inv.Hosts
	if len(hosts) == 0 {
		if v.inv.given("hosts") {
			v.report("hosts", "is empty; list at least one host, like \"- address: 192.168.1.10\"")
		}
		return
	}
	for _, h := range hosts {
		if h.Role != role.Server && h.Role != role.Agent {
			return // a bad role is reported already; counting servers would mislead
		}
	}
	servers := v.inv.Servers()
	if len(servers) == 0 {
		v.report("hosts", "no host has role: server; give one host role: server (or leave roles out: the first host then becomes the server)")
		return
	}
	if v.inv.EmbeddedEtcd() && len(servers)%2 == 0 {
		last := servers[len(servers)-1]
		v.ps.add(pos{line: last.Line, col: 1}, "hosts",
			"%d servers with embedded etcd: etcd needs an odd number for quorum; add or remove one server, or set cluster.datastore_endpoint for an external datastore",
			len(servers))
	}
}

// controlPlaneTaint is the taint cluster.taint_servers puts on every server.
const controlPlaneTaint = "node-role.kubernetes.io/control-plane=true:NoSchedule"

// serverTaints refuses a server taint with the key and effect of the one
// cluster.taint_servers sets: the node can hold only one of them.
func (v *validator) serverTaints(hp string, h Host) {
	if h.Role != role.Server || !v.inv.Cluster.TaintServers {
		return
	}
	for i, t := range h.Taints {
		tp := fmt.Sprintf("%s.taints[%d]", hp, i)
		switch {
		case t == controlPlaneTaint:
			v.check(tp, fmt.Sprintf("taint %q is put on every server by cluster.taint_servers; remove it here", t))
		case checkTaint(t) == "" && taintID(t) == taintID(controlPlaneTaint):
			v.check(tp, fmt.Sprintf("taint %q has the key and effect of %q, which cluster.taint_servers puts on every server; keep one of the two",
				t, controlPlaneTaint))
		}
	}
}
