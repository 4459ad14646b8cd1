#!/usr/bin/env bash
# make demo: a local fleet of 4 Pi-like hosts (Docker containers with systemd,
# sshd and a Raspberry Pi OS cmdline.txt), `k3sup-pi up` on it, then the real
# kubectl lists the nodes. k3s itself is the project's stand-in (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-4}
echo "==> starting a $n-host demo fleet (first run builds the host image, about a minute)" >&2
inv=$(go run ./e2e/cmd/demo -name demo -n "$n" | tail -n 1)
echo "==> inventory: $inv" >&2
bin/k3sup-pi up -i "$inv" --dry-run
bin/k3sup-pi up -i "$inv"
kc=$(dirname "$inv")/kubeconfig
echo "==> kubectl --kubeconfig $kc get nodes -o wide" >&2
kubectl --kubeconfig "$kc" get nodes -o wide
echo "==> run it again: nothing changes" >&2
bin/k3sup-pi up -i "$inv"
echo "==> done; remove the fleet with: make fleet-down" >&2
