package steps

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

// ResetPlan is what reset does on one host, decided from its facts and a probe
// of the paths k3s and k3sup-pi leave behind.
type ResetPlan struct {
	DrainNode      string          // drain this node before the uninstall (the cluster stays)
	Uninstall      []string        // k3s uninstall scripts to run, the agent's first
	Remove         []string        // resetLeftovers removed after the uninstall
	RemoveEmpty    []string        // directories removed when nothing is left in them
	DeleteNode     string          // delete this node from the cluster after the uninstall
	DeletePassword string          // then delete this node-password secret of kube-system
	Cmdline        *CmdlineRestore // undo k3sup-pi's cmdline.txt edit (then a reboot when it changes); nil = none
}

// Empty reports whether the host has nothing to reset.
func (p ResetPlan) Empty() bool {
	return p.DrainNode == "" && len(p.Uninstall) == 0 && len(p.Remove) == 0 &&
		len(p.RemoveEmpty) == 0 && p.DeleteNode == "" && p.DeletePassword == "" && p.Cmdline == nil
}

// Actions says in words what the plan does, in order.
func (p ResetPlan) Actions() []string {
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
var resetProbedPaths = []string{rsAgentUninstall, rsServerUninstall, k3sBinary, ConfigPath, rsEtcRancherK3s,
	rsEtcRancherNode, rsK3sDataDir, stageDir}

// resetProbeScript prints `path=P` for each existing probed path, and `dir=D` and
// `entry=D/E` for the rancher directories and their entries.
func resetProbeScript() string {
	return `for p in ` + shellJoin(resetProbedPaths) + `; do
  if [ -e "$p" ] || [ -L "$p" ]; then echo "path=$p"; fi
done
for d in ` + rsEtcRancher + ` ` + rsVarLibRancher + `; do
  if [ -d "$d" ]; then echo "dir=$d"; ls -A "$d" | sed "s|^|entry=$d/|"; fi
done`
}

// parseResetProbe reads resetProbeScript's output.
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
func probeReset(ctx context.Context, n *Node) (resetProbe, error) {
	res, err := n.Conn.Run(ctx, remote.Cmd{Script: resetProbeScript(), Sudo: true})
	if err != nil {
		return resetProbe{}, fmt.Errorf("look for k3s files on %s: %w", n.Conn.Name(), err)
	}
	return parseResetProbe(res.Stdout), nil
}

// planReset decides what reset does on a host from its facts and probe, and how
// its node leaves the cluster when that stays (see clusterView.leave).
func planReset(f facts.Facts, p resetProbe, node string, v clusterView, restore bool) (ResetPlan, error) {
	var plan ResetPlan
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
		for _, s := range []string{rsEtcRancherK3s, rsK3sDataDir, k3sBinary} {
			if p.present[s] {
				out = append(out, s)
			}
		}
	}
	if p.present[ConfigPath] && !slices.Contains(out, rsEtcRancherK3s) {
		out = append(out, ConfigPath)
	}
	for _, s := range []string{rsEtcRancherNode, stageDir} {
		if p.present[s] {
			out = append(out, s)
		}
	}
	return out
}

// resetEmptiedDirs are the rancher directories that hold nothing but what the plan
// removes: they exist only for k3s, so they go too.
func resetEmptiedDirs(p resetProbe, plan ResetPlan) []string {
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

// resetCleanupScript runs the uninstall scripts, removes the resetLeftovers and the
// emptied directories. A failing uninstall prints the tail of its output.
func resetCleanupScript(p ResetPlan) string {
	var b strings.Builder
	b.WriteString("set -e\n")
	b.WriteString(`run() { if ! out=$("$1" 2>&1); then printf '%s\n' "$out" | tail -n 20 >&2; echo "$1 failed" >&2; exit 1; fi; }` + "\n")
	for _, s := range p.Uninstall {
		b.WriteString("run " + remote.ShellQuote(s) + "\n")
	}
	if len(p.Remove) > 0 {
		b.WriteString("rm -rf " + shellJoin(p.Remove) + "\n")
	}
	for _, d := range p.RemoveEmpty {
		q := remote.ShellQuote(d)
		b.WriteString("if [ -d " + q + " ]; then rmdir " + q + " 2>/dev/null || echo \"kept " + d + "\"; fi\n")
	}
	return b.String()
}

// reset is the state of one `reset` run.
type reset struct {
	opt     ResetOptions
	nodes   []*Node // every connected host: the selected ones and the servers that stay
	order   []*Node // the selected hosts in reset order
	cl      *cluster
	mu      sync.Mutex // guards plans and results while hosts run in parallel
	plans   map[*Node]ResetPlan
	results map[*Node]*ResetHost // hosts whose reset began
}
