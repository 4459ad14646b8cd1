package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const overrideBase = `cluster:
  k3s_version: v1.30.1+k3s1
  batch_size: 10
  concurrency: 5
  reboot_timeout: 3m
ssh:
  user: pi
hosts:
  - address: 10.0.0.1
`

// set is an Overrides of key=text pairs, each from origin "test KEY".
func set(kv ...string) Overrides {
	o := Overrides{}
	for i := 0; i+1 < len(kv); i += 2 {
		o[Key(kv[i])] = Value{Text: kv[i+1], Origin: "test " + kv[i]}
	}
	return o
}

func TestApplyOverrides(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFile(t, "id", testKey) // the key override must exist (issue 9 item 16)
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		o     Overrides
		check func(t *testing.T, inv *Inventory)
	}{
		{"nothing set keeps the file", nil, func(t *testing.T, inv *Inventory) {
			expect(t, "batch", inv.Cluster.BatchSize, 10)
			expect(t, "version", inv.Cluster.K3sVersion, "v1.30.1+k3s1")
		}},
		{"numbers, names and durations", set("cluster.batch_size", " 7", "ssh.user", "ubuntu", "cluster.reboot_timeout", "20m", "cluster.concurrency", "12"),
			func(t *testing.T, inv *Inventory) {
				expect(t, "batch", inv.Cluster.BatchSize, 7)
				expect(t, "user", inv.SSH.User, "ubuntu")
				expect(t, "reboot", inv.Cluster.RebootTimeout, 20*time.Minute)
				expect(t, "concurrency", inv.Cluster.Concurrency, 12)
			}},
		{"channel drops file version", set("cluster.channel", "latest"), func(t *testing.T, inv *Inventory) {
			expect(t, "version+channel", inv.Cluster.K3sVersion+"|"+inv.Cluster.Channel, "|latest")
		}},
		{"version", set("cluster.k3s_version", "v1.31.4+k3s1"), func(t *testing.T, inv *Inventory) {
			expect(t, "version+channel", inv.Cluster.K3sVersion+"|"+inv.Cluster.Channel, "v1.31.4+k3s1|")
		}},
		{"empty version falls back to the default channel", set("cluster.k3s_version", ""), func(t *testing.T, inv *Inventory) {
			expect(t, "version+channel", inv.Cluster.K3sVersion+"|"+inv.Cluster.Channel, "|"+DefaultChannel)
		}},
		{"paths relative to the working directory", set("cluster.kubeconfig", "kc", "ssh.key", "id", "ssh.known_hosts", "/kh"),
			func(t *testing.T, inv *Inventory) {
				expect(t, "kubeconfig", inv.Cluster.Kubeconfig, filepath.Join(cwd, "kc"))
				expect(t, "key", inv.SSH.Key, filepath.Join(cwd, "id"))
				expect(t, "known hosts", inv.SSH.KnownHosts, "/kh")
			}},
		{"install source", set("cluster.install.source", "online"), func(t *testing.T, inv *Inventory) {
			expect(t, "source", inv.Cluster.Install.Source, "online")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := applyTo(t, tt.o)
			if err != nil {
				t.Fatalf("unexpected error:\n%v", err)
			}
			tt.check(t, inv)
		})
	}
}

func TestApplyOverridesInvalid(t *testing.T) {
	tests := []struct {
		name string
		o    Overrides
		want []string
	}{
		{"batch size zero", Overrides{KeyBatchSize: {Text: "0", Origin: "--batch-size or $K3SUP_PI_BATCH_SIZE"}},
			[]string{"cluster.batch_size: is 0; it counts agents joined per batch and must be 1 or more (set by --batch-size or $K3SUP_PI_BATCH_SIZE)"}},
		{"not a number", set("cluster.concurrency", "lots"), []string{`cluster.concurrency: "lots" is not a whole number (set by test cluster.concurrency)`}},
		{"bad duration", set("cluster.reboot_timeout", "5"), []string{`cluster.reboot_timeout: "5" is not a duration`}},
		{"bad version", set("cluster.k3s_version", "1.31"), []string{"cluster.k3s_version: \"1.31\" is a minor line"}},
		{"offline without bundle", set("cluster.install.source", "offline"), []string{"cluster.install.source: is offline but"}},
		{"bad source", set("cluster.install.source", "usb"), []string{`"usb" is not an install source`}},
		{"empty user", set("ssh.user", ""), []string{`ssh.user: "" is not a user name`}},
		{"two at once", set("cluster.batch_size", "-1", "cluster.concurrency", "0"), []string{"cluster.batch_size", "cluster.concurrency"}},
		{"not an override", set("hosts[0].address", "10.0.0.2"), []string{"hosts[0].address: cannot be overridden (set by test hosts[0].address)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := applyTo(t, tt.o)
			wantProblems(t, err, tt.want...)
			if !strings.HasPrefix(err.Error(), "inv.yml: ") {
				t.Errorf("override problems carry no line: %s", err)
			}
		})
	}
}

// TestOverrideKeysAllApply: every listed key has a setter, and only those.
func TestOverrideKeysAllApply(t *testing.T) {
	if len(setters) != len(OverrideKeys) {
		t.Errorf("%d setters for %d keys", len(setters), len(OverrideKeys))
	}
	for _, k := range OverrideKeys {
		if setters[k] == nil {
			t.Errorf("no setter for %s", k)
		}
	}
}

func applyTo(t *testing.T, o Overrides) (*Inventory, error) {
	t.Helper()
	inv, err := Parse("inv.yml", []byte(overrideBase))
	if err != nil {
		t.Fatal(err)
	}
	return inv, ApplyOverrides(inv, o)
}

// TestMaxFailures: a count or a percentage of the agents, anything else
// refused with the key named.
func TestMaxFailures(t *testing.T) {
	for _, tc := range []struct {
		in      string
		agents  int
		want    int
		wantErr string
	}{
		{"", 10, 0, ""},
		{"0", 10, 0, ""},
		{"3", 10, 3, ""},
		{" 2 ", 4, 2, ""},
		{"10%", 25, 2, ""},
		{"50%", 4, 2, ""},
		{"10%", 4, 0, ""},
		{"100%", 7, 7, ""},
		{"-1", 4, 0, `"-1" is not a count of agents`},
		{"ten", 4, 0, `"ten" is not a count of agents`},
		{"101%", 4, 0, `"101%" is more than 100% of the agents`},
		{"3.5", 4, 0, `"3.5" is not a count`},
	} {
		m, err := ParseMaxFailures(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseMaxFailures(%q) = %v, want error %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || m.Of(tc.agents) != tc.want {
			t.Errorf("ParseMaxFailures(%q).Of(%d) = %d, %v; want %d", tc.in, tc.agents, m.Of(tc.agents), err, tc.want)
		}
	}
}
