package reset

import (
	"bufio"
	"bytes"
	"context"
	_ "embed" // probe.sh, cleanup.sh
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/hostpath"
	"github.com/k3sup-pi/k3sup-pi/internal/kube"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// Plan is what reset does on one host, decided from its facts and a probe
// of the paths k3s and k3sup-pi leave behind.
type Plan struct {
	DrainNode      string          // drain this node before the uninstall (the cluster stays)
	Uninstall      []string        // k3s uninstall scripts to run, the agent's first
	Remove         []string        // resetLeftovers removed after the uninstall
	RemoveEmpty    []string        // directories removed when nothing is left in them
	DeleteNode     string          // delete this node from the cluster after the uninstall
	DeletePassword string          // then delete this node-password secret of kube-system
	Cmdline        *CmdlineRestore // undo k3sup-pi's cmdline.txt edit (then a reboot when it changes); nil = none
}

// Empty reports whether the host has nothing to reset.
func (p Plan) Empty() bool {
	return p.DrainNode == "" && len(p.Uninstall) == 0 && len(p.Remove) == 0 &&
		len(p.RemoveEmpty) == 0 && p.DeleteNode == "" && p.DeletePassword == "" && p.Cmdline == nil
}

// Actions says in words what the plan does, in order.
func (p Plan) Actions() []string {
	var out []string
	if p.DrainNode != "" {
		out = append(out, "drain node "+p.DrainNode)
	}
	for _, s := range p.Uninstall {
		out = append(out, "run "+path.Base(s))
	}
	for _, r := range p.Remove {
		out = append(out, "remove "+r)
	}
	for _, d := range p.RemoveEmpty {
		out = append(out, "remove empty "+d)
	}
	if p.DeleteNode != "" {
		out = append(out, "delete node "+p.DeleteNode)
	}
	if p.DeletePassword != "" {
		out = append(out, "delete secret kube-system/"+p.DeletePassword)
	}
	if p.Cmdline != nil {
		out = append(out, p.Cmdline.Action())
		if p.Cmdline.Changes() {
			out = append(out, "reboot")
		}
	}
	return out
}

// resetProbe is what one round trip tells about the paths reset cares for.
type resetProbe struct {
	present map[string]bool     // which of resetProbedPaths exist
	entries map[string][]string // the entries of the rancher directories that exist
}

// resetProbedPaths are tested for existence on every host.
var resetProbedPaths = []string{rsAgentUninstall, rsServerUninstall, hostpath.K3sBinary, hostpath.K3sConfig, rsEtcRancherK3s,
	rsEtcRancherNode, rsK3sDataDir, hostpath.StageDir}

//go:embed probe.sh
var probeSh string

// probeCmd runs probe.sh over resetProbedPaths and the rancher directories.
func probeCmd() remote.Cmd {
	var args []string
	for _, p := range resetProbedPaths {
		args = append(args, "path="+p)
	}
	return remote.Script(probeSh, append(args, "dir="+rsEtcRancher, "dir="+rsVarLibRancher)...).Root()
}

// parseResetProbe reads probe.sh's output.
func parseResetProbe(out []byte) resetProbe {
	p := resetProbe{present: map[string]bool{}, entries: map[string][]string{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch key {
		case "path":
			p.present[val] = true
		case "dir":
			if _, seen := p.entries[val]; !seen {
				p.entries[val] = []string{}
			}
		case "entry":
			dir := path.Dir(val)
			p.entries[dir] = append(p.entries[dir], val)
		}
	}
	return p
}

// probeReset runs resetProbeScript on the node as root.
func probeReset(ctx context.Context, n *fleet.Node) (resetProbe, error) {
	res, err := n.Conn.Run(ctx, probeCmd())
	if err != nil {
		return resetProbe{}, fmt.Errorf("look for k3s files: %w", err) // the remote error names the host
	}
	return parseResetProbe(res.Stdout), nil
}

// planReset decides what reset does on a host from its facts and probe, and how
// its node leaves the cluster when that stays (see clusterView.leave).
func planReset(f facts.Facts, p resetProbe, node string, v clusterView, restore bool) (Plan, error) {
	var plan Plan
	for _, s := range []string{rsAgentUninstall, rsServerUninstall} {
		if p.present[s] {
			plan.Uninstall = append(plan.Uninstall, s)
		}
	}
	if f.K3sRole != "" && len(plan.Uninstall) == 0 {
		return plan, fmt.Errorf("the k3s %s unit is installed but no k3s uninstall script is in /usr/local/bin; remove k3s by hand", f.K3sRole)
	}
	plan.Remove = resetLeftovers(p, len(plan.Uninstall) > 0)
	v.leave(&plan, node, len(plan.Uninstall) > 0)
	plan.RemoveEmpty = resetEmptiedDirs(p, plan)
	if restore {
		c, err := planCmdlineRestore(f)
		if err != nil {
			return plan, err
		}
		plan.Cmdline = c
	}
	return plan, nil
}

// resetLeftovers are the present paths the uninstall scripts (if they run) do not
// remove: the staged installer, the node password, config.yaml belt and braces;
// without an uninstall, also what an unfinished install left.
func resetLeftovers(p resetProbe, uninstall bool) []string {
	var out []string
	if !uninstall {
		for _, s := range []string{rsEtcRancherK3s, rsK3sDataDir, hostpath.K3sBinary} {
			if p.present[s] {
				out = append(out, s)
			}
		}
	}
	if p.present[hostpath.K3sConfig] && !slices.Contains(out, rsEtcRancherK3s) {
		out = append(out, hostpath.K3sConfig)
	}
	for _, s := range []string{rsEtcRancherNode, hostpath.StageDir} {
		if p.present[s] {
			out = append(out, s)
		}
	}
	return out
}

// resetEmptiedDirs are the rancher directories that hold nothing but what the plan
// removes: they exist only for k3s, so they go too.
func resetEmptiedDirs(p resetProbe, plan Plan) []string {
	gone := map[string]bool{}
	for _, r := range plan.Remove {
		gone[r] = true
	}
	if len(plan.Uninstall) > 0 {
		gone[rsEtcRancherK3s], gone[rsK3sDataDir] = true, true
	}
	var out []string
	for _, d := range []string{rsEtcRancher, rsVarLibRancher} {
		entries, ok := p.entries[d]
		if !ok {
			continue
		}
		if !slices.ContainsFunc(entries, func(e string) bool { return !gone[e] }) {
			out = append(out, d)
		}
	}
	return out
}

//go:embed cleanup.sh
var cleanupSh string

// cleanupCmd runs cleanup.sh: the uninstall scripts, then the removal of the
// resetLeftovers and of the emptied directories. A failing uninstall prints
// the tail of its output.
func cleanupCmd(p Plan) remote.Cmd {
	var args []string
	for _, s := range p.Uninstall {
		args = append(args, "run="+s)
	}
	for _, s := range p.Remove {
		args = append(args, "rm="+s)
	}
	for _, d := range p.RemoveEmpty {
		args = append(args, "rmdir="+d)
	}
	return remote.Script(cleanupSh, args...).Root()
}

// reset is the state of one `reset` run.
type resetter struct {
	opt     Options
	nodes   []*fleet.Node // every connected host: the selected ones and the servers that stay
	order   []*fleet.Node // the selected hosts in reset order
	cl      *kube.Client
	mu      sync.Mutex // guards plans and results while hosts run in parallel
	plans   map[*fleet.Node]Plan
	results map[*fleet.Node]*Host // hosts whose reset began
}
