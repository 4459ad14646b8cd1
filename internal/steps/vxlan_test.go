package steps

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVxlanScript runs the script with sh against fake modinfo and apt-get.
func TestVxlanScript(t *testing.T) {
	tests := []struct {
		name     string
		modinfo  string // exit status of modinfo vxlan
		apt      string // exit status of apt-get install
		wantOut  string
		wantErr  bool
		wantDiag string
	}{
		{"module present: nothing to do", "0", "1", "", false, ""},
		{"module missing: installed", "1", "0", "installed", false, ""},
		{"offline: clear error", "1", "100", "", true, "install it by hand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := t.TempDir()
			for name, code := range map[string]string{"modinfo": tt.modinfo, "apt-get": tt.apt, "modprobe": "0"} {
				script := "#!/bin/sh\necho \"$0 $*\" >> " + filepath.Join(bin, "calls") + "\nexit " + code + "\n"
				if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("sh", "-c", vxlanSh)
			cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if (err != nil) != tt.wantErr || strings.TrimSpace(string(out)) != tt.wantOut || !strings.Contains(stderr.String(), tt.wantDiag) {
				t.Errorf("out %q err %v stderr %q", out, err, stderr.String())
			}
			calls, _ := os.ReadFile(filepath.Join(bin, "calls"))
			if installs := strings.Contains(string(calls), "linux-modules-extra-raspi"); installs != (tt.modinfo != "0") {
				t.Errorf("apt-get called=%v, want %v\n%s", installs, tt.modinfo != "0", calls)
			}
		})
	}
}

// TestVxlanScriptPrivateLog: apt's log goes to a mktemp file in $TMPDIR that is
// removed afterwards, never to the fixed /tmp/k3sup-pi-apt.log that anyone
// could plant a symlink at for root to write through.
func TestVxlanScriptPrivateLog(t *testing.T) {
	const fixed = "/tmp/k3sup-pi-apt.log"
	before, beforeErr := os.Lstat(fixed)
	bin, tmp := t.TempDir(), t.TempDir()
	for name, body := range map[string]string{"modinfo": "exit 1", "apt-get": "echo 'E: Unable to locate package'; exit 100", "modprobe": "exit 0"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sh", "-c", vxlanSh)
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "TMPDIR=" + tmp}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "Unable to locate package") {
		t.Fatalf("err %v, stderr %q: want the failure with apt's last lines", err, stderr.String())
	}
	after, afterErr := os.Lstat(fixed)
	if (beforeErr == nil) != (afterErr == nil) || afterErr == nil && !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("%s was written (before: %v, after: %v)", fixed, beforeErr, afterErr)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("log left in TMPDIR: %v", left)
	}
}
