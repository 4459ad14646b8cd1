package steps

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// The reachability check probes, before any change, the TCP port through which
// nodes join: 6443 on every server (and the API endpoint when the inventory
// sets one), from every agent and, with more than one server, from every
// server. Each source host runs ONE remote command that probes all its targets
// in parallel with curl; a connection that is refused returns at once (nothing
// listens yet, but the path is open), so a healthy fleet pays one round trip.
//
// Flannel's 8472/udp (vxlan) is not probed: UDP has no handshake, a dropped
// datagram and a datagram nobody answers look the same, and nothing listens on
// 8472 before k3s runs. Checking it honestly would need a listener on every
// target; k3sup-pi does not pretend to.

// probeTimeout is how long a probe waits for the TCP handshake, in seconds.
const probeTimeout = 3

// reachTarget is one address:port a source host must reach.
type reachTarget struct {
	Name     string // inventory name of the server, or "the API endpoint"
	Host     string // address as the source dials it
	Port     string
	Endpoint bool // the inventory's api_endpoint (a load balancer or virtual IP)
}

// addr is host:port, bracketed for IPv6.
func (t reachTarget) addr() string { return net.JoinHostPort(t.Host, t.Port) }

// reachPair is one source host and the targets it must reach.
type reachPair struct {
	From    *fleet.Node
	Targets []reachTarget
}

// Probe outcomes, from curl's exit code.
type reachOutcome int

const (
	reachOK        reachOutcome = iota // connected (any HTTP or TLS answer) or refused at once
	reachBlocked                       // the handshake timed out: a firewall drops it
	reachNoResolve                     // the name does not resolve on the source host
	reachUnknown                       // the probe itself failed (no curl, odd exit code)
)

// probeResult is what one probe reported.
type probeResult struct {
	Code      int    // curl's exit code
	Connected bool   // curl's time_connect was above zero: the TCP handshake completed
	Msg       string // curl's message, one line
	Outcome   reachOutcome
	Detail    string // the reason in words, for the finding
	Target    reachTarget
	ConnectS  float64 // curl's time_connect
}

// checkReach runs the reachability probes, appends their findings to the
// run's result and returns a *RefusedError when a path is blocked.
func (r *run) checkReach(ctx context.Context) error {
	pairs := reachPairs(r.touched(), r.servers, r.endpointTarget())
	if len(pairs) == 0 {
		return nil
	}
	results := make([][]probeResult, len(pairs))
	byNode := make(map[*fleet.Node]int, len(pairs))
	nodes := make([]*fleet.Node, len(pairs))
	for i, p := range pairs {
		byNode[p.From] = i
		nodes[i] = p.From
	}
	_ = fleet.ForEach(ctx, nodes, r.inv.Cluster.Concurrency, func(ctx context.Context, n *fleet.Node) error {
		i := byNode[n]
		results[i] = probeFrom(ctx, pairs[i])
		return nil
	})
	var fs []preflight.Finding
	for i, p := range pairs {
		fs = append(fs, reachFindings(p.From.Host.Name(), p.From.Host.Role, results[i])...)
	}
	return r.reportReach(fs)
}

// reportReach logs warnings, records every finding and refuses on errors.
func (r *run) reportReach(fs []preflight.Finding) error {
	r.result.Findings = append(r.result.Findings, fs...)
	var msgs []string
	for _, f := range fs {
		if f.Severity == preflight.Error {
			msgs = append(msgs, f.String())
		} else {
			r.opt.Log.Warnf("%s", f.String())
		}
	}
	if len(msgs) > 0 {
		return &RefusedError{Findings: msgs}
	}
	return nil
}

// endpointTarget is the inventory's API endpoint as a probe target, or nil.
func (r *run) endpointTarget() *reachTarget {
	if r.inv.Cluster.APIEndpoint == "" {
		return nil
	}
	host, port := r.inv.Endpoint()
	return &reachTarget{Name: "the API endpoint", Host: host, Port: port, Endpoint: true}
}

// reachPairs lists what each source must reach: agents reach every server and
// the endpoint; with several servers, each server reaches the others and the
// endpoint. One server and no agents (or a single host) needs no probe.
func reachPairs(sources, servers []*fleet.Node, endpoint *reachTarget) []reachPair {
	var out []reachPair
	for _, n := range sources {
		var ts []reachTarget
		for _, s := range servers {
			if s != n {
				ts = append(ts, reachTarget{Name: s.Host.Name(), Host: s.Host.Address, Port: "6443"})
			}
		}
		if len(ts) == 0 {
			continue
		}
		if endpoint != nil && !sameTarget(ts, *endpoint) && (n.Host.Role != "server" || len(servers) > 1) {
			ts = append(ts, *endpoint)
		}
		out = append(out, reachPair{From: n, Targets: ts})
	}
	return out
}

// sameTarget tells whether ts already holds t's address and port.
func sameTarget(ts []reachTarget, t reachTarget) bool {
	for _, x := range ts {
		if x.Host == t.Host && x.Port == t.Port {
			return true
		}
	}
	return false
}

