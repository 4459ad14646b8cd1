package kube

import (
	"reflect"
	"testing"
	"time"
)

func TestDiffMeta(t *testing.T) {
	managed := map[string]string{managedLabelsAnno: "disk", managedTaintsAnno: "gpu=yes:NoSchedule"}
	tests := []struct {
		name string
		node Node
		want MetaWant
		out  MetaChange
	}{
		{"fresh node gets labels, taints and the record",
			Node{Labels: map[string]string{"kubernetes.io/os": "linux"}},
			MetaWant{Labels: map[string]string{"disk": "ssd"}, Taints: []string{"gpu=yes:NoSchedule"}},
			MetaChange{Label: []string{"disk=ssd"}, Taint: []string{"gpu=yes:NoSchedule"},
				Annotate: []string{managedLabelsAnno + "=disk", managedTaintsAnno + "=gpu=yes:NoSchedule"}}},
		{"in step: nothing",
			Node{Labels: map[string]string{"disk": "ssd"}, Taints: []string{"gpu=yes:NoSchedule"}, Annotations: managed},
			MetaWant{Labels: map[string]string{"disk": "ssd"}, Taints: []string{"gpu=yes:NoSchedule"}},
			MetaChange{}},
		{"removed from the inventory: removed from the node, foreign labels kept",
			Node{Labels: map[string]string{"disk": "ssd", "team": "a"}, Taints: []string{"gpu=yes:NoSchedule"}, Annotations: managed},
			MetaWant{},
			MetaChange{Label: []string{"disk-"}, Taint: []string{"gpu:NoSchedule-"},
				Annotate: []string{managedLabelsAnno + "=", managedTaintsAnno + "="}}},
		{"changed value overwritten",
			Node{Labels: map[string]string{"disk": "sd"}, Annotations: map[string]string{managedLabelsAnno: "disk", managedTaintsAnno: ""}},
			MetaWant{Labels: map[string]string{"disk": "ssd"}},
			MetaChange{Label: []string{"disk=ssd"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DiffMeta(tt.node, tt.want); !reflect.DeepEqual(got, tt.out) {
				t.Errorf("DiffMeta =\n %#v\nwant\n %#v", got, tt.out)
			}
		})
	}
}

func TestParseNodes(t *testing.T) {
	data := []byte(`{"items":[{"metadata":{"name":"pi1","labels":{"a":"b"}},
	 "spec":{"taints":[{"key":"k","effect":"NoSchedule"},{"key":"x","value":"y","effect":"NoExecute"}]},
	 "status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}],
	 "nodeInfo":{"kubeletVersion":"v1.31.4+k3s1"}}},
	 {"metadata":{"name":"pi2"},"status":{"conditions":[{"type":"Ready","status":"Unknown"}]}}]}`)
	nodes, err := parseNodes(data)
	if err != nil {
		t.Fatal(err)
	}
	if n := nodes["pi1"]; !n.Ready || n.Version != "v1.31.4+k3s1" || !reflect.DeepEqual(n.Taints, []string{"k:NoSchedule", "x=y:NoExecute"}) {
		t.Errorf("pi1 = %+v", n)
	}
	if nodes["pi2"].Ready {
		t.Error("pi2 should not be Ready")
	}
	want := map[string]string{"pi1": "v1.31.4+k3s1", "pi2": "", "pi3": "v1.31.4+k3s1"}
	if got := notReady(nodes, want); !reflect.DeepEqual(got, []string{"pi2 (NotReady)", "pi3 (not registered)"}) {
		t.Errorf("notReady = %v", got)
	}
	want["pi1"] = "v1.31.5+k3s1"
	if got := notReady(nodes, want); !reflect.DeepEqual(got, []string{"pi1 (runs v1.31.4+k3s1, not v1.31.5+k3s1)", "pi2 (NotReady)", "pi3 (not registered)"}) {
		t.Errorf("notReady on another version = %v", got)
	}
	if _, err := parseNodes([]byte("not json")); err == nil {
		t.Error("want an error for bad JSON")
	}
}

// TestNotReadyErrorWhy: each missing node by name, with why.
func TestNotReadyErrorWhy(t *testing.T) {
	e := &NotReadyError{Timeout: time.Second, Missing: []string{"pi1 (runs v1.31.4+k3s1, not v1.31.5+k3s1)", "pi2 (NotReady)"}}
	want := map[string]string{"pi1": "runs v1.31.4+k3s1, not v1.31.5+k3s1", "pi2": "NotReady"}
	if got := e.Why(); !reflect.DeepEqual(got, want) {
		t.Errorf("Why() = %v, want %v", got, want)
	}
	if got := e.Error(); got != "nodes not Ready after 1s: pi1 (runs v1.31.4+k3s1, not v1.31.5+k3s1), pi2 (NotReady)" {
		t.Errorf("Error() = %q", got)
	}
}
