# shellcheck shell=sh
# k3sup-pi stage: make the directories k3s and k3sup-pi keep their files in.
# Argument: k3sup-pi's stage directory (root only).
set -e
mkdir -p /etc/rancher/k3s "$1"
chmod 0700 "$1"
