package facts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeSystemctl is a systemctl that reports the unit active with main PID 42.
const fakeSystemctl = `#!/bin/sh
case "$*" in
*is-active*) exit 0 ;;
*MainPID*) echo MainPID=42 ;;
*ActiveEnterTimestampMonotonic*) echo ActiveEnterTimestampMonotonic=123 ;;
esac
`

// TestScriptStaleBinary: k3s_stale tells whether the running k3s process still
// executes the binary at /usr/local/bin/k3s. The fake root's proc/42/exe stands
// for the unit's main process (systemctl is faked on PATH).
func TestScriptStaleBinary(t *testing.T) {
	tests := []struct {
		name   string
		exe    func(root string) string // the target proc/42/exe links to; "" = no such process
		active bool
		want   bool
	}{
		{"runs the binary on disk", func(r string) string { return r + "/usr/local/bin/k3s" }, true, false},
		{"binary replaced since it started", func(r string) string { return r + "/usr/local/bin/k3s (deleted)" }, true, true},
		{"real k3s runs from its data dir", func(r string) string { return r + "/var/lib/rancher/k3s/data/abc/bin/k3s" }, true, false},
		{"no process", func(string) string { return "" }, true, false},
		{"unit inactive", func(r string) string { return r + "/usr/local/bin/k3s (deleted)" }, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := fakeRoot(t, pi4())
			if target := tt.exe(root); target != "" {
				if err := os.MkdirAll(filepath.Join(root, "proc/42"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, filepath.Join(root, "proc/42/exe")); err != nil {
					t.Fatal(err)
				}
			}
			script := fakeSystemctl
			if !tt.active {
				script = strings.Replace(script, "*is-active*) exit 0", "*is-active*) exit 3", 1)
			}
			if f := runWithPath(t, root, script); f.K3sStale != tt.want || f.ServiceActive != tt.active {
				t.Errorf("K3sStale = %v ServiceActive = %v, want %v %v", f.K3sStale, f.ServiceActive, tt.want, tt.active)
			}
		})
	}
}

// runWithPath runs Script under dash against root with a fake systemctl first on PATH.
func runWithPath(t *testing.T, root, systemctl string) Facts {
	t.Helper()
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte(systemctl), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dash", "-s", "--", root)
	cmd.Stdin = strings.NewReader(Script())
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("facts script: %v", err)
	}
	f, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, out)
	}
	return f
}
