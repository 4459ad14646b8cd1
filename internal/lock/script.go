package lock

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/k3sup-pi/k3sup-pi/internal/remote"
)

//go:embed lock.sh
var script string

// Runner runs a command on one host; *remote.Client and the steps' Conn
// satisfy it.
type Runner interface {
	Run(ctx context.Context, cmd remote.Cmd) (remote.Result, error)
}

// Host is one host to lock: its name for messages and its connection.
type Host struct {
	Name string
	Conn Runner
}

// reply is what lock.sh printed.
type reply struct {
	status string
	holder Holder // the lease's holder before the call (when it had one)
	left   time.Duration
}

// callTimeout bounds one lock.sh call (it waits at most 20s for the mutex).
const callTimeout = 45 * time.Second

// call runs lock.sh with action on h as root.
func (o *HostOptions) call(ctx context.Context, h Host, action, steal string) (reply, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if steal == "" {
		steal = "-"
	}
	me := o.Holder
	args := []string{action, o.dir(), o.run(), o.proc(), me.ID, secs(o.ttl()), secs(o.Grace + o.ttl()), steal,
		me.Operator, me.Machine, strconv.Itoa(me.PID), me.Command, strconv.FormatInt(me.Started.Unix(), 10)}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = remote.ShellQuote(a)
	}
	res, err := h.Conn.Run(ctx, remote.Cmd{Script: "set -- " + strings.Join(quoted, " ") + "\n" + script, Sudo: true})
	if err != nil {
		return reply{}, fmt.Errorf("lock %s: %w", action, err)
	}
	return parseReply(h.Name, string(res.Stdout))
}

// parseReply reads lock.sh's key=value output.
func parseReply(host, out string) (reply, error) {
	var r reply
	r.holder, _ = decodeHolder(out, "holder.")
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), "=")
		switch key {
		case "status":
			r.status = value
		case "left":
			n, _ := strconv.Atoi(value)
			r.left = time.Duration(n) * time.Second
		}
	}
	if r.status == "" {
		return r, fmt.Errorf("%s: lock script printed no status: %q", host, out)
	}
	return r, nil
}

func secs(d time.Duration) string { return strconv.Itoa(int(d.Round(time.Second) / time.Second)) }
