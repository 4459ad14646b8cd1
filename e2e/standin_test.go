//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/k3sup-pi/k3sup-pi/e2e/fleet"
	"github.com/k3sup-pi/k3sup-pi/e2e/standin"
)

// TestStandinByHand installs the stand-in k3s by hand, as a user following
// the k3s docs would (binary + install.sh, INSTALL_K3S_SKIP_DOWNLOAD=true),
// on 1 server and 2 agents: the real kubectl on the server lists 3 Ready
// nodes, and an agent given a wrong token retries for ever with k3s's log.
func TestStandinByHand(t *testing.T) {
	f := startFleet(t, "standin", 4, false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bundle := t.TempDir()
	if err := standin.Bundle(ctx, bundle, v1); err != nil {
		t.Fatalf("bundle: %v", err)
	}
	for _, h := range f.Hosts {
		for src, dst := range map[string]string{"k3s": "/usr/local/bin/k3s", "install.sh": "/root/install.sh"} {
			if err := f.CopyTo(ctx, h, filepath.Join(bundle, src), dst); err != nil {
				t.Fatal(err)
			}
		}
		hostExec(t, f, h, "chown root:root /usr/local/bin/k3s && chmod 755 /usr/local/bin/k3s")
	}
	server, agents, spare := f.Hosts[0], f.Hosts[1:3], f.Hosts[3]
	install := "INSTALL_K3S_SKIP_DOWNLOAD=true K3S_NODE_NAME=%s %s sh /root/install.sh"
	hostExec(t, f, server, fmt.Sprintf(install, server.Name, "K3S_TOKEN=by-hand INSTALL_K3S_EXEC='server --cluster-init'"))
	tok := hostExec(t, f, server, "cat /var/lib/rancher/k3s/server/node-token")
	if !regexp.MustCompile(`^K10[0-9a-f]{64}::server:by-hand$`).MatchString(tok) {
		t.Fatalf("node-token %q", tok)
	}
	url := "https://" + server.Addr + ":6443"
	for _, a := range agents {
		hostExec(t, f, a, fmt.Sprintf(install, a.Name, "K3S_URL="+url+" K3S_TOKEN="+tok))
		if mode := hostExec(t, f, a, "stat -c %a /etc/systemd/system/k3s-agent.service.env"); mode != "600" {
			t.Errorf("%s: env file mode %s", a.Name, mode)
		}
	}
	kubectl := "kubectl --kubeconfig /etc/rancher/k3s/k3s.yaml "
	hostExec(t, f, server, kubectl+"wait --for=condition=Ready node --all --timeout=60s")
	table := hostExec(t, f, server, kubectl+"get nodes")
	want := regexp.MustCompile(`(?m)^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n(\S+\s+Ready\s+\S+\s+\S+\s+v1\.31\.4\+k3s1\n?){3}$`)
	if !want.MatchString(table) {
		t.Fatalf("kubectl get nodes on the server:\n%s", table)
	}
	if out := hostExec(t, f, server, "k3s kubectl get node "+server.Name+" --no-headers"); !strings.Contains(out, "control-plane,etcd,master") {
		t.Fatalf("k3s kubectl: %s", out)
	}
	wrongToken(t, f, spare, url, strings.TrimSuffix(tok, "by-hand")+"wrong")
}

// wrongToken installs an agent on h with a token whose secret is wrong: like
// k3s, the agent retries for ever and never reports READY, so the installer's
// `systemctl restart` blocks (here until timeout(1) ends it), the unit stays
// activating and the journal says why.
func wrongToken(t *testing.T, f *fleet.Fleet, h *fleet.Host, url, tok string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := f.Exec(ctx, h, fmt.Sprintf("timeout 15 env INSTALL_K3S_SKIP_DOWNLOAD=true K3S_NODE_NAME=%s K3S_URL=%s K3S_TOKEN=%s sh /root/install.sh", h.Name, url, tok))
	if err == nil {
		t.Fatalf("install with a wrong token returned:\n%s", out)
	}
	journal := hostExec(t, f, h, "journalctl -u k3s-agent --no-pager")
	re := regexp.MustCompile(`level=error msg="Failed to validate connection to cluster at ` + regexp.QuoteMeta(url) + `: token is not valid: .*401 Unauthorized"`)
	if len(re.FindAllString(journal, 2)) < 2 {
		t.Fatalf("journal lacks the repeated k3s failure:\n%s", journal)
	}
	if state, _ := f.Exec(ctx, h, "systemctl is-active k3s-agent"); strings.TrimSpace(state) != "activating" {
		t.Fatalf("k3s-agent is %q with a wrong token, want activating (retrying, never ready)", strings.TrimSpace(state))
	}
}
