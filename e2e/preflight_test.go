//go:build e2e

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
)

// Two cmdline.txt edge cases: one that already carries the flags, one with odd
// spacing (double spaces, a tab, trailing blanks) and a trailing newline.
const (
	cmdlineWithFlags = "console=serial0,115200 console=tty1 root=PARTUUID=6c586e13-02 rootfstype=ext4 fsck.repair=yes rootwait" + patchedFlags + "\n"
	cmdlineOdd       = "console=serial0,115200  console=tty1\troot=PARTUUID=6c586e13-02  rootfstype=ext4 fsck.repair=yes rootwait\t \n"
)

// TestPreflightOnOneFleet is issue 6's e2e proofs on one 3-host fleet (one
// server, two agents): a firewall that drops 6443 from an agent refuses `up`
// before any change, naming both hosts; doctor prints an IOPS figure per host;
// cmdline.txt edge cases come through `up` as they must; a re-run changes nothing.
func TestPreflightOnOneFleet(t *testing.T) {
	f := startFleet(t, "pf3", 3, true)
	srv, a1, a2 := f.Hosts[0], f.Hosts[1], f.Hosts[2]
	names := []string{"pi-srv", "pi-a1", "pi-a2"}
	hosts := specs(f.Hosts, names)
	hosts[0].role, hosts[1].role, hosts[2].role = "server", "agent", "agent"
	inv := writeFile(t, "inventory.yml", inventory(f, onlineInstall(f)+"k3s_version: "+v1+"\n", hosts))

	writeCmdline(t, f, a1, cmdlineWithFlags)
	writeCmdline(t, f, a2, cmdlineOdd)
	before := cmdlineState(t, f)

	testBlocked6443(t, f, inv, srv, a2, before)

	r := mustTool(t, "up", "-i", inv, "--preflight-only")
	t.Logf("preflight with reachability, all paths open (nothing listens yet): %s", r.took.Round(10*time.Millisecond))

	mustTool(t, "up", "-i", inv)
	testCmdlineEdgeCases(t, f, a1, a2, before)

	r = mustTool(t, "up", "-i", inv, "--preflight-only")
	t.Logf("preflight with reachability, k3s listening: %s", r.took.Round(10*time.Millisecond))
	testDoctorJSON(t, inv, names)

	snap := snapshot(t, f)
	r = mustTool(t, "up", "-i", inv)
	if !strings.Contains(r.stderr, "0 changes on 3 hosts") {
		t.Errorf("re-run should report 0 changes:\n%s", r.stderr)
	}
	if after := snapshot(t, f); after != snap {
		t.Errorf("re-run changed hosts:\nbefore %s\nafter  %s", snap, after)
	}
	if got := cmdlineState(t, f); got[a1] != before[a1] {
		t.Errorf("%s: re-run changed the cmdline.txt that already had the flags: %q", a1.Name, got[a1])
	}
}

// testBlocked6443: the server's firewall drops 6443 from pi-a2. `up` is refused
// (exit 3) naming both hosts, no host changed; doctor too exits 3 and still
// prints an IOPS figure per host. The rule is removed afterwards.
func testBlocked6443(t *testing.T, f *fleet.Fleet, inv string, srv, agent *fleet.Host, before map[*fleet.Host]string) {
	rule := fmt.Sprintf("INPUT -p tcp --dport 6443 -s %s -j DROP", agent.Addr)
	hostExec(t, f, srv, "iptables -I "+rule)
	defer hostExec(t, f, srv, "iptables -D "+rule)

	r := tool(t, nil, "up", "-i", inv)
	want := "pi-a2 cannot reach pi-srv:6443 (connection timed out)"
	if r.code != 3 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "open 6443/tcp from the agents to the servers") {
		t.Fatalf("blocked 6443: exit %d, want 3 with %q\n%s", r.code, want, r.stderr)
	}
	if strings.Contains(r.stderr, "pi-a1 cannot reach") {
		t.Errorf("pi-a1 is not blocked but was reported:\n%s", r.stderr)
	}
	t.Logf("up refused for a blocked 6443 in %s", r.took.Round(10*time.Millisecond))
	if got := cmdlineState(t, f); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatalf("a refused run changed cmdline.txt:\nbefore %v\nafter  %v", before, got)
	}
	for _, h := range f.Hosts {
		if out := hostExec(t, f, h, "test -e /usr/local/bin/k3s && echo k3s; hostname"); out != "raspberrypi" {
			t.Fatalf("%s changed by a refused run: %q", h.Name, out)
		}
	}

	r = tool(t, nil, "doctor", "-i", inv)
	if r.code != 3 || !strings.Contains(r.stderr, want) {
		t.Errorf("doctor with a blocked 6443: exit %d, want 3 naming both hosts\n%s", r.code, r.stderr)
	}
	for host, iops := range tableIOPS(t, r.stderr) {
		t.Logf("doctor table: %s %.0f fsync IOPS (data dir not created yet)", host, iops)
	}
	if n := len(tableIOPS(t, r.stderr)); n != 3 {
		t.Errorf("doctor table has %d hosts with an IOPS figure, want 3:\n%s", n, r.stderr)
	}
}

