package inventory

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// The syntax of these k3s settings is fixed by k3s's flags (k3s-io/k3s,
// pkg/cli/cmds/server.go and agent.go): cluster-cidr, service-cidr,
// cluster-dns, node-ip and node-external-ip are string slices (a list, or
// values joined by commas for dual-stack); advertise-address and bind-address
// one IP; service-node-port-range "low-high"; flannel-backend one of
// 'none', 'vxlan', 'host-gw', 'wireguard-native'.
var k3sValueChecks = map[string]func(string) string{
	"cluster-cidr":            checkCIDR,
	"service-cidr":            checkCIDR,
	"cluster-dns":             checkIP,
	"node-ip":                 checkIP,
	"node-external-ip":        checkIP,
	"advertise-address":       checkIP,
	"bind-address":            checkIP,
	"cluster-domain":          checkDomain,
	"service-node-port-range": checkPortRange,
	"flannel-backend":         checkFlannelBackend,
}

// singleValued are the checked keys that take one value, not a list.
var singleValued = map[string]bool{
	"advertise-address": true, "bind-address": true, "cluster-domain": true,
	"service-node-port-range": true, "flannel-backend": true,
}

func checkCIDR(s string) string {
	if _, err := netip.ParsePrefix(s); err != nil {
		return fmt.Sprintf("%q is not a network in CIDR form, like 10.42.0.0/16 or fd00:42::/56 (join two with a comma for dual-stack)", s)
	}
	return ""
}

func checkIP(s string) string {
	if _, err := netip.ParseAddr(s); err != nil {
		return fmt.Sprintf("%q is not an IP address, like 192.168.1.10 or fd00::10", s)
	}
	return ""
}

func checkDomain(s string) string {
	if msg := checkDNSName(s); msg != "" || s == "" {
		return fmt.Sprintf("%q is not a DNS domain like cluster.local", s)
	}
	return ""
}

// checkPortRange accepts "low-high" or "base+size", as Kubernetes' PortRange does.
func checkPortRange(s string) string {
	bad := fmt.Sprintf("%q is not a port range like 30000-32767", s)
	lowText, highText, ok := strings.Cut(s, "-")
	plus := false
	if !ok {
		lowText, highText, ok = strings.Cut(s, "+")
		plus = true
	}
	low, err1 := strconv.Atoi(lowText)
	high, err2 := strconv.Atoi(highText)
	if !ok || err1 != nil || err2 != nil {
		return bad
	}
	if plus {
		high = low + high
	}
	if low < 1 || high > 65535 || low > high {
		return bad + " (ports 1-65535, the first not above the last)"
	}
	return ""
}

func checkFlannelBackend(s string) string {
	switch s {
	case "none", "vxlan", "host-gw", "wireguard-native":
		return ""
	}
	return fmt.Sprintf("%q is not a flannel backend; use vxlan (the default), host-gw, wireguard-native or none", s)
}
