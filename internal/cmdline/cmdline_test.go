package cmdline

import (
	"strings"
	"testing"
)

const (
	piOS   = "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet splash plymouth.ignore-serial-consoles cfg80211.ieee80211_regdom=GB"
	ubuntu = "console=serial0,115200 dwc_otg.lpm_enable=0 console=tty1 root=LABEL=writable rootfstype=ext4 rootwait fixrtc quiet splash"
	flags  = "cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory"
)

func TestPatch(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		changed bool
		wantErr string
	}{
		{name: "pi os line with newline", in: piOS + "\n", want: piOS + " " + flags + "\n", changed: true},
		{name: "ubuntu line without newline", in: ubuntu, want: ubuntu + " " + flags, changed: true},
		{name: "odd spacing kept", in: "  console=tty1   root=/dev/mmcblk0p2\trootwait", want: "  console=tty1   root=/dev/mmcblk0p2\trootwait " + flags, changed: true},
		{name: "trailing space gets no second separator", in: "rootwait \n", want: "rootwait " + flags + "\n", changed: true},
		{name: "crlf kept", in: "console=tty1 rootwait\r\n", want: "console=tty1 rootwait " + flags + "\r\n", changed: true},
		{name: "already patched is identical", in: piOS + " " + flags + "\n", want: piOS + " " + flags + "\n"},
		{name: "already patched in another order", in: "cgroup_memory=1 cgroup_enable=memory rootwait cgroup_enable=cpuset", want: "cgroup_memory=1 cgroup_enable=memory rootwait cgroup_enable=cpuset"},
		{name: "comma list counts", in: "cgroup_enable=cpuset,memory cgroup_memory=1", want: "cgroup_enable=cpuset,memory cgroup_memory=1"},
		{name: "partially patched", in: "rootwait cgroup_memory=1\n", want: "rootwait cgroup_memory=1 cgroup_enable=cpuset cgroup_enable=memory\n", changed: true},
		{name: "disable after enable re-appends enable", in: "cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory cgroup_disable=memory\n",
			want: "cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory cgroup_disable=memory cgroup_enable=memory\n", changed: true},
		{name: "disable before enable is fine", in: "cgroup_disable=memory " + flags, want: "cgroup_disable=memory " + flags},
		{name: "later cgroup_memory=0 overrides", in: flags + " cgroup_memory=0", want: flags + " cgroup_memory=0 cgroup_memory=1", changed: true},
		{name: "init arguments after dashes", in: "rootwait -- single\n", want: "rootwait " + flags + " -- single\n", changed: true},
		{name: "blank extra lines joined", in: "\n" + piOS + "\n  \n\n", want: piOS + " " + flags + "\n", changed: true},
		{name: "blank crlf lines joined, already patched", in: flags + "\r\n\r\n", want: flags + "\r\n", changed: true},
		{name: "two lines", in: piOS + "\n" + "rootwait\n", wantErr: "has 2 non-empty lines"},
		{name: "empty", in: "", wantErr: "empty"},
		{name: "whitespace only", in: " \n\t\n", wantErr: "empty"},
		{name: "unclosed quote", in: `rootwait foo="bar`, wantErr: "quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed, err := Patch(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Patch(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Patch(%q): %v", tt.in, err)
			}
			if got != tt.want || changed != tt.changed {
				t.Errorf("Patch(%q) =\n  %q, %v\nwant\n  %q, %v", tt.in, got, changed, tt.want, tt.changed)
			}
			if again, changed, err := Patch(got); err != nil || changed || again != got {
				t.Errorf("Patch(Patch(%q)) changed it again: %q, %v", tt.in, again, err)
			}
		})
	}
}

func FuzzPatch(f *testing.F) {
	for _, s := range []string{piOS + "\n", ubuntu, "a\r\n\r\n", flags + " cgroup_disable=memory", "x -- y", `a="b c"`, "\n\n", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, changed, err := Patch(in)
		if err != nil {
			return
		}
		if i := strings.IndexByte(out, '\n'); i >= 0 && i != len(out)-1 {
			t.Fatalf("Patch(%q) = %q: more than one line", in, out)
		}
		if !changed && out != in {
			t.Fatalf("Patch(%q) = %q with changed=false", in, out)
		}
		again, changed2, err := Patch(out)
		if err != nil || changed2 || again != out {
			t.Fatalf("Patch not idempotent on %q: %q, %v, %v", out, again, changed2, err)
		}
	})
}
