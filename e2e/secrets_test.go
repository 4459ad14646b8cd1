//go:build e2e

package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
)

// TestUpAsAdminLeaksNoSecret runs `up` as the fleet's admin user, whose sudo
// asks for a password, while a watcher samples every host's process list; the
// cluster token, the node-token and the sudo password must never show up in
// argv, in the hosts' journals (sshd, sudo, k3s) or in k3sup-pi's own output.
func TestUpAsAdminLeaksNoSecret(t *testing.T) {
	f := startFleet(t, "secrets", 2, true)
	const token = "e2e-cluster-token-4f9a1c7d2b"
	hosts := specs(f.Hosts, []string{"sec-1", "sec-2"})
	inv := inventory(f, onlineInstall(f)+"token: "+token+"\n", hosts)
	inv = strings.Replace(inv, "ssh:\n  user: pi\n", "ssh:\n  user: admin\n", 1)
	path := writeFile(t, "inventory.yml", inv)

	w := watchProcesses(t, f)
	r := tool(t, []string{"K3SUP_PI_SUDO_PASSWORD=" + f.AdminSudoPassword}, "up", "-i", path)
	samples := w.stop()
	if r.code != 0 {
		t.Fatalf("up as admin: exit %d\n%s", r.code, r.stderr)
	}
	if w.count() < 10 {
		t.Fatalf("the watcher took only %d samples; it proves nothing", w.count())
	}
	nodeToken := hostExec(t, f, f.Hosts[0], "cat /var/lib/rancher/k3s/server/node-token")
	secret := nodeToken[strings.LastIndex(nodeToken, ":")+1:]
	logs := r.stdout + r.stderr
	for _, h := range f.Hosts {
		logs += hostExec(t, f, h, "journalctl --no-pager -o cat 2>/dev/null; cat /var/log/auth.log 2>/dev/null; true")
	}
	for name, s := range map[string]string{"cluster token": token, "node-token secret": secret, "sudo password": f.AdminSudoPassword} {
		if strings.Contains(samples, s) {
			t.Errorf("the %s appeared in a host's process list", name)
		}
		if strings.Contains(logs, s) {
			t.Errorf("the %s appeared in a log or in k3sup-pi's output", name)
		}
	}
	t.Logf("watcher: %d process-list samples over %s", w.count(), r.took.Round(time.Second))
}

// watcher samples `ps -eo args` on every host until stopped.
type watcher struct {
	mu      sync.Mutex
	buf     strings.Builder
	n       int
	cancel  context.CancelFunc
	stopped sync.WaitGroup
}

func watchProcesses(t *testing.T, f *fleet.Fleet) *watcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{cancel: cancel}
	for _, h := range f.Hosts {
		w.stopped.Add(1)
		go func() {
			defer w.stopped.Done()
			tick := time.NewTicker(150 * time.Millisecond)
			defer tick.Stop()
			for {
				if out, err := f.Exec(ctx, h, "ps -eo args"); err == nil {
					w.mu.Lock()
					w.buf.WriteString(out)
					w.n++
					w.mu.Unlock()
				}
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}()
	}
	t.Cleanup(cancel)
	return w
}

func (w *watcher) stop() string {
	w.cancel()
	w.stopped.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func (w *watcher) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}
