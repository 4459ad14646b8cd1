# shellcheck shell=sh
# k3sup-pi vxlan: make sure the kernel has the vxlan module, installing
# linux-modules-extra-raspi when it lacks it; prints "installed" when it did.
# apt's output goes to a private mktemp file (never a fixed name in /tmp,
# where anyone could plant a symlink for root to write through), removed on
# exit. No arguments.
modinfo vxlan >/dev/null 2>&1 && exit 0
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q linux-modules-extra-raspi >"$log" 2>&1; then
	tail -n 3 "$log" >&2
	echo "could not install linux-modules-extra-raspi (offline?); install it by hand: apt-get install linux-modules-extra-raspi" >&2
	exit 1
fi
modprobe vxlan 2>/dev/null || true
echo installed
