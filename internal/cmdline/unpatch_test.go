package cmdline

import (
	"strings"
	"testing"
)

func TestUnpatch(t *testing.T) {
	moved := strings.Replace(piOS, "root=PARTUUID=4e639091-02", "root=PARTUUID=0b1ee1a5-02", 1)
	tests := []struct {
		name    string
		in      string
		added   []string
		want    string
		changed bool
		wantErr string
	}{
		{name: "as patched", in: piOS + " " + flags + "\n", added: CgroupFlags, want: piOS + "\n", changed: true},
		{name: "root moved by hand after patching: the new root= stays",
			in: moved + " " + flags + "\n", added: CgroupFlags, want: moved + "\n", changed: true},
		{name: "user flag before patching stays", in: "rootwait cgroup_memory=1 cgroup_enable=cpuset cgroup_enable=memory\n",
			added: []string{"cgroup_enable=cpuset", "cgroup_enable=memory"}, want: "rootwait cgroup_memory=1\n", changed: true},
		{name: "user's earlier enable undone by disable stays",
			in:    "cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory cgroup_disable=memory cgroup_enable=memory\n",
			added: []string{"cgroup_enable=memory"}, want: "cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory cgroup_disable=memory\n", changed: true},
		{name: "arguments added by hand after ours stay", in: "rootwait " + flags + " quiet splash\n", added: CgroupFlags,
			want: "rootwait quiet splash\n", changed: true},
		{name: "odd spacing elsewhere kept", in: "  console=tty1   root=/dev/mmcblk0p2\trootwait " + flags, added: CgroupFlags,
			want: "  console=tty1   root=/dev/mmcblk0p2\trootwait", changed: true},
		{name: "init arguments after dashes", in: "rootwait " + flags + " -- single cgroup_memory=1\n", added: CgroupFlags,
			want: "rootwait -- single cgroup_memory=1\n", changed: true},
		{name: "crlf kept", in: "console=tty1 rootwait " + flags + "\r\n", added: CgroupFlags, want: "console=tty1 rootwait\r\n", changed: true},
		{name: "a flag removed by hand is skipped", in: "rootwait cgroup_enable=cpuset cgroup_enable=memory\n", added: CgroupFlags,
			want: "rootwait\n", changed: true},
		{name: "flag moved to the front by hand", in: "cgroup_memory=1 rootwait cgroup_enable=cpuset cgroup_enable=memory", added: CgroupFlags,
			want: "rootwait", changed: true},
		{name: "nothing of ours left", in: piOS + "\n", added: CgroupFlags, want: piOS + "\n"},
		{name: "nothing added", in: piOS + " " + flags + "\n", added: nil, want: piOS + " " + flags + "\n"},
		{name: "two lines", in: piOS + "\nrootwait\n", added: CgroupFlags, wantErr: "2 non-empty lines"},
		{name: "empty", in: "\n", added: CgroupFlags, wantErr: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed, err := Unpatch(tt.in, tt.added)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Unpatch error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want || changed != tt.changed {
				t.Errorf("Unpatch(%q, %q) =\n  %q, %v, %v\nwant\n  %q, %v", tt.in, tt.added, got, changed, err, tt.want, tt.changed)
			}
		})
	}
}

// TestUnpatchReversesPatch: Unpatch(Patch(x), Added(x)) is x byte for byte.
func TestUnpatchReversesPatch(t *testing.T) {
	for _, in := range []string{piOS + "\n", ubuntu, "console=tty1 rootwait\r\n", "rootwait cgroup_memory=1\n",
		"rootwait -- single\n", "  a\tb  c", flags + " cgroup_memory=0",
		"cgroup_enable=cpuset cgroup_memory=1 cgroup_enable=memory cgroup_disable=memory\n"} {
		added := Added(in)
		patched, _, err := Patch(in)
		if err != nil {
			t.Fatal(err)
		}
		if len(added) == 0 {
			t.Fatalf("Added(%q) = %q", in, added)
		}
		back, changed, err := Unpatch(patched, added)
		if err != nil || back != in || !changed {
			t.Errorf("Unpatch(Patch(%q)) = %q, %v, %v", in, back, changed, err)
		}
	}
}
