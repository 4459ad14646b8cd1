package preflight

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/facts"
)

// host builds a fleet member with the given current hostname, wanted hostname and clock.
func host(name, current, want string, now int64) Input {
	return Input{Host: name, Role: "agent", WantHostname: want,
		Facts: facts.Facts{Hostname: current, UnixTime: now}}
}

func TestCheckFleet(t *testing.T) {
	const now = 1767225600
	tests := []struct {
		name      string
		ins       []Input
		want      []string   // check/severity
		wantHosts [][]string // Hosts of each finding
		wantMsg   string     // a phrase the first finding must contain
	}{
		{name: "all raspberrypi, no hostnames",
			ins: []Input{host("pi-a", "raspberrypi", "", now), host("pi-b", "raspberrypi", "", now),
				host("pi-c", "raspberrypi", "", now), host("pi-d", "ubuntu", "", now)},
			want: []string{"hostname/error"}, wantHosts: [][]string{{"pi-a", "pi-b", "pi-c"}},
			wantMsg: `3 hosts would join as node "raspberrypi": pi-a (current hostname), pi-b (current hostname), pi-c`},
		{name: "hostnames from the inventory",
			ins:  []Input{host("pi-a", "raspberrypi", "node-1", now), host("pi-b", "raspberrypi", "node-2", now)},
			want: []string{}, wantHosts: [][]string{}},
		{name: "duplicate inventory hostnames",
			ins:  []Input{host("pi-a", "raspberrypi", "node-1", now), host("pi-b", "x", "Node-1", now)},
			want: []string{"hostname/error"}, wantHosts: [][]string{{"pi-a", "pi-b"}}, wantMsg: "inventory hostname"},
		{name: "wanted name taken by a current one",
			ins:  []Input{host("pi-a", "raspberrypi", "pi-b", now), host("pi-b", "pi-b", "", now)},
			want: []string{"hostname/error"}, wantHosts: [][]string{{"pi-a", "pi-b"}}},
		{name: "two groups",
			ins: []Input{host("a", "ubuntu", "", now), host("b", "raspberrypi", "", now),
				host("c", "ubuntu", "", now), host("d", "raspberrypi", "", now)},
			want: []string{"hostname/error", "hostname/error"}, wantHosts: [][]string{{"b", "d"}, {"a", "c"}}},
		{name: "clock skew",
			ins: []Input{host("a", "a", "", now), host("b", "b", "", now+1), host("c", "c", "", now+2),
				host("d", "d", "", now+20), host("e", "e", "", now-11), host("f", "f", "", facts.Unknown)},
			want: []string{"clock/warning"}, wantHosts: [][]string{{"d", "e"}}, wantMsg: "d (+19 s), e (-12 s)"},
		{name: "clocks within 5 s",
			ins:  []Input{host("a", "a", "", now), host("b", "b", "", now+5), host("c", "c", "", now-5)},
			want: []string{}, wantHosts: [][]string{}},
		{name: "one host", ins: []Input{host("a", "a", "", now)}, want: []string{}, wantHosts: [][]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckFleet(tt.ins)
			hosts := [][]string{}
			for _, f := range got {
				hosts = append(hosts, f.Hosts)
				if f.Fix == "" || f.Host != "" {
					t.Errorf("fleet finding with a host or without a fix: %+v", f)
				}
			}
			if s := summary(got); !reflect.DeepEqual(s, tt.want) || !reflect.DeepEqual(hosts, tt.wantHosts) {
				t.Fatalf("findings %v hosts %v, want %v %v\n%v", s, hosts, tt.want, tt.wantHosts, got)
			}
			if tt.wantMsg != "" && !strings.Contains(got[0].Msg, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", got[0].Msg, tt.wantMsg)
			}
		})
	}
}

func TestCheckFleetClusterCIDR(t *testing.T) {
	fleet := func(n, prefix, total int) []Input {
		ins := make([]Input, n)
		for i := range ins {
			name := fmt.Sprintf("pi-%03d", i)
			ins[i] = Input{Host: name, Role: "agent", Facts: facts.Facts{Hostname: name},
				ClusterCIDRPrefix: prefix, ClusterNodes: total}
		}
		return ins
	}
	tests := []struct {
		name    string
		ins     []Input
		wantFix string // "" when no finding is expected
	}{
		{"255 nodes fit the default /16", fleet(255, 0, 0), ""},
		{"256 nodes on the default /16", fleet(256, 0, 0), "10.42.0.0/15"},
		{"300 nodes on a /15", fleet(300, 15, 0), ""},
		{"add-node to 600 nodes on a /15", fleet(3, 15, 600), "10.42.0.0/14"},
		{"20 nodes on a /20", fleet(20, 20, 0), "10.42.0.0/19"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckFleet(tt.ins)
			if tt.wantFix == "" {
				if len(got) != 0 {
					t.Fatalf("unexpected findings: %v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Check != "cluster-cidr" || got[0].Severity != Warning ||
				!strings.Contains(got[0].Fix, tt.wantFix) {
				t.Fatalf("findings %v, want one cluster-cidr warning suggesting %s", got, tt.wantFix)
			}
		})
	}
}
