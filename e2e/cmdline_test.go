//go:build e2e

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

const (
	bootCmdline = "/boot/firmware/cmdline.txt"
	// bootLeftovers lists what k3sup-pi may leave in the boot directory: temp
	// files of the verified write, the backup, the old fixed temp name.
	bootLeftovers = "ls -A /boot/firmware | grep k3sup-pi || true"
	cmdlineRecord = "/var/lib/k3sup-pi/cmdline.record"
)

// TestCmdlineSafety is issue 9's boot partition proof (items 1, 2 and 4) on
// one server and one agent:
//   - an unmounted boot partition is refused before any change (exit 3);
//   - a write of cmdline.txt whose SSH session is cut half-way leaves the old
//     line and no temp file, and the next `up` writes the new one;
//   - reset --restore-cmdline keeps a hand edit of root= made after `up` and
//     removes only k3sup-pi's flags there, and gives an untouched host its
//     original file back byte for byte.
func TestCmdlineSafety(t *testing.T) {
	f := startFleet(t, "b1", 2, true)
	edited, untouched := f.Hosts[0], f.Hosts[1]
	orig := map[*fleet.Host]string{}
	for _, h := range f.Hosts {
		if out := hostExec(t, f, h, "grep -c ' /boot/firmware ' /proc/mounts"); out != "1" {
			t.Fatalf("%s: /boot/firmware is not a mount of its own (%s)", h.Name, out)
		}
		orig[h] = rawCmdline(t, f, h)
	}
	inv := writeFile(t, "inventory.yml", inventory(f, onlineInstall(f)+"k3s_version: "+v1+"\n",
		specs(f.Hosts, []string{"b-srv", "b-agent"})))

	start := time.Now()
	testBootNotMounted(t, f, inv, untouched, "b-agent", orig)
	t.Logf("boot partition not mounted: refused, host back in %s", time.Since(start).Round(100*time.Millisecond))

	start = time.Now()
	testCutWrite(t, f, edited, orig[edited])
	t.Logf("write cut half-way: %s", time.Since(start).Round(100*time.Millisecond))

	r := mustTool(t, "up", "-i", inv)
	t.Logf("up (patch, reboot, install): %s", r.took.Round(100*time.Millisecond))
	for _, h := range f.Hosts {
		want := strings.TrimSuffix(orig[h], "\n") + patchedFlags + "\n"
		if got := rawCmdline(t, f, h); got != want {
			t.Errorf("%s: after up cmdline.txt = %q, want %q", h.Name, got, want)
		}
		if left := hostExec(t, f, h, bootLeftovers); left != "cmdline.txt.k3sup-pi.bak" {
			t.Errorf("%s: k3sup-pi files in /boot/firmware after up: %q, want only the backup", h.Name, left)
		}
		if rec := hostExec(t, f, h, "cat "+cmdlineRecord); !strings.Contains(rec, "sha256="+sha256Hex(want)) {
			t.Errorf("%s: record %q does not hold the sha256 of what up wrote", h.Name, rec)
		}
	}

	// The root file system moved (say, to NVMe): a new root=PARTUUID= by hand.
	hostExec(t, f, edited, "sed -i 's/root=PARTUUID=4e639091-02/root=PARTUUID=0b1ee1a5-02/' "+bootCmdline)
	wantEdited := strings.Replace(orig[edited], "root=PARTUUID=4e639091-02", "root=PARTUUID=0b1ee1a5-02", 1)
	if wantEdited == orig[edited] {
		t.Fatalf("the image's cmdline.txt has no root=PARTUUID=4e639091-02: %q", orig[edited])
	}
	r = mustTool(t, "reset", "-i", inv, "--restore-cmdline", "--dry-run")
	for _, want := range []string{"before: " + strings.TrimSuffix(wantEdited, "\n") + patchedFlags,
		"after:  " + strings.TrimSuffix(wantEdited, "\n"), "edited since k3sup-pi wrote it", "unchanged since k3sup-pi wrote it"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("reset --dry-run output lacks %q:\n%s", want, r.stderr)
		}
	}
	r = mustTool(t, "reset", "-i", inv, "--restore-cmdline", "--yes")
	t.Logf("reset --restore-cmdline (uninstall, restore, reboot): %s", r.took.Round(100*time.Millisecond))
	for h, want := range map[*fleet.Host]string{edited: wantEdited, untouched: orig[untouched]} {
		if got := rawCmdline(t, f, h); got != want {
			t.Errorf("%s: after reset cmdline.txt = %q, want %q", h.Name, got, want)
		}
		if left := hostExec(t, f, h, bootLeftovers+"; ls "+cmdlineRecord+" 2>/dev/null || true"); left != "" {
			t.Errorf("%s: left behind after reset: %q", h.Name, left)
		}
	}
}

