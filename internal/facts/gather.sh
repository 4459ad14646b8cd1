# shellcheck shell=sh
# k3sup-pi facts: print what k3sup-pi needs to know about this host as key=value lines.
#
# POSIX sh (dash, busybox ash, bash). Meant to run as root through sudo; as an ordinary
# user it still works and reports privileged=0 (root-only files are then not hashed).
# A missing tool leaves its field empty: it never stops the script.
#
# Output: a `k3sup_pi_facts=1` header, one key=value line per fact, an `end=ok` trailer.
# Keys ending in `_hex` carry arbitrary bytes (cmdline.txt, the device-tree model,
# os-release PRETTY_NAME) as lower-case hex, two digits per byte (od -An -v -tx1);
# other values are single-line text (any CR or LF removed), integers or 0/1 booleans.
#
# $1, when given, is a directory to read every file below (tests use a fake root).
# Everything runs inside main with stdin from /dev/null, so the script can be fed on
# stdin (`sh -s`) without a command swallowing the rest of it.

main() {
	R=${1:-}
	nl='
'
	cr=$(printf '\r')
	echo 'k3sup_pi_facts=1'
	identity
	osinfo
	bootinfo
	k3sinfo
	diskinfo
	put unix_time "$(date +%s 2>/dev/null)"
	put boot_id "$(cat "$R/run/k3sup-pi/boot-id" 2>/dev/null)"
	put kernel_boot_id "$(cat "$R/proc/sys/kernel/random/boot_id" 2>/dev/null)"
	echo 'end=ok'
}

# put KEY VALUE: one line, with CR and LF stripped from the value.
put() {
	case $2 in
	*"$nl"* | *"$cr"*) set -- "$1" "$(printf '%s' "$2" | tr -d '\r\n')" ;;
	esac
	printf '%s=%s\n' "$1" "$2"
}

# puthex KEY FILE: the file's bytes as hex; empty when unreadable.
puthex() {
	printf '%s=' "$1"
	if [ -r "$2" ]; then od -An -v -tx1 <"$2" 2>/dev/null | tr -d ' \n'; fi
	echo
}

# bool CMD...: 1 when CMD succeeds, else 0; CMD's output is discarded.
bool() { if "$@" >/dev/null 2>&1; then echo 1; else echo 0; fi; }

identity() {
	uid=$(id -u 2>/dev/null)
	priv=0
	[ "$uid" = 0 ] && priv=1
	if [ "$priv" = 1 ] && [ -n "${SUDO_USER:-}" ] && [ -n "${SUDO_UID:-}" ]; then
		user=$SUDO_USER
		isroot=$(bool [ "$SUDO_UID" = 0 ])
	else
		user=$(id -un 2>/dev/null || echo "${USER:-${LOGNAME:-}}")
		isroot=$priv
	fi
	nopass=$isroot
	if [ "$isroot" = 0 ] && command -v sudo >/dev/null 2>&1; then
		# -k ignores cached credentials: only a NOPASSWD rule passes.
		if [ "$priv" = 1 ]; then
			nopass=$(bool sudo -n -u "$user" sudo -n -k true)
		else
			nopass=$(bool sudo -n -k true)
		fi
	fi
	put user "$user"
	put is_root "$isroot"
	put sudo_nopass "$nopass"
	put privileged "$priv"
}

osinfo() {
	put arch "$(uname -m 2>/dev/null)"
	put kernel_release "$(uname -r 2>/dev/null)"
	osid='' osver='' pretty=''
	osr=$R/etc/os-release
	[ -r "$osr" ] || osr=$R/usr/lib/os-release
	# Read, never source: os-release is data here.
	if [ -r "$osr" ]; then
		while IFS= read -r line || [ -n "$line" ]; do
			case $line in
			ID=*) osid=$(unquote "${line#ID=}") ;;
			VERSION_ID=*) osver=$(unquote "${line#VERSION_ID=}") ;;
			PRETTY_NAME=*) pretty=$(unquote "${line#PRETTY_NAME=}") ;;
			esac
		done <"$osr"
	fi
	put os_id "$osid"
	put os_version_id "$osver"
	printf 'os_pretty_hex='
	printf '%s' "$pretty" | od -An -v -tx1 2>/dev/null | tr -d ' \n'
	echo
	puthex model_hex "$R/proc/device-tree/model"
	put mem_total_kb "$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\).*/\1/p' "$R/proc/meminfo" 2>/dev/null)"
	put hostname "$(cat "$R/proc/sys/kernel/hostname" 2>/dev/null || hostname 2>/dev/null)"
	init=other
	if [ -d "$R/run/systemd/system" ]; then
		init=systemd
	elif [ -d "$R/run/openrc" ]; then
		init=openrc
	fi
	put init_system "$init"
}

