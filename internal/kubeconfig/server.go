package kubeconfig

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// DefaultPort is the port of the Kubernetes API on a k3s server.
const DefaultPort = "6443"

// ServerURL turns what an inventory says about the API endpoint into the https
// URL a kubeconfig wants: "10.0.0.5" and "10.0.0.5:6443" become
// "https://10.0.0.5:6443", "fd00::5" and "[fd00::5]" become
// "https://[fd00::5]:6443", and a full https URL is kept as given (without a
// trailing slash).
func ServerURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("empty API server address")
	}
	if strings.Contains(s, "://") {
		return fullURL(s)
	}
	host, port := s, DefaultPort
	if ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); ip != nil {
		host = ip.String()
	} else if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	}
	if err := checkHostPort(host, port); err != nil {
		return "", fmt.Errorf("API server address %q: %w", s, err)
	}
	return "https://" + net.JoinHostPort(host, port), nil
}

// fullURL checks a URL given in full.
func fullURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("API server address %q: %w", s, err)
	}
	if u.Scheme != "https" {
		return "", fmt.Errorf("API server address %q: scheme %q, want https", s, u.Scheme)
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	if err := checkHostPort(u.Hostname(), port); err != nil {
		return "", fmt.Errorf("API server address %q: %w", s, err)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("API server address %q: only scheme, host, port and path are allowed", s)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// checkHostPort rejects empty or malformed hosts and ports outside 1-65535.
func checkHostPort(host, port string) error {
	if host == "" {
		return fmt.Errorf("no host")
	}
	if net.ParseIP(host) == nil && !isHostName(host) {
		return fmt.Errorf("%q is neither an IP address nor a host name", host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return nil
}

// isHostName reports whether s is made only of the characters of DNS names.
func isHostName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return s != ""
}
