# shellcheck shell=sh
# k3sup-pi journal: what a unit last logged, and its state, after a step timed out.
# Arguments: the unit, the number of journal lines.
journalctl -u "$1" -n "$2" --no-pager -o cat 2>&1
echo "k3sup-pi-state=$(systemctl is-active "$1" 2>&1)"
