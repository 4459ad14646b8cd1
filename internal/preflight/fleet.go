package preflight

import (
	"fmt"
	"sort"
	"strings"
)

// maxClockSkew is how far a host's clock may be from the fleet's median, in seconds.
const maxClockSkew = 5

// CheckFleet runs the rules that compare hosts: node names, clocks and the
// number of nodes the cluster-cidr can hold. ins are the hosts in inventory
// order, with facts gathered at about the same moment.
func CheckFleet(ins []Input) []Finding {
	var out []Finding
	out = append(out, checkNodeNames(ins)...)
	out = append(out, checkClocks(ins)...)
	out = append(out, checkClusterCIDR(ins)...)
	return out
}

// checkNodeNames refuses two hosts that would end up with the same hostname,
// which k3s uses as the node name: the inventory's hostname when given, else the
// current one.
func checkNodeNames(ins []Input) []Finding {
	groups := map[string][]int{}
	var names []string
	for i, in := range ins {
		name := strings.ToLower(in.WantHostname)
		if name == "" {
			name = strings.ToLower(in.Facts.Hostname)
		}
		if name == "" {
			continue
		}
		if groups[name] == nil {
			names = append(names, name)
		}
		groups[name] = append(groups[name], i)
	}
	sort.Strings(names)
	var out []Finding
	for _, name := range names {
		if idx := groups[name]; len(idx) > 1 {
			out = append(out, duplicateName(name, ins, idx))
		}
	}
	return out
}

func duplicateName(name string, ins []Input, idx []int) Finding {
	hosts := make([]string, 0, len(idx))
	desc := make([]string, 0, len(idx))
	for _, i := range idx {
		src := "current hostname"
		if ins[i].WantHostname != "" {
			src = "inventory hostname"
		}
		hosts = append(hosts, ins[i].Host)
		desc = append(desc, fmt.Sprintf("%s (%s)", ins[i].Host, src))
	}
	return Finding{
		Severity: Error, Check: "hostname", Hosts: hosts,
		Msg: fmt.Sprintf("%d hosts would join as node %q: %s; k3s names nodes after the hostname and refuses duplicates",
			len(idx), name, strings.Join(desc, ", ")),
		Fix: "set a distinct `hostname:` for each of these hosts in the inventory; k3sup-pi then sets it on the host",
	}
}

// checkClocks warns about hosts whose clock is more than maxClockSkew seconds
// from the median of the fleet; hosts with an unknown clock are left out.
func checkClocks(ins []Input) []Finding {
	var times []int64
	for _, in := range ins {
		if in.Facts.UnixTime > 0 {
			times = append(times, in.Facts.UnixTime)
		}
	}
	if len(times) < 2 {
		return nil
	}
	sort.Slice(times, func(a, b int) bool { return times[a] < times[b] })
	mid := len(times) / 2
	median := times[mid]
	if len(times)%2 == 0 {
		median = (times[mid-1] + times[mid]) / 2
	}
	var hosts, desc []string
	for _, in := range ins {
		off := in.Facts.UnixTime - median
		if in.Facts.UnixTime > 0 && (off > maxClockSkew || off < -maxClockSkew) {
			hosts = append(hosts, in.Host)
			desc = append(desc, fmt.Sprintf("%s (%+d s)", in.Host, off))
		}
	}
	if len(hosts) == 0 {
		return nil
	}
	return []Finding{{
		Severity: Warning, Check: "clock", Hosts: hosts,
		Msg: fmt.Sprintf("clock more than %d s away from the fleet's median: %s; TLS and etcd break on clock skew",
			maxClockSkew, strings.Join(desc, ", ")),
		Fix: "enable network time on every host (timedatectl set-ntp true): a Pi has no real-time clock",
	}}
}

// checkClusterCIDR warns when the cluster-cidr cannot give every node its /24.
func checkClusterCIDR(ins []Input) []Finding {
	nodes, prefix := len(ins), 16
	for _, in := range ins {
		nodes = max(nodes, in.ClusterNodes)
		if in.ClusterCIDRPrefix > 0 {
			prefix = in.ClusterCIDRPrefix
		}
	}
	if nodes < subnets(prefix) {
		return nil
	}
	want := prefix
	for want > 8 && nodes >= subnets(want) {
		want--
	}
	return []Finding{{
		Severity: Warning, Check: "cluster-cidr",
		Msg: fmt.Sprintf("%d nodes but a /%d cluster-cidr holds only %d node subnets (/24 each)",
			nodes, prefix, subnets(prefix)),
		Fix: fmt.Sprintf("set a larger cluster-cidr when creating the cluster, such as 10.42.0.0/%d; it cannot be changed later", want),
	}}
}

// subnets is the number of /24 node subnets in a cluster-cidr of the given prefix length.
func subnets(prefix int) int {
	if prefix >= 24 {
		return 1
	}
	return 1 << (24 - prefix)
}
