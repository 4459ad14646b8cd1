// Package preflight holds the pure rules that decide, from gathered facts and the
// planned role of each host, what cannot work, what is risky and what the user
// should know, before k3sup-pi changes anything.
package preflight

import (
	"fmt"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// Severity ranks a Finding. Any Error stops `up` before the first change.
type Severity int

// The severities, worst first.
const (
	Error Severity = iota
	Warning
	Info
)

// String returns "error", "warning" or "info".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	case Info:
		return "info"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// Finding is one result of a check.
type Finding struct {
	Host     string   // inventory name; "" for a finding about the fleet as a whole
	Severity Severity // how bad it is
	Check    string   // short name of the rule: arch, memory, hostname, ...
	Msg      string   // what is wrong, with the numbers
	Fix      string   // what to do about it; "" when nothing is needed
	Hosts    []string // every host a fleet finding concerns (inventory names); nil for a single-host finding
}

// String renders the finding on one line: "pi-01: error: arch: ... (fix: ...)".
func (f Finding) String() string {
	host := f.Host
	if host == "" {
		host = "fleet"
	}
	s := fmt.Sprintf("%s: %s: %s: %s", host, f.Severity, f.Check, f.Msg)
	if f.Fix != "" {
		s += " (fix: " + f.Fix + ")"
	}
	return s
}

// Input is one host as preflight sees it: its facts and what the inventory plans for it.
type Input struct {
	Host         string      // inventory name
	Role         role.Role   // server or agent
	Facts        facts.Facts // gathered from the host
	WantHostname string      // hostname the inventory sets, "" if none
	EmbeddedEtcd bool        // the cluster's servers keep their state in embedded etcd

	// ClusterCIDRPrefix is the prefix length of the cluster-cidr (16 for
	// 10.42.0.0/16); 0 means the k3s default, /16.
	ClusterCIDRPrefix int
	// ClusterNodes is the number of nodes the cluster will have when it is larger
	// than the hosts passed to CheckFleet (add-node); 0 means len(hosts).
	ClusterNodes int
}

// Options relaxes host checks on the user's request.
type Options struct {
	AllowLowMemory bool // a server under 2 GB is a Warning instead of an Error
}

// Errors returns the findings of severity Error, in order.
func Errors(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Severity == Error {
			out = append(out, f)
		}
	}
	return out
}