// testBootNotMounted: with /boot/firmware unmounted, the cmdline.txt on the root
// file system is refused before anything changes on any host; a reboot mounts
// the partition again.
func testBootNotMounted(t *testing.T, f *fleet.Fleet, inv string, h *fleet.Host, name string, orig map[*fleet.Host]string) {
	t.Helper()
	hostExec(t, f, h, "umount /boot/firmware && test -f "+bootCmdline)
	r := tool(t, nil, "up", "-i", inv)
	want := name + ": error: boot-partition: boot partition not mounted at /boot/firmware (cmdline.txt found on the root file system) (fix: mount it (e.g. check /etc/fstab) and run again)"
	if r.code != 3 || !strings.Contains(r.stderr, want) {
		t.Errorf("up with the boot partition unmounted: exit %d, want 3 with %q\n%s", r.code, want, r.stderr)
	}
	for _, o := range f.Hosts {
		if got := hostExec(t, f, o, "hostname; "+bootLeftovers); got != fleet.Hostname {
			t.Errorf("%s changed by a refused run: %q", o.Name, got)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := f.Restart(ctx, h); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WaitReady(ctx, h, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := rawCmdline(t, f, h); got != orig[h] || hostExec(t, f, h, "grep -c ' /boot/firmware ' /proc/mounts") != "1" {
		t.Fatalf("%s: boot partition not back after a reboot: %q", h.Name, got)
	}
}

// testCutWrite starts the verified write of the patched line over SSH (sudo,
// as k3sup-pi does), sends half of it, waits until the host has received that
// half, and cuts the connection: cmdline.txt must stay the old line and the
// temp file must go.
func testCutWrite(t *testing.T, f *fleet.Fleet, h *fleet.Host, old string) {
	t.Helper()
	patched := strings.TrimSuffix(old, "\n") + patchedFlags + "\n"
	script := remote.VerifiedWriteScript(remote.WriteSpec{Path: bootCmdline, Expect: sha256Hex(old),
		Backup: bootCmdline + ".k3sup-pi.bak"}, []byte(patched))
	c, err := flDial(t, f, h.Addr, "pi")
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("sudo -n sh -c " + remote.ShellQuote(script)); err != nil {
		t.Fatal(err)
	}
	half := len(patched) / 2
	if _, err := in.Write([]byte(patched[:half])); err != nil {
		t.Fatal(err)
	}
	tmpSize := "stat -c %s /boot/firmware/.cmdline.txt.k3sup-pi.* 2>/dev/null || true"
	pollHost(t, f, h, tmpSize, func(out string) bool { return out == strconv.Itoa(half) }, "the temp file to hold the first half")
	_ = c.Close() // the connection drops mid-write
	pollHost(t, f, h, bootLeftovers, func(out string) bool { return out == "" }, "the temp file to go")
	if got := rawCmdline(t, f, h); got != old {
		t.Fatalf("%s: after a cut write cmdline.txt = %q, want the old line %q", h.Name, got, old)
	}
}

// pollHost runs script on h until ok accepts its output, for at most a minute.
func pollHost(t *testing.T, f *fleet.Fleet, h *fleet.Host, script string, ok func(string) bool, what string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		out := hostExec(t, f, h, script)
		if ok(out) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: waited a minute for %s; last: %q", h.Name, what, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// rawCmdline is cmdline.txt's exact content (hostExec trims the output).
func rawCmdline(t *testing.T, f *fleet.Fleet, h *fleet.Host) string {
	t.Helper()
	b, err := hex.DecodeString(hostExec(t, f, h, "od -An -v -tx1 "+bootCmdline+" | tr -d ' \\n'"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
