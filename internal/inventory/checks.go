package inventory

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Each check returns "" when the value is fine, else a message that says what
// is wrong and how to fix it. Messages quote the value: never pass a secret.

var (
	dnsLabelRE    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	hostnameRE    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	labelNameRE   = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	subdomainRE   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	versionRE     = regexp.MustCompile(`^v\d+\.\d+\.\d+(-rc\d+)?\+k3s\d+$`)
	channelRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]*$`)
	envNameRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	clusterNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
	allDigitsRE   = regexp.MustCompile(`^[0-9.]+$`)
	semverRE      = regexp.MustCompile(`^v?\d+\.\d+\.\d+$`)
	minorRE       = regexp.MustCompile(`^v?\d+\.\d+$`)
)

// checkAddress accepts an IPv4 or IPv6 address, or a DNS name or ssh_config
// alias made of DNS label characters.
func checkAddress(a string) string {
	if _, err := netip.ParseAddr(a); err == nil {
		return ""
	}
	switch {
	case a == "":
		return "is empty; give an IP address or a host name"
	case strings.Contains(a, "://"):
		return fmt.Sprintf("%q is a URL; give only the host, like 192.168.1.10 or pi-1.local", a)
	case strings.Contains(a, "@"):
		return fmt.Sprintf("%q holds a user; put the user under user: and keep only the host here", a)
	}
	if host, port, err := net.SplitHostPort(a); err == nil {
		return fmt.Sprintf("%q holds a port; write address: %s and port: %s", a, host, port)
	}
	if strings.HasPrefix(a, "[") && strings.HasSuffix(a, "]") {
		return fmt.Sprintf("%q: write an IPv6 address without brackets, like %s", a, a[1:len(a)-1])
	}
	if allDigitsRE.MatchString(a) {
		return fmt.Sprintf("%q is not a valid IPv4 address (four numbers 0-255, like 192.168.1.10)", a)
	}
	if msg := checkDNSName(a); msg != "" {
		return fmt.Sprintf("%q is not an IP address or host name: %s", a, msg)
	}
	return ""
}

func checkDNSName(a string) string {
	if len(a) > 253 {
		return "longer than 253 characters"
	}
	for _, l := range strings.Split(a, ".") {
		if !dnsLabelRE.MatchString(l) {
			return fmt.Sprintf("part %q must be 1-63 letters, digits or '-', not starting or ending with '-'", l)
		}
	}
	return ""
}

// checkHostname accepts an RFC 1123 label in lower case, as Kubernetes node names need.
func checkHostname(h string) string {
	if hostnameRE.MatchString(h) {
		return ""
	}
	if lower := strings.ToLower(h); hostnameRE.MatchString(lower) {
		return fmt.Sprintf("%q has capitals, which Kubernetes node names may not; use %q", h, lower)
	}
	if first, _, ok := strings.Cut(h, "."); ok && hostnameRE.MatchString(first) {
		return fmt.Sprintf("%q is a domain name; a hostname is one label, like %q", h, first)
	}
	return fmt.Sprintf("%q is not a valid hostname; use 1-63 lower-case letters, digits or '-', not starting or ending with '-' (like pi-1)", h)
}

// checkQualifiedName checks a label or taint key: [prefix/]name.
func checkQualifiedName(k string) string {
	prefix, name, hasPrefix := strings.Cut(k, "/")
	if !hasPrefix {
		prefix, name = "", k
	}
	switch {
	case strings.Contains(name, "/"):
		return "may hold one '/' at most (prefix/name)"
	case hasPrefix && (len(prefix) > 253 || !subdomainRE.MatchString(prefix)):
		return fmt.Sprintf("has prefix %q, which must be a lower-case DNS name like example.com", prefix)
	case !labelNameRE.MatchString(name):
		return "must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (optionally after a prefix like example.com/)"
	}
	return ""
}

// checkLabelValue checks a label or taint value; empty is allowed.
func checkLabelValue(v string) string {
	if v == "" || labelNameRE.MatchString(v) {
		return ""
	}
	return "must be empty or 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
}

var taintEffects = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}

// checkTaint checks key[=value]:Effect.
func checkTaint(t string) string {
	const how = "write it as key[=value]:Effect with Effect NoSchedule, PreferNoSchedule or NoExecute"
	i := strings.LastIndex(t, ":")
	if i < 0 {
		return fmt.Sprintf("taint %q has no effect; %s", t, how)
	}
	kv, effect := t[:i], t[i+1:]
	if !validEffect(effect) {
		for _, e := range taintEffects {
			if strings.EqualFold(e, effect) {
				return fmt.Sprintf("taint %q: effect %q is spelled %q", t, effect, e)
			}
		}
		return fmt.Sprintf("taint %q: %q is not an effect; %s", t, effect, how)
	}
	key, val, _ := strings.Cut(kv, "=")
	if msg := checkQualifiedName(key); msg != "" {
		return fmt.Sprintf("taint %q: key %q %s", t, key, msg)
	}
	if msg := checkLabelValue(val); msg != "" {
		return fmt.Sprintf("taint %q: value %q %s", t, val, msg)
	}
	return ""
}

func validEffect(e string) bool {
	for _, x := range taintEffects {
		if x == e {
			return true
		}
	}
	return false
}

// checkVersion checks an exact k3s version like v1.31.4+k3s1.
func checkVersion(v string) string {
	switch {
	case versionRE.MatchString(v):
		return ""
	case versionRE.MatchString("v" + v):
		return fmt.Sprintf("%q needs the leading v: %q", v, "v"+v)
	case semverRE.MatchString(v):
		return fmt.Sprintf("%q lacks the k3s suffix; k3s versions look like %s+k3s1", v, "v"+strings.TrimPrefix(v, "v"))
	case minorRE.MatchString(v):
		return fmt.Sprintf("%q is a minor line, not a version; set channel: v%s instead, or a full version like v%s.4+k3s1",
			v, strings.TrimPrefix(v, "v"), strings.TrimPrefix(v, "v"))
	}
	return fmt.Sprintf("%q is not a k3s version; they look like v1.31.4+k3s1", v)
}

// checkEndpoint checks api_endpoint: host[:port], or an IPv6 address in
// brackets without a port, which the steps read as that address on 6443.
func checkEndpoint(s string) string {
	inner, ok := strings.CutPrefix(s, "[")
	if !ok || !strings.HasSuffix(inner, "]") {
		return checkHostPort(s)
	}
	if ip, err := netip.ParseAddr(strings.TrimSuffix(inner, "]")); err != nil || !ip.Is6() {
		return fmt.Sprintf("%q is not host[:port]: only an IPv6 address goes in brackets, like [fd00::10] or [fd00::10]:6443", s)
	}
	return ""
}

// checkHostPort checks host[:port], as api_endpoint and proxy_jump use it.
func checkHostPort(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = s, ""
	}
	if _, err := netip.ParseAddr(host); err != nil {
		if msg := checkDNSName(host); msg != "" || allDigitsRE.MatchString(host) {
			return fmt.Sprintf("%q is not host[:port] (like 192.168.1.10:6443 or k3s.lan)", s)
		}
	}
	if port != "" {
		return checkPortText(port)
	}
	return ""
}

func checkPortText(p string) string {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("port %q must be a number from 1 to 65535", p)
	}
	return ""
}

// checkURL accepts an absolute http or https URL.
func checkURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an http(s) URL like https://get.k3s.io", s)
	}
	return ""
}

// checkDatastore checks the scheme only, and never quotes the value: it holds a password.
func checkDatastore(s string) string {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "holds a line break or another control character (value not shown: it may hold a password); write it on one line"
	}
	for _, p := range []string{"postgres://", "postgresql://", "mysql://", "http://", "https://", "nats://"} {
		if strings.HasPrefix(s, p) {
			return ""
		}
	}
	return "must start with postgres://, mysql://, https:// (external etcd) or nats:// (value not shown: it may hold a password)"
}

// checkProxyJump checks [user@]host[:port][,...].
func checkProxyJump(s string) string {
	for _, hop := range strings.Split(s, ",") {
		h := hop
		if i := strings.LastIndex(h, "@"); i >= 0 {
			h = h[i+1:]
		}
		if h == "" || strings.ContainsAny(hop, " \t") || checkHostPort(h) != "" {
			return fmt.Sprintf("%q is not [user@]host[:port] (several joined with commas)", hop)
		}
	}
	return ""
}

// checkUser checks an SSH user name.
func checkUser(u string) string {
	if u == "" || strings.ContainsAny(u, " \t\n@:/") {
		return fmt.Sprintf("%q is not a user name; give only the name, like pi", u)
	}
	return ""
}
