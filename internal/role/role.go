// Package role names the role of a k3s node: server or agent.
package role

// Role is a k3s node's role; "" where none is known (no k3s unit installed).
type Role string

// The two roles, as k3s names them (`k3s server`, `k3s agent`).
const (
	Server Role = "server"
	Agent  Role = "agent"
)

// Unit is the systemd unit k3s's installer writes for the role.
func (r Role) Unit() string {
	if r == Server {
		return "k3s"
	}
	return "k3s-agent"
}