# unquote VALUE: an os-release value without its surrounding quotes.
unquote() {
	v=$1
	case $v in
	\"*\") v=${v#\"} v=${v%\"} ;;
	\'*\') v=${v#\'} v=${v%\'} ;;
	esac
	printf '%s' "$v"
}

# version_at_least VERSION MAJOR MINOR: VERSION (like 25.10) >= MAJOR.MINOR.
version_at_least() {
	maj=${1%%.*}
	min=${1#"$maj"}
	min=${min#.}
	min=${min%%.*}
	case $maj in '' | *[!0-9]*) return 1 ;; esac
	case $min in '') min=0 ;; *[!0-9]*) return 1 ;; esac
	[ "$maj" -gt "$2" ] || { [ "$maj" -eq "$2" ] && [ "$min" -ge "$3" ]; }
}

# mountof PATH: "MOUNTPOINT FSTYPE" of the file system PATH lies on, from
# /proc/mounts (the longest mount point that holds it; the last one mounted
# there wins); nothing when /proc/mounts is unreadable.
mountof() {
	[ -r "$R/proc/mounts" ] || return 0
	best='' btype=''
	while read -r _dev mp fstype _rest; do
		case $mp in
		/) ;;
		*) case $1 in "$mp"/*) ;; *) continue ;; esac ;;
		esac
		if [ "${#mp}" -ge "${#best}" ]; then best=$mp btype=$fstype; fi
	done <"$R/proc/mounts"
	[ -z "$best" ] || printf '%s %s' "$best" "$btype"
}

# cmdlinerecord: what k3sup-pi recorded when it last wrote cmdline.txt.
cmdlinerecord() {
	rpath='' rsum='' radded=''
	rec=$R/var/lib/k3sup-pi/cmdline.record
	if [ -r "$rec" ]; then
		while IFS= read -r line || [ -n "$line" ]; do
			case $line in
			path=*) rpath=${line#path=} ;;
			sha256=*) rsum=${line#sha256=} ;;
			added=*) radded=${line#added=} ;;
			esac
		done <"$rec"
	fi
	put cmdline_record_path "$rpath"
	put cmdline_record_sha256 "$rsum"
	put cmdline_record_added "$radded"
}

# bootcands: where cmdline.txt may live, most likely first (the one place
# k3sup-pi keeps this order): Ubuntu 25.10 and newer in the A/B "current"
# directory; Raspberry Pi OS and Debian before 12 (Bullseye) in /boot;
# Bookworm and newer, older Ubuntu and unknown systems in /boot/firmware.
bootcands() {
	if [ "$osid" = ubuntu ] && version_at_least "$osver" 25 10; then
		echo '/boot/firmware/current/cmdline.txt /boot/firmware/cmdline.txt /boot/cmdline.txt'
		return
	fi
	case $osid in
	raspbian | debian)
		maj=${osver%%.*}
		case $maj in
		'' | *[!0-9]*) ;;
		*) if [ "$maj" -lt 12 ]; then echo '/boot/cmdline.txt /boot/firmware/cmdline.txt' && return; fi ;;
		esac
		;;
	esac
	echo '/boot/firmware/cmdline.txt /boot/cmdline.txt'
}

bootinfo() {
	cands=$(bootcands)
	# Where the boot partition belongs: the first candidate's directory (the
	# A/B "current" directory lies inside it).
	bd=${cands%% *}
	bd=${bd%/cmdline.txt}
	put boot_dir "${bd%/current}"
	# The first candidate on a mounted boot partition; else the first that
	# exists (on the root file system: preflight says the partition is not mounted).
	cl='' first=''
	for c in $cands; do
		[ -f "$R$c" ] || continue
		[ -n "$first" ] || first=$c
		case $(mountof "$c") in
		"/ "*) ;;
		*) cl=$c && break ;;
		esac
	done
	[ -n "$cl" ] || cl=$first
	put cmdline_path "$cl"
	m=''
	[ -z "$cl" ] || m=$(mountof "$cl")
	put cmdline_mount "${m% *}"
	put cmdline_fstype "${m##* }"
	if [ -n "$cl" ]; then
		puthex cmdline_hex "$R$cl"
		put cmdline_bak "$(bool [ -e "$R$cl.k3sup-pi.bak" ])"
		puthex cmdline_bak_hex "$R$cl.k3sup-pi.bak"
	else
		put cmdline_hex ''
		put cmdline_bak 0
		put cmdline_bak_hex ''
	fi
	cmdlinerecord
	puthex proc_cmdline_hex "$R/proc/cmdline"
	ctl=$R/sys/fs/cgroup/cgroup.controllers
	if [ -f "$ctl" ]; then
		put cgroup_v2 1
		case " $(cat "$ctl" 2>/dev/null) " in
		*" memory "*) put memory_cgroup 1 ;;
		*) put memory_cgroup 0 ;;
		esac
	else
		put cgroup_v2 0
		# shellcheck disable=SC2016 # $1 and $4 are awk's fields
		put memory_cgroup "$(bool awk '$1 == "memory" && $4 == 1 { f = 1 } END { exit !f }' "$R/proc/cgroups")"
	fi
}

# sha256 FILE: the hex digest, empty when unreadable or without sha256sum.
sha256() {
	[ -r "$1" ] && sha256sum <"$1" 2>/dev/null | sed 's/[^0-9a-f].*//'
}

