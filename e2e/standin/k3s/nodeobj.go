package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// renderNode turns a record into a v1 Node object.
func renderNode(r record) map[string]any {
	ann := cloneMap(r.Annotations)
	hist, _ := json.Marshal(r.History)
	ann[annHistory] = string(hist)
	meta := map[string]any{
		"name": r.Name, "uid": r.UID, "resourceVersion": strconv.FormatInt(r.RV, 10),
		"creationTimestamp": r.Created.UTC().Format(time.RFC3339),
		"labels":            toAnyMap(r.Labels), "annotations": toAnyMap(ann),
	}
	spec := map[string]any{"providerID": "k3s://" + r.Name, "podCIDR": "10.42.0.0/24"}
	if len(r.Taints) > 0 {
		spec["taints"] = r.Taints
	}
	if r.Unschedulable {
		spec["unschedulable"] = true
	}
	return map[string]any{"kind": "Node", "apiVersion": "v1", "metadata": meta, "spec": spec, "status": renderStatus(r)}
}

func renderStatus(r record) map[string]any {
	res := map[string]any{"cpu": "4", "memory": "8012520Ki", "pods": "110", "ephemeral-storage": "30787492Ki"}
	return map[string]any{
		"capacity": res, "allocatable": res,
		"conditions": []any{readyCondition(r)},
		"addresses": []any{
			map[string]any{"type": "InternalIP", "address": r.IP},
			map[string]any{"type": "Hostname", "address": r.Hostname},
		},
		"daemonEndpoints": map[string]any{"kubeletEndpoint": map[string]any{"Port": 10250}},
		"nodeInfo": map[string]any{
			"kubeletVersion": r.Version, "kubeProxyVersion": r.Version,
			"architecture": runtime.GOARCH, "operatingSystem": "linux",
			"osImage": "Debian GNU/Linux 12 (bookworm)", "kernelVersion": "6.6.51+rpt-rpi-v8",
			"containerRuntimeVersion": "containerd://1.7.23-k3s2",
			"machineID":               "", "systemUUID": "", "bootID": "",
		},
	}
}

func readyCondition(r record) map[string]any {
	status, reason, msg := "True", "KubeletReady", "kubelet is posting ready status"
	switch {
	case !r.Ready && r.History != nil && lastEvent(r) == "notready":
		status, reason, msg = "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."
	case !r.Ready:
		status, reason, msg = "False", "KubeletNotReady", "container runtime status check may not have completed yet"
	}
	return map[string]any{
		"type": "Ready", "status": status, "reason": reason, "message": msg,
		"lastHeartbeatTime":  r.Heartbeat.UTC().Format(time.RFC3339),
		"lastTransitionTime": r.Transition.UTC().Format(time.RFC3339),
	}
}

func lastEvent(r record) string {
	if len(r.History) == 0 {
		return ""
	}
	return r.History[len(r.History)-1].Event
}

// absorb copies the user-editable parts of a Node object into r.
func absorb(r *record, obj map[string]any) error {
	meta, _ := obj["metadata"].(map[string]any)
	spec, _ := obj["spec"].(map[string]any)
	labels, err := stringMap(meta["labels"])
	if err != nil {
		return fmt.Errorf("metadata.labels: %w", err)
	}
	ann, err := stringMap(meta["annotations"])
	if err != nil {
		return fmt.Errorf("metadata.annotations: %w", err)
	}
	ann[annRegisteredAt] = r.Annotations[annRegisteredAt]
	delete(ann, annHistory)
	taints, _ := spec["taints"].([]any)
	unsched, _ := spec["unschedulable"].(bool)
	r.Labels, r.Annotations, r.Taints, r.Unschedulable = labels, ann, taints, unsched
	return nil
}

func stringMap(v any) (map[string]string, error) {
	out := map[string]string{}
	m, ok := v.(map[string]any)
	if v != nil && !ok {
		return nil, fmt.Errorf("want an object, got %T", v)
	}
	for k, e := range m {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("value of %q is not a string", k)
		}
		out[k] = s
	}
	return out, nil
}

func toAnyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// nodeStatusText is the STATUS column of `kubectl get nodes`.
func nodeStatusText(r record) string {
	s := "NotReady"
	if r.Ready {
		s = "Ready"
	}
	if r.Unschedulable {
		s += ",SchedulingDisabled"
	}
	return s
}

// nodeRoles is the ROLES column: node-role.kubernetes.io/<role> labels.
func nodeRoles(r record) string {
	var roles []string
	for k := range r.Labels {
		if role, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && role != "" {
			roles = append(roles, role)
		}
	}
	if len(roles) == 0 {
		return "<none>"
	}
	sort.Strings(roles)
	return strings.Join(roles, ",")
}

// humanAge mimics the AGE column format of kubectl.
func humanAge(d time.Duration) string {
	switch s := int(d.Seconds()); {
	case s < 0:
		return "0s"
	case s < 120:
		return fmt.Sprintf("%ds", s)
	case d < 10*time.Minute:
		return fmt.Sprintf("%dm%ds", s/60, s%60)
	case d < 3*time.Hour:
		return fmt.Sprintf("%dm", s/60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", s/3600)
	default:
		return fmt.Sprintf("%dd", s/86400)
	}
}

// nodeTable renders records as a meta.k8s.io/v1 Table.
func nodeTable(recs []record, rv int64, includeObject string) map[string]any {
	col := func(name, typ, format, desc string, prio int) map[string]any {
		return map[string]any{"name": name, "type": typ, "format": format, "description": desc, "priority": prio}
	}
	cols := []any{
		col("Name", "string", "name", "Name must be unique within a namespace.", 0),
		col("Status", "string", "", "The status of the node", 0),
		col("Roles", "string", "", "The roles of the node", 0),
		col("Age", "string", "", "CreationTimestamp is a timestamp.", 0),
		col("Version", "string", "", "Kubelet Version reported by the node.", 0),
		col("Internal-IP", "string", "", "List of addresses reachable to the node.", 1),
		col("External-IP", "string", "", "List of addresses reachable to the node.", 1),
		col("OS-Image", "string", "", "OS Image reported by the node.", 1),
		col("Kernel-Version", "string", "", "Kernel Version reported by the node.", 1),
		col("Container-Runtime", "string", "", "Container Runtime Version reported by the node.", 1),
	}
	rows := []any{}
	for _, r := range recs {
		rows = append(rows, map[string]any{
			"cells": []any{r.Name, nodeStatusText(r), nodeRoles(r), humanAge(time.Since(r.Created)), r.Version,
				r.IP, "<none>", "Debian GNU/Linux 12 (bookworm)", "6.6.51+rpt-rpi-v8", "containerd://1.7.23-k3s2"},
			"object": rowObject(r, includeObject),
		})
	}
	return map[string]any{"kind": "Table", "apiVersion": "meta.k8s.io/v1",
		"metadata": map[string]any{"resourceVersion": strconv.FormatInt(rv, 10)}, "columnDefinitions": cols, "rows": rows}
}

func rowObject(r record, includeObject string) any {
	obj := renderNode(r)
	switch includeObject {
	case "None":
		return nil
	case "Object":
		return obj
	}
	return map[string]any{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}
}
