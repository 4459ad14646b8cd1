package remote

import (
	"fmt"
	"strings"
	"testing"

	"github.com/k3sup-pi/k3sup-pi/internal/remote/sshtest"
)

func TestProxyJump(t *testing.T) {
	e := newEnv(t)
	bastion := e.server(sshtest.Config{})
	node := e.server(sshtest.Config{})
	o := e.opts()
	o.AcceptNewHostKeys = true
	tg := target(node)
	tg.ProxyJump = fmt.Sprintf("jumper@%s:%d", bastion.Host(), bastion.Port())
	c := e.dial(tg, o)
	res, err := c.Run(ctxT(t), Cmd{Script: "echo via-bastion"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(res.Stdout)) != "via-bastion" {
		t.Errorf("stdout %q", res.Stdout)
	}
	if f := bastion.Forwards(); len(f) != 1 || f[0] != node.Addr() {
		t.Errorf("bastion forwards %v, want [%s]", f, node.Addr())
	}
	if u := bastion.Users(); len(u) != 1 || u[0] != "jumper" {
		t.Errorf("bastion users %v", u)
	}
	known := e.readKnown()
	mustContain(t, known, fmt.Sprintf("[%s]:%d ", bastion.Host(), bastion.Port()), fmt.Sprintf("[%s]:%d ", node.Host(), node.Port()))
}

func TestProxyJumpUnknownBastionRefused(t *testing.T) {
	e := newEnv(t)
	bastion := e.server(sshtest.Config{})
	node := e.server(sshtest.Config{})
	e.trust(node)
	tg := target(node)
	tg.ProxyJump = bastion.Addr()
	_, err := Dial(ctxT(t), tg, e.opts())
	if err == nil || !IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent host key error", err)
	}
	mustContain(t, err.Error(), "via jump host", "unknown")
	if len(bastion.Forwards()) != 0 {
		t.Error("forwarded through an unverified bastion")
	}
}
