package steps

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/fleet"
	"github.com/k3sup-pi/k3sup-pi/internal/fleettest"
	"github.com/k3sup-pi/k3sup-pi/internal/inventory"
	"github.com/k3sup-pi/k3sup-pi/internal/remote"
	"github.com/k3sup-pi/k3sup-pi/internal/role"
)

// TestConnectSkipping: `up` leaves out an agent that does not answer at all
// and goes on with the others; a server that does not answer, and any host
// whose key or login is refused, stop the run (the latter as a refusal:
// nothing was changed).
func TestConnectSkipping(t *testing.T) {
	noRoute := func(addr string) error {
		return fmt.Errorf("%s: connect %s:22: %w", addr, addr, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.EHOSTUNREACH})
	}
	silent := func(addr string) error {
		return fmt.Errorf("ssh handshake with %s:22: %w", addr, context.DeadlineExceeded)
	}
	changed := func(addr string) error { return &remote.HostKeyError{Kind: remote.HostKeyChanged, Host: addr} }
	tests := []struct {
		name     string
		fail     map[string]func(string) error // by address
		wantUp   []string
		wantDown []string
		wantErr  string
		refused  bool
	}{
		{"all answer", nil, []string{"srv", "a1", "a2"}, nil, "", false},
		{"an agent powered off", map[string]func(string) error{"10.0.0.3": noRoute}, []string{"srv", "a1"}, []string{"a2"}, "", false},
		{"an agent that never finishes the handshake", map[string]func(string) error{"10.0.0.2": silent}, []string{"srv", "a2"}, []string{"a1"}, "", false},
		{"the server powered off", map[string]func(string) error{"10.0.0.1": noRoute}, nil, nil, "10.0.0.1: connect 10.0.0.1:22: dial tcp: no route to host", false},
		{"an agent's host key changed", map[string]func(string) error{"10.0.0.2": changed}, nil, nil, "host key for 10.0.0.2 CHANGED", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hosts := []inventory.Host{
				{Address: "10.0.0.1", Hostname: "srv", Role: role.Server},
				{Address: "10.0.0.2", Hostname: "a1", Role: role.Agent},
				{Address: "10.0.0.3", Hostname: "a2", Role: role.Agent},
			}
			f := fleettest.New(t)
			for _, h := range hosts {
				f.Add(h.Address, fleettest.Fixture(t, "pi4-bookworm-arm64.txt"))
			}
			dial := func(ctx context.Context, h inventory.Host) (fleet.Conn, error) {
				if fail := tt.fail[h.Address]; fail != nil {
					return nil, fail(h.Address)
				}
				return f.Dial(ctx, h.Address)
			}
			nodes, down, err := connectSkipping(context.Background(), hosts, dial, 3, agentUnreachable)
			if tt.wantErr != "" {
				var ref *RefusedError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.As(err, &ref) != tt.refused {
					t.Fatalf("err = %v, want one containing %q (refused %v)", err, tt.wantErr, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var gotUp, gotDown []string
			for _, n := range nodes {
				gotUp = append(gotUp, n.Host.Name())
			}
			for _, d := range down {
				gotDown = append(gotDown, d.Host.Name())
				if d.Err == nil {
					t.Errorf("%s left out without a reason", d.Host.Name())
				}
			}
			if fmt.Sprint(gotUp) != fmt.Sprint(tt.wantUp) || fmt.Sprint(gotDown) != fmt.Sprint(tt.wantDown) {
				t.Errorf("reached %v, left out %v; want %v and %v", gotUp, gotDown, tt.wantUp, tt.wantDown)
			}
		})
	}
}

func TestDownError(t *testing.T) {
	err := &DownError{Hosts: []fleet.HostDown{{Host: inventory.Host{Address: "10.0.0.3", Hostname: "a2", Role: role.Agent},
		Err: errors.New("10.0.0.3: connect 10.0.0.3:22: dial tcp 10.0.0.3:22: connect: no route to host")}}}
	want := "1 of the inventory's hosts could not be reached and were left out (the others finished):\n" +
		"  a2: not reached: 10.0.0.3: connect 10.0.0.3:22: dial tcp 10.0.0.3:22: connect: no route to host\n" +
		"  check that they are powered on and on the network, then run `up` again: it finishes them and changes nothing else"
	if err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err, want)
	}
}
