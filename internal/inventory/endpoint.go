package inventory

import (
	"net"
	"strings"
)

// Endpoint splits the API endpoint into host and port (default 6443): the
// inventory's api_endpoint when set (a load balancer or virtual IP), else
// the first server's address; "" when there is neither.
func (inv *Inventory) Endpoint() (host, port string) {
	ep := inv.Cluster.APIEndpoint
	if ep == "" {
		s := inv.Servers()
		if len(s) == 0 {
			return "", ""
		}
		ep = s[0].Address
	}
	if h, p, err := net.SplitHostPort(ep); err == nil {
		return h, p
	}
	return strings.Trim(ep, "[]"), "6443"
}

// ServerURL is where nodes join and clients connect: https://Endpoint.
func (inv *Inventory) ServerURL() string {
	host, port := inv.Endpoint()
	return "https://" + net.JoinHostPort(host, port)
}
