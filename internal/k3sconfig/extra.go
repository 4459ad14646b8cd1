package k3sconfig

import (
	"fmt"
	"strings"

	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// reserved keys are owned by the typed fields of Node; Extra may never set them.
var reserved = map[string]bool{"token": true, "server": true, "cluster-init": true}

// byKubectl keys are applied through kubectl, never through config.yaml (see the
// package documentation).
var byKubectl = map[string]bool{"node-label": true, "node-taint": true}

// serverOnly lists the k3s flags an agent does not accept (k3s server --help
// minus k3s agent --help); serverOnlyPrefixes covers the flag families.
var serverOnly = map[string]bool{
	"tls-san": true, "tls-san-security": true, "cluster-init": true, "cluster-reset": true,
	"datastore-endpoint": true, "disable": true, "disable-scheduler": true,
	"disable-cloud-controller": true, "disable-kube-proxy": true, "disable-network-policy": true,
	"disable-helm-controller": true, "disable-apiserver": true, "disable-controller-manager": true,
	"disable-etcd": true, "flannel-backend": true, "flannel-ipv6-masq": true,
	"flannel-external-ip": true, "service-cidr": true, "service-node-port-range": true,
	"egress-selector-mode": true, "servicelb-namespace": true, "write-kubeconfig": true,
	"write-kubeconfig-mode": true, "write-kubeconfig-group": true, "agent-token": true,
	"agent-token-file": true, "advertise-address": true, "advertise-port": true,
	"https-listen-port": true, "bind-address": true, "default-local-storage-path": true,
	"embedded-registry": true, "supervisor-metrics": true, "helm-job-image": true,
	"kube-apiserver-arg": true, "kube-scheduler-arg": true, "kube-controller-manager-arg": true,
	"kube-cloud-controller-manager-arg": true, "system-default-registry": true,
}

var serverOnlyPrefixes = []string{"cluster-", "datastore-", "etcd-", "secrets-encryption"}

// ServerOnly reports whether key is a k3s server flag that an agent's config
// may not carry. The inventory checks agent_config with it when it is loaded.
func ServerOnly(key string) bool { return isServerOnly(key) }

// isServerOnly reports whether an agent's config may not carry key.
func isServerOnly(key string) bool {
	if serverOnly[key] {
		return true
	}
	for _, p := range serverOnlyPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// checkExtra validates one Extra entry against the role and the keys already set.
func checkExtra(n Node, m map[string]any, key string, v any) error {
	switch {
	case key == "" || strings.HasPrefix(key, "-"):
		return fmt.Errorf("extra key %q: give the flag name without leading dashes", key)
	case reserved[key]:
		return fmt.Errorf("extra key %q is managed by k3sup-pi and may not be overridden", key)
	case byKubectl[key]:
		return fmt.Errorf("extra key %q: labels and taints are applied through kubectl, set them on the host in the inventory", key)
	case n.Role == role.Agent && isServerOnly(key):
		return fmt.Errorf("extra key %q is a server-only setting and cannot go to an agent", key)
	}
	if _, dup := m[key]; dup {
		return fmt.Errorf("extra key %q is already set by the inventory", key)
	}
	if err := checkValue(v); err != nil {
		return fmt.Errorf("extra key %q: %w", key, err)
	}
	return nil
}

// checkValue accepts what a k3s flag can take: a scalar, or a list of scalars
// (repeatable flags such as kubelet-arg).
func checkValue(v any) error {
	if list, ok := v.([]string); ok {
		if len(list) == 0 {
			return fmt.Errorf("empty list")
		}
		return nil
	}
	if list, ok := v.([]any); ok {
		if len(list) == 0 {
			return fmt.Errorf("empty list")
		}
		for _, item := range list {
			if !isScalar(item) {
				return fmt.Errorf("list item of type %T: want a string, number or bool", item)
			}
		}
		return nil
	}
	if !isScalar(v) {
		return fmt.Errorf("value of type %T: want a string, number, bool or a list of them", v)
	}
	return nil
}

// isScalar reports whether v is a string, bool or number.
func isScalar(v any) bool {
	switch v.(type) {
	case string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return true
	}
	return false
}
