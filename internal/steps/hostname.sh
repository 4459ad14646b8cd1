# shellcheck shell=sh
# k3sup-pi hostname: rename the host the way systemd does, and keep /etc/hosts
# resolving the new name on 127.0.1.1 as Raspberry Pi OS and Ubuntu expect.
# Arguments: the new hostname; a root directory for tests (default /).
set -e
name=$1
R=${2:-}
if ! hostnamectl set-hostname "$name" 2>/dev/null; then
	hostname "$name"
	printf '%s\n' "$name" >"$R/etc/hostname"
fi
if grep -q '^127\.0\.1\.1[[:space:]]' "$R/etc/hosts"; then
	sed -i "s/^127\.0\.1\.1[[:space:]].*/127.0.1.1\t$name/" "$R/etc/hosts"
else
	printf '127.0.1.1\t%s\n' "$name" >>"$R/etc/hosts"
fi
