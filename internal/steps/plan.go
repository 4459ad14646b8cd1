package steps

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/cmdline"
	"github.com/k3sup-pi/k3sup-pi/internal/facts"
	"github.com/k3sup-pi/k3sup-pi/internal/preflight"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// PrepPlan says how a host's operating system must change before k3s goes on it.
type PrepPlan struct {
	SetHostname  string // new hostname, "" when it is right already
	VxlanModules bool   // ensure linux-modules-extra-raspi (Ubuntu 20.10-23.10 on a Pi)
	PatchCmdline bool   // cmdline.txt lacks the cgroup flags
	Reboot       bool   // the running kernel must pick up cmdline.txt
	RebootReason string
}

// PlanPrep compares a host's facts with its wanted hostname. It asks the same
// cmdline.Patch that will write the file, so plan and patch cannot disagree;
// a cmdline.txt that Patch refuses (two lines, say) is an error here, before
// anything is changed on any host.
func PlanPrep(f facts.Facts, wantHostname string) (PrepPlan, error) {
	var p PrepPlan
	if wantHostname != "" && wantHostname != f.Hostname {
		p.SetHostname = wantHostname
	}
	p.VxlanModules = preflight.NeedsVxlanModules(f)
	if f.CmdlinePath == "" {
		return p, nil
	}
	_, changed, err := cmdline.Patch(f.Cmdline)
	if err != nil {
		return p, fmt.Errorf("%s: %w", f.CmdlinePath, err)
	}
	switch {
	case changed:
		p.PatchCmdline = true
		p.Reboot = true
		p.RebootReason = "cmdline.txt gains the memory cgroup flags"
	case !f.MemoryCgroup:
		p.Reboot = true
		p.RebootReason = "cmdline.txt has the cgroup flags but the running kernel has no memory cgroup (reboot pending)"
	}
	return p, nil
}

// K3sPlan says what must happen to k3s on a host.
type K3sPlan struct {
	Install       bool   // run the installer (absent, other version, other binary); it restarts the service
	InstallReason string // for the plan and the summary
	WriteConfig   bool   // config.yaml differs from the rendered one
	Restart       bool   // no install, but the running service must pick up its config or binary
	RestartReason string // for the plan and the summary
	Start         bool   // installed and configured, but the service is not running
}

// Changed reports whether the plan touches the host at all.
func (p K3sPlan) Changed() bool { return p.Install || p.WriteConfig || p.Restart || p.Start }

// K3sWant is the desired k3s state of one host, and what the cluster says of it.
type K3sWant struct {
	Role       role.Role // server or agent
	Version    string    // exact version; "" means any installed version will do (channel installs)
	BinaryHash string    // offline installs: sha256 of the bundle's k3s; "" online
	ConfigHash string    // sha256 of the rendered config.yaml; "" when not known yet (dry run before the token exists)
	// NodeVersion is the version the node reports to the cluster now (its
	// kubelet version): what RUNS, where the facts tell what is on disk.
	// "" when unknown (not a node yet, or the API did not answer).
	NodeVersion string
}

// PlanK3s compares a host's facts with the desired k3s state. It refuses what
// an in-place change cannot do: switching a node's role, or going back a version.
// It compares what runs with what is on disk too: a binary replaced without a
// restart (an upload, an interrupted run) restarts the service.
func PlanK3s(f facts.Facts, w K3sWant) (K3sPlan, error) {
	var p K3sPlan
	if f.K3sRole != "" && f.K3sRole != w.Role {
		return p, fmt.Errorf("k3s runs here as %s but the inventory says %s; "+
			"run `k3sup-pi reset --host` on it first", f.K3sRole, w.Role)
	}
	p.Install, p.InstallReason = needInstall(f, w)
	if p.Install && f.K3sVersion != "" && w.Version != "" && compareVersions(w.Version, f.K3sVersion) < 0 {
		return p, fmt.Errorf("k3s %s is installed and the inventory asks for the older %s; "+
			"k3s does not support downgrades", f.K3sVersion, w.Version)
	}
	p.WriteConfig = w.ConfigHash == "" || w.ConfigHash != f.ConfigHash
	installed := f.K3sVersion != "" && f.K3sRole != ""
	if installed && !p.Install {
		p.RestartReason = restartReason(f, w, p.WriteConfig)
		p.Restart = p.RestartReason != ""
	}
	p.Start = installed && !p.Install && !p.Restart && !f.ServiceActive
	return p, nil
}

// restartReason says why an installed k3s that needs no install must restart,
// "" when it need not: a new config, or a running process that is not the
// binary on disk. A stopped service is started instead (see PlanK3s).
func restartReason(f facts.Facts, w K3sWant, writeConfig bool) string {
	switch {
	case writeConfig:
		return "config changed"
	case !f.ServiceActive:
		return ""
	case f.K3sStale:
		return "the running k3s is a binary replaced since it started"
	case w.NodeVersion != "" && w.NodeVersion != f.K3sVersion:
		return fmt.Sprintf("the node runs k3s %s, %s is installed", w.NodeVersion, f.K3sVersion)
	}
	return ""
}

func needInstall(f facts.Facts, w K3sWant) (bool, string) {
	switch {
	case f.K3sVersion == "" || f.K3sRole == "":
		return true, "k3s not installed"
	case w.BinaryHash != "" && w.BinaryHash != f.K3sBinHash:
		return true, "k3s binary differs from the bundle"
	case w.Version != "" && w.Version != f.K3sVersion:
		return true, fmt.Sprintf("k3s %s -> %s", f.K3sVersion, w.Version)
	}
	return false, ""
}

// compareVersions orders k3s versions like v1.31.4+k3s1; it returns -1, 0 or 1.
func compareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := range pa {
		if pa[i] != pb[i] {
			if pa[i] < pb[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// versionParts splits v1.31.4+k3s1 into [1 31 4 1]; missing parts are 0.
func versionParts(v string) [4]int {
	var out [4]int
	v = strings.TrimPrefix(v, "v")
	main, suffix, _ := strings.Cut(v, "+")
	for i, s := range strings.SplitN(main, ".", 3) {
		out[i], _ = strconv.Atoi(s)
	}
	out[3], _ = strconv.Atoi(strings.TrimPrefix(suffix, "k3s"))
	return out
}