// testCmdlineEdgeCases: the line with the flags is byte for byte unchanged and
// has no backup; the odd line is one line, its bytes a prefix, the flags once.
func testCmdlineEdgeCases(t *testing.T, f *fleet.Fleet, withFlags, odd *fleet.Host, before map[*fleet.Host]string) {
	after := cmdlineState(t, f)
	if after[withFlags] != before[withFlags] {
		t.Errorf("%s: cmdline.txt with the flags changed:\nbefore %s\nafter  %s", withFlags.Name, before[withFlags], after[withFlags])
	}
	if strings.Contains(after[withFlags], "backup") {
		t.Errorf("%s: a backup was made of a cmdline.txt that needed no change", withFlags.Name)
	}
	content := readCmdline(t, f, odd)
	prefix := strings.TrimSuffix(cmdlineOdd, "\n")
	if strings.Count(content, "\n") != 1 || !strings.HasSuffix(content, "\n") || !strings.HasPrefix(content, prefix) {
		t.Errorf("%s: odd cmdline.txt after up is not one line keeping the original as a prefix: %q", odd.Name, content)
	}
	for _, flag := range strings.Fields(patchedFlags) {
		if n := strings.Count(content, flag); n != 1 {
			t.Errorf("%s: %s appears %d times: %q", odd.Name, flag, n, content)
		}
	}
	if want := prefix + strings.TrimPrefix(patchedFlags, " ") + "\n"; content != want {
		t.Errorf("%s: cmdline.txt = %q, want %q", odd.Name, content, want)
	}
}

// testDoctorJSON: doctor -o json on a healthy cluster exits 0 with a positive
// IOPS figure for every host, measured on the k3s data dir itself.
func testDoctorJSON(t *testing.T, inv string, names []string) {
	r := mustTool(t, "doctor", "-i", inv, "-o", "json")
	var rep struct {
		Storage []struct {
			Host    string  `json:"host"`
			DataDir string  `json:"data_dir"`
			Device  string  `json:"device"`
			IOPS    float64 `json:"iops"`
			Writes  int     `json:"writes"`
			Seconds float64 `json:"seconds"`
			Verdict string  `json:"verdict"`
		} `json:"storage"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("doctor -o json: %v\n%s", err, r.stdout)
	}
	if len(rep.Storage) != len(names) {
		t.Fatalf("doctor reports %d hosts, want %d:\n%s", len(rep.Storage), len(names), r.stdout)
	}
	for i, s := range rep.Storage {
		if s.Host != names[i] || s.IOPS <= 0 || s.DataDir != "/var/lib/rancher/k3s" {
			t.Errorf("doctor storage %d: %+v", i, s)
		}
		t.Logf("doctor: %s %d writes in %.2fs = %.0f fsync IOPS on %s (%s): %s", s.Host, s.Writes, s.Seconds, s.IOPS, s.DataDir, s.Device, s.Verdict)
	}
	t.Logf("doctor took %s", r.took.Round(10*time.Millisecond))
}

// writeCmdline sets a host's cmdline.txt to exact bytes (printf escapes).
func writeCmdline(t *testing.T, f *fleet.Fleet, h *fleet.Host, content string) {
	t.Helper()
	esc := strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "'", `'\''`, "%", "%%").Replace(content)
	hostExec(t, f, h, "printf '"+esc+"' > /boot/firmware/cmdline.txt")
	if got := readCmdline(t, f, h); got != content {
		t.Fatalf("%s: cmdline.txt = %q, want %q", h.Name, got, content)
	}
}

// readCmdline reads a host's cmdline.txt byte for byte (base64 keeps its blanks).
func readCmdline(t *testing.T, f *fleet.Fleet, h *fleet.Host) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(hostExec(t, f, h, "base64 -w0 /boot/firmware/cmdline.txt"))
	if err != nil {
		t.Fatalf("%s: decode cmdline.txt: %v", h.Name, err)
	}
	return string(b)
}

// cmdlineState is each host's cmdline.txt sha256 and whether a backup exists.
func cmdlineState(t *testing.T, f *fleet.Fleet) map[*fleet.Host]string {
	t.Helper()
	out := map[*fleet.Host]string{}
	for _, h := range f.Hosts {
		out[h] = hostExec(t, f, h, "sha256sum < /boot/firmware/cmdline.txt; test -e /boot/firmware/cmdline.txt.k3sup-pi.bak && echo backup || true")
	}
	return out
}

var iopsRow = regexp.MustCompile(`(?m)^(pi-\S+)\s+(server|agent)\s+(\S+)\s+(\S+)\s+([0-9]+)\s`)

// tableIOPS reads the FSYNC IOPS column of doctor's table.
func tableIOPS(t *testing.T, stderr string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, m := range iopsRow.FindAllStringSubmatch(stderr, -1) {
		v, err := strconv.ParseFloat(m[5], 64)
		if err != nil || v <= 0 {
			t.Errorf("%s: IOPS %q", m[1], m[5])
			continue
		}
		out[m[1]] = v
	}
	return out
}