// probeScript is the one remote command of a source: every target probed in
// the background, one line per target: "index<TAB>exit code<TAB>curl's output".
// curl prints TC=<seconds to connect> (0 when the handshake never completed)
// next to its error message.
func probeScript(ts []reachTarget) string {
	var b strings.Builder
	fmt.Fprintf(&b, `probe() {
  m=$(curl -sSk --connect-timeout %d --max-time %d -o /dev/null -w ' TC=%%{time_connect}' "$2" 2>&1); c=$?
  printf '%%s\t%%s\t%%s\n' "$1" "$c" "$(printf '%%s' "$m" | tr '\t\n' '  ')"
}
command -v curl >/dev/null 2>&1 || { echo "curl-missing"; exit 0; }
`, probeTimeout, probeTimeout+3)
	for i, t := range ts {
		fmt.Fprintf(&b, "probe %d %s &\n", i, remote.ShellQuote("https://"+t.addr()+"/"))
	}
	b.WriteString("wait\n")
	return b.String()
}

// probeFrom runs the probes of one source host and classifies them.
func probeFrom(ctx context.Context, p reachPair) []probeResult {
	res, err := p.From.Conn.Run(ctx, remote.Cmd{Script: probeScript(p.Targets)})
	if err != nil {
		return unknownAll(p.Targets, fmt.Sprintf("could not run the probe: %v", err))
	}
	if strings.TrimSpace(string(res.Stdout)) == "curl-missing" {
		return unknownAll(p.Targets, "curl is not installed on this host")
	}
	return parseProbes(string(res.Stdout), p.Targets)
}

// unknownAll marks every target as not probed, for one reason.
func unknownAll(ts []reachTarget, why string) []probeResult {
	out := make([]probeResult, len(ts))
	for i, t := range ts {
		out[i] = probeResult{Code: -1, Outcome: reachUnknown, Detail: why, Target: t}
	}
	return out
}

var connectRE = regexp.MustCompile(`TC=([0-9.]+)`)

// parseProbes reads the probe lines; a target without a line is unknown.
func parseProbes(out string, ts []reachTarget) []probeResult {
	res := unknownAll(ts, "the probe printed nothing")
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
func classifyProbe(code int, out string) probeResult {
	p := probeResult{Code: code}
	if m := connectRE.FindStringSubmatch(out); m != nil {
		p.ConnectS, _ = strconv.ParseFloat(m[1], 64)
		p.Connected = p.ConnectS > 0
	}
	p.Msg = strings.TrimSpace(connectRE.ReplaceAllString(out, ""))
	switch {
	case code == 7:
		p.Outcome, p.Detail = reachOK, "connection refused: nothing listens yet"
	case code == 28 && !p.Connected:
		p.Outcome, p.Detail = reachBlocked, "connection timed out"
	case code == 6:
		p.Outcome, p.Detail = reachNoResolve, "the name does not resolve"
	case code == 127 || code < 0:
		p.Outcome, p.Detail = reachUnknown, "curl could not run"
	default:
		p.Outcome, p.Detail = reachOK, fmt.Sprintf("reached (curl exit %d)", code)
	}
	return p
}

// reachFindings turns one source host's probe results into preflight findings.
func reachFindings(from, role string, rs []probeResult) []preflight.Finding {
	var out []preflight.Finding
	for _, p := range rs {
		if f, ok := reachFinding(from, role, p); ok {
			out = append(out, f)
		}
	}
	return out
}

// reachFinding is the finding for one probe, if it needs one. A blocked server
// is an error that names both hosts; a blocked API endpoint is only a warning,
// since a virtual IP may come up with the cluster itself.
func reachFinding(from, role string, p probeResult) (preflight.Finding, bool) {
	if p.Outcome == reachOK {
		return preflight.Finding{}, false
	}
	f := preflight.Finding{Host: from, Severity: preflight.Error, Check: "network", Hosts: []string{from}}
	label := p.Target.Name + ":" + p.Target.Port
	if p.Target.Endpoint {
		label = "the API endpoint " + p.Target.addr()
	} else {
		f.Hosts = append(f.Hosts, p.Target.Name)
	}
	if p.Outcome == reachUnknown {
		f.Severity = preflight.Warning
		f.Msg = fmt.Sprintf("could not check that %s reaches %s: %s", from, label, p.Detail)
		return f, true
	}
	f.Msg = fmt.Sprintf("%s cannot reach %s (%s)", from, label, p.Detail)
	f.Fix = reachFix(role, p)
	if p.Target.Endpoint {
		f.Severity = preflight.Warning
		f.Msg += "; if it is a virtual IP that comes up with the cluster, ignore this"
	}
	return f, true
}

// reachFix says what to open, depending on who cannot reach whom.
func reachFix(role string, p probeResult) string {
	switch {
	case p.Outcome == reachNoResolve:
		return fmt.Sprintf("make %q resolve on every host (DNS or /etc/hosts), or use an IP address in the inventory", p.Target.Host)
	case role == "server":
		return fmt.Sprintf("open %s/tcp between the servers", p.Target.Port)
	}
	return fmt.Sprintf("open %s/tcp from the agents to the servers", p.Target.Port)
}

// joinRefused merges two outcomes of the preflight checks: two refusals become
// one listing every finding; any other error wins as it is.
func joinRefused(a, b error) error {
	ra, okA := a.(*RefusedError)
	rb, okB := b.(*RefusedError)
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case okA && okB:
		return &RefusedError{Findings: append(append([]string{}, ra.Findings...), rb.Findings...)}
	case !okA:
		return a
	}
	return b
}
