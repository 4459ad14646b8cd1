package lock

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRoot is a temp lease directory and a fake /proc for lock.sh.
type fakeRoot struct{ dir, run, proc string }

func newFakeRoot(t *testing.T, boot, uptime string) fakeRoot {
	t.Helper()
	r := fakeRoot{dir: t.TempDir(), run: t.TempDir(), proc: t.TempDir()}
	must(t, os.MkdirAll(filepath.Join(r.proc, "sys/kernel/random"), 0o755))
	r.setBoot(t, boot, uptime)
	return r
}

func (r fakeRoot) setBoot(t *testing.T, boot, uptime string) {
	t.Helper()
	must(t, os.WriteFile(filepath.Join(r.proc, "sys/kernel/random/boot_id"), []byte(boot+"\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(r.proc, "uptime"), []byte(uptime+" 12.34\n"), 0o644))
}

func (r fakeRoot) lease() string { return filepath.Join(r.dir, "k3sup-pi.lock") }

func (r fakeRoot) seen() string { return filepath.Join(r.run, "k3sup-pi.lock.seen") }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// leaseText is a lease file as lock.sh writes it.
func leaseText(id, boot, until, grace string) string {
	return "k3sup-pi-lock 1\nid=" + id + "\noperator=ann@laptop\nmachine=m-ann\npid=4242\ncommand=up\nstarted=1700000000\nboot=" +
		boot + "\nuntil=" + until + "\ngrace=" + grace + "\n"
}

// runScript runs lock.sh under shell with the arguments a run passes.
func runScript(t *testing.T, shell string, r fakeRoot, action, id, steal string) (string, error) {
	t.Helper()
	args := []string{action, r.dir, r.run, r.proc, id, "120", "720", steal, "bob@desk", "m-bob", "77", "reset", "1700000100"}
	cmd := exec.Command(shell, append([]string{"-c", script, "lock.sh"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Logf("stderr: %s", stderr.String())
	}
	return string(out), err
}

// TestScript runs lock.sh under sh and dash against a temp root: every state
// a lease can be in, for each action.
func TestScript(t *testing.T) {
	tests := []struct {
		name       string
		lease      string // "" = none
		seen       string // RUNDIR's record of the first look at an earlier boot's lease
		boot, up   string // the host now
		action, id string
		steal      string
		want       string // status
		wantOut    string // also printed
		wantHolder string // the lease's id after; "" = no lease
	}{
		{"free: acquired", "", "", "b1", "100.2", "acquire", "run2", "-", "acquired", "", "run2"},
		{"live holder: held, named", leaseText("run1", "b1", "200", "720"), "", "b1", "100.9", "acquire", "run2", "-", "held", "holder.pid=4242\n", "run1"},
		{"live holder: time left", leaseText("run1", "b1", "200", "720"), "", "b1", "100.9", "acquire", "run2", "-", "held", "left=100\n", "run1"},
		{"expired: recovered", leaseText("run1", "b1", "200", "720"), "", "b1", "201.0", "acquire", "run2", "-", "recovered-expired", "holder.operator=ann@laptop\n", "run2"},
		{"rebooted, first look: held for grace", leaseText("run1", "b0", "99999", "720"), "", "b1", "5000.0", "acquire", "run2", "-", "held", "left=720\n", "run1"},
		{"rebooted, first look by a probe: held", leaseText("run1", "b0", "99999", "720"), "", "b1", "5000.0", "probe", "run2", "-", "live", "left=720\n", "run1"},
		{"rebooted, looked at 30s ago: held", leaseText("run1", "b0", "99999", "720"), "boot=b1\nup=4970\n", "b1", "5000.0", "acquire", "run2", "-", "held", "left=690\n", "run1"},
		{"rebooted, looked at grace ago: recovered", leaseText("run1", "b0", "99999", "720"), "boot=b1\nup=4280\n", "b1", "5000.0", "acquire", "run2", "-", "recovered-expired", "", "run2"},
		{"look of an earlier boot: counts from now", leaseText("run1", "b0", "99999", "720"), "boot=b0\nup=10\n", "b1", "5000.0", "acquire", "run2", "-", "held", "left=720\n", "run1"},
		{"dead holder stolen by id", leaseText("run1", "b1", "200", "720"), "", "b1", "100.0", "acquire", "run2", "run1", "recovered-dead", "holder.id=run1\n", "run2"},
		{"steal names another id: held", leaseText("run1", "b1", "200", "720"), "", "b1", "100.0", "acquire", "run2", "run9", "held", "", "run1"},
		{"corrupt header: recovered", "garbage\n", "", "b1", "100.0", "acquire", "run2", "-", "recovered-corrupt", "", "run2"},
		{"corrupt fields: recovered", leaseText("run1", "b1", "soon", "720"), "", "b1", "100.0", "acquire", "run2", "-", "recovered-corrupt", "", "run2"},
		{"empty file: recovered", "\n", "", "b1", "100.0", "acquire", "run2", "-", "recovered-corrupt", "", "run2"},
		{"own lease: renewed", leaseText("run2", "b1", "200", "720"), "", "b1", "150.0", "renew", "run2", "-", "renewed", "", "run2"},
		{"own lease after reboot: renewed", leaseText("run2", "b0", "200", "720"), "", "b1", "40.0", "renew", "run2", "-", "renewed", "", "run2"},
		{"taken over: lost", leaseText("run1", "b1", "200", "720"), "", "b1", "150.0", "renew", "run2", "-", "lost", "holder.id=run1\n", "run1"},
		{"removed: lost, not recreated", "", "", "b1", "150.0", "renew", "run2", "-", "lost", "", ""},
		{"release own", leaseText("run2", "b1", "200", "720"), "", "b1", "150.0", "release", "run2", "-", "released", "", ""},
		{"release own of an earlier boot", leaseText("run2", "b0", "200", "720"), "boot=b1\nup=100\n", "b1", "150.0", "release", "run2", "-", "released", "", ""},
		{"release another's: kept", leaseText("run1", "b1", "200", "720"), "", "b1", "150.0", "release", "run2", "-", "notheld", "", "run1"},
		{"probe live", leaseText("run1", "b1", "200", "720"), "", "b1", "150.0", "probe", "run2", "-", "live", "holder.command=up\n", "run1"},
		{"probe free", "", "", "b1", "150.0", "probe", "run2", "-", "free", "", ""},
	}
	for _, shell := range []string{"sh", "dash"} {
		if _, err := exec.LookPath(shell); err != nil {
			t.Fatalf("%s is needed to test lock.sh: %v", shell, err)
		}
		for _, tt := range tests {
			t.Run(shell+"/"+tt.name, func(t *testing.T) {
				r := newFakeRoot(t, tt.boot, tt.up)
				if tt.lease != "" {
					must(t, os.WriteFile(r.lease(), []byte(tt.lease), 0o644))
				}
				if tt.seen != "" {
					must(t, os.WriteFile(r.seen(), []byte(tt.seen), 0o644))
				}
				out, err := runScript(t, shell, r, tt.action, tt.id, tt.steal)
				if err != nil {
					t.Fatalf("lock.sh: %v\n%s", err, out)
				}
				if !strings.Contains(out, "status="+tt.want+"\n") || !strings.Contains(out, tt.wantOut) {
					t.Errorf("output %q, want status=%s and %q", out, tt.want, tt.wantOut)
				}
				checkLease(t, r, tt.wantHolder)
				checkSeen(t, r, tt.name, tt.want)
			})
		}
	}
}

// checkSeen checks RUNDIR's record: made at the first look at an earlier
// boot's lease, gone once a lease of this boot is written or the lease released.
func checkSeen(t *testing.T, r fakeRoot, name, status string) {
	t.Helper()
	seen, _ := os.ReadFile(r.seen())
	wrote := strings.HasPrefix(status, "recovered") || status == "acquired" || status == "renewed" || status == "released"
	switch {
	case wrote && len(seen) > 0:
		t.Errorf("RUNDIR record %q left beside a new lease", seen)
	case strings.Contains(name, "first look") && string(seen) != "boot=b1\nup=5000\n":
		t.Errorf("RUNDIR record %q, want the first look at uptime 5000", seen)
	}
}

// checkLease checks the lease's holder id ("" = no lease) and that no temp
// file is left beside it.
func checkLease(t *testing.T, r fakeRoot, wantID string) {
	t.Helper()
	b, err := os.ReadFile(r.lease())
	switch {
	case wantID == "" && !os.IsNotExist(err):
		t.Errorf("lease left: %q (%v)", b, err)
	case wantID != "" && !strings.Contains(string(b), "\nid="+wantID+"\n"):
		t.Errorf("lease %q, want id %s", b, wantID)
	}
	entries, _ := os.ReadDir(r.dir)
	for _, e := range entries {
		if e.Name() != "k3sup-pi.lock" {
			t.Errorf("left in the lease directory: %s", e.Name())
		}
	}
}

// TestScriptWritesWhatItReads checks a written lease's fields and mode, and
// that a temp file a killed writer left is removed.
func TestScriptWritesWhatItReads(t *testing.T) {
	r := newFakeRoot(t, "b1", "100.5")
	must(t, os.WriteFile(filepath.Join(r.dir, ".k3sup-pi.lock.AbC123"), []byte("half"), 0o600))
	if _, err := runScript(t, "sh", r, "acquire", "run2", "-"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(r.lease())
	must(t, err)
	want := "k3sup-pi-lock 1\nid=run2\noperator=bob@desk\nmachine=m-bob\npid=77\ncommand=reset\nstarted=1700000100\nboot=b1\nuntil=220\ngrace=720\n"
	if string(b) != want {
		t.Errorf("lease:\n%s\nwant:\n%s", b, want)
	}
	if st, _ := os.Stat(r.lease()); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	checkLease(t, r, "run2")
}
