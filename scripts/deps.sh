#!/usr/bin/env bash
# Installs what the build, the tests and the e2e fleet need on a fresh machine.
# Safe to run again: each step is skipped when its tool is already there.
set -euo pipefail
need_apt=()
command -v debootstrap >/dev/null || need_apt+=(debootstrap)
command -v kubectl >/dev/null || need_apt+=(kubernetes-client)
command -v ssh >/dev/null || need_apt+=(openssh-client)
command -v shellcheck >/dev/null || need_apt+=(shellcheck)
command -v ssh-keygen >/dev/null || need_apt+=(openssh-client)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "deps: installing ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
gobin=$(go env GOPATH)/bin
if [ ! -x "$gobin/staticcheck" ]; then
  echo "deps: installing staticcheck" >&2
  go install honnef.co/go/tools/cmd/staticcheck@latest
fi
docker info >/dev/null 2>&1 || { echo "deps: the Docker Engine is not reachable (docker info failed)" >&2; exit 1; }