# exe_stale PID: 1 when process PID runs a binary that is gone from disk: its
# /proc/PID/exe reads "... (deleted)". Uploads and the installer replace
# /usr/local/bin/k3s with mv, so a k3s started before that runs a deleted file.
# Real k3s execs into its data dir (k3s-io/k3s cmd/k3s/main.go, stageAndRun), so
# there the running version is compared through the API instead. 0 when it cannot tell.
exe_stale() {
	case $1 in '' | 0 | *[!0-9]*) echo 0 && return ;; esac
	case $(readlink "$R/proc/$1/exe" 2>/dev/null) in
	*" (deleted)") echo 1 ;;
	*) echo 0 ;;
	esac
}

k3sinfo() {
	bin=$R/usr/local/bin/k3s
	if [ -x "$bin" ]; then
		put k3s_version "$("$bin" --version 2>/dev/null | awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^v[0-9]/) { print $i; exit } }')"
		put k3s_bin_hash "$(sha256 "$bin")"
	else
		put k3s_version ''
		put k3s_bin_hash ''
	fi
	role='' unit=''
	if [ -e "$R/etc/systemd/system/k3s.service" ] || [ -e "$R/etc/init.d/k3s" ]; then
		role=server unit=k3s
	elif [ -e "$R/etc/systemd/system/k3s-agent.service" ] || [ -e "$R/etc/init.d/k3s-agent" ]; then
		role=agent unit=k3s-agent
	fi
	active=0 started='' stale=0
	if [ -n "$unit" ] && [ "$init" = systemd ]; then
		active=$(bool systemctl is-active --quiet "$unit")
		started=$(systemctl show -p ActiveEnterTimestampMonotonic "$unit" 2>/dev/null | sed -n 's/^ActiveEnterTimestampMonotonic=//p')
		pid=$(systemctl show -p MainPID "$unit" 2>/dev/null | sed -n 's/^MainPID=//p')
		[ "$active" = 1 ] && stale=$(exe_stale "$pid")
	elif [ -n "$unit" ] && [ "$init" = openrc ]; then
		active=$(bool rc-service "$unit" status)
	fi
	put k3s_role "$role"
	put service_active "$active"
	put service_started "$started"
	put k3s_stale "$stale"
	conf=$R/etc/rancher/k3s/config.yaml
	put config_present "$(bool [ -e "$conf" ])"
	put config_hash "$(sha256 "$conf")"
}

# existing PATH: PATH or its nearest existing parent (below $R).
existing() {
	d=$1
	while [ -n "$d" ] && [ ! -e "$R$d" ]; do d=${d%/*}; done
	printf '%s' "$R${d:-/}"
}

# dfcol PATH N: column N of `df -Pk` for PATH's file system.
dfcol() {
	df -Pk "$1" 2>/dev/null | awk -v n="$2" 'NR == 2 { print $n }'
}

diskinfo() {
	src=$(dfcol "$(existing /var/lib/rancher)" 1)
	if [ "$src" = /dev/root ]; then
		real=$(readlink -f /dev/root 2>/dev/null)
		[ -n "$real" ] && src=$real
	fi
	put data_dir_source "$src"
	put free_var_lib_kb "$(dfcol "$(existing /var/lib)" 4)"
	put free_bin_kb "$(dfcol "$(existing /usr/local/bin)" 4)"
}

main "$@" </dev/null
