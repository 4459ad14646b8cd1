package preflight

import (
	_ "embed" // probe.sh
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// The reachability check probes, before any change, the TCP port through which
// nodes join: 6443 on every server (and the API endpoint when the inventory
// sets one), from every agent and, with more than one server, from every
// server. Each source host runs ONE remote command (ProbeScript) that probes
// all its targets in parallel with curl; a connection that is refused returns
// at once (nothing listens yet, but the path is open), so a healthy fleet pays
// one round trip. This file is the pure part: the script, and the findings
// from its output.
//
// Flannel's 8472/udp (vxlan) is not probed: UDP has no handshake, a dropped
// datagram and a datagram nobody answers look the same, and nothing listens on
// 8472 before k3s runs. Checking it honestly would need a listener on every
// target; k3sup-pi does not pretend to.

// probeTimeout is how long a probe waits for the TCP handshake, in seconds.
const probeTimeout = 3

// ReachTarget is one address:port a source host must reach.
type ReachTarget struct {
	Name     string // inventory name of the server, or "the API endpoint"
	Host     string // address as the source dials it
	Port     string
	Endpoint bool // the inventory's api_endpoint (a load balancer or virtual IP)
}

// Addr is host:port, bracketed for IPv6.
func (t ReachTarget) Addr() string { return net.JoinHostPort(t.Host, t.Port) }

// Probe outcomes, from curl's exit code.
type ReachOutcome int

const (
	ReachOK        ReachOutcome = iota // connected (any HTTP or TLS answer) or refused at once
	ReachBlocked                       // the handshake timed out: a firewall drops it
	ReachNoResolve                     // the name does not resolve on the source host
	ReachUnknown                       // the probe itself failed (no curl, odd exit code)
)

// ProbeResult is what one probe reported.
type ProbeResult struct {
	Code      int    // curl's exit code
	Connected bool   // curl's time_connect was above zero: the TCP handshake completed
	Msg       string // curl's message, one line
	Outcome   ReachOutcome
	Detail    string // the reason in words, for the finding
	Target    ReachTarget
	ConnectS  float64 // curl's time_connect
}

// UnknownProbes marks every target as not probed, for one reason.
func UnknownProbes(ts []ReachTarget, why string) []ProbeResult {
	out := make([]ProbeResult, len(ts))
	for i, t := range ts {
		out[i] = ProbeResult{Code: -1, Outcome: ReachUnknown, Detail: why, Target: t}
	}
	return out
}

var connectRE = regexp.MustCompile(`TC=([0-9.]+)`)

// ParseProbes reads the probe lines; a target without a line is unknown.
func ParseProbes(out string, ts []ReachTarget) []ProbeResult {
	res := UnknownProbes(ts, "the probe printed nothing")
	for _, line := range strings.Split(out, "\n") {
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) != 3 {
			continue
		}
		i, err1 := strconv.Atoi(parts[0])
		code, err2 := strconv.Atoi(parts[1])
		if err1 != nil || err2 != nil || i < 0 || i >= len(ts) {
			continue
		}
		res[i] = classifyProbe(code, parts[2])
		res[i].Target = ts[i]
	}
	return res
}

// classifyProbe turns curl's exit code and output into an outcome. Any answer
// (HTTP, even an error status; a TLS alert; a bad certificate) means the port
// was reached; a refused connection means the path is open and nothing listens
// yet; a handshake that times out means something drops the packets.
func classifyProbe(code int, out string) ProbeResult {
	p := ProbeResult{Code: code}
	if m := connectRE.FindStringSubmatch(out); m != nil {
		p.ConnectS, _ = strconv.ParseFloat(m[1], 64)
		p.Connected = p.ConnectS > 0
	}
	p.Msg = strings.TrimSpace(connectRE.ReplaceAllString(out, ""))
	switch {
	case code == 7:
		p.Outcome, p.Detail = ReachOK, "connection refused: nothing listens yet"
	case code == 28 && !p.Connected:
		p.Outcome, p.Detail = ReachBlocked, "connection timed out"
	case code == 6:
		p.Outcome, p.Detail = ReachNoResolve, "the name does not resolve"
	case code == 127 || code < 0:
		p.Outcome, p.Detail = ReachUnknown, "curl could not run"
	default:
		p.Outcome, p.Detail = ReachOK, fmt.Sprintf("reached (curl exit %d)", code)
	}
	return p
}

// ReachFindings turns one source host's probe results into preflight findings.
func ReachFindings(from string, r role.Role, rs []ProbeResult) []Finding {
	var out []Finding
	for _, p := range rs {
		if f, ok := reachFinding(from, r, p); ok {
			out = append(out, f)
		}
	}
	return out
}

// reachFinding is the finding for one probe, if it needs one. A blocked server
// is an error that names both hosts; a blocked API endpoint is only a warning,
// since a virtual IP may come up with the cluster itself.
func reachFinding(from string, r role.Role, p ProbeResult) (Finding, bool) {
	if p.Outcome == ReachOK {
		return Finding{}, false
	}
	f := Finding{Host: from, Severity: Error, Check: "network", Hosts: []string{from}}
	label := p.Target.Name + ":" + p.Target.Port
	if p.Target.Endpoint {
		label = "the API endpoint " + p.Target.Addr()
	} else {
		f.Hosts = append(f.Hosts, p.Target.Name)
	}
	if p.Outcome == ReachUnknown {
		f.Severity = Warning
		f.Msg = fmt.Sprintf("could not check that %s reaches %s: %s", from, label, p.Detail)
		return f, true
	}
	f.Msg = fmt.Sprintf("%s cannot reach %s (%s)", from, label, p.Detail)
	f.Fix = reachFix(r, p)
	if p.Target.Endpoint {
		f.Severity = Warning
		f.Msg += "; if it is a virtual IP that comes up with the cluster, ignore this"
	}
	return f, true
}

// reachFix says what to open, depending on who cannot reach whom.
func reachFix(r role.Role, p ProbeResult) string {
	switch {
	case p.Outcome == ReachNoResolve:
		return fmt.Sprintf("make %q resolve on every host (DNS or /etc/hosts), or use an IP address in the inventory", p.Target.Host)
	case r == role.Server:
		return fmt.Sprintf("open %s/tcp between the servers", p.Target.Port)
	}
	return fmt.Sprintf("open %s/tcp from the agents to the servers", p.Target.Port)
}

//go:embed probe.sh
var probeSh string

// ProbeScript is the one remote command of a source host: probe.sh with the
// timeout and the targets' URLs as its arguments.
func ProbeScript(ts []ReachTarget) remote.Cmd {
	args := []string{strconv.Itoa(probeTimeout)}
	for _, t := range ts {
		args = append(args, "https://"+t.Addr()+"/")
	}
	return remote.Script(probeSh, args...)
}
