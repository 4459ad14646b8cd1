# shellcheck shell=sh
# k3sup-pi reset cleanup: in the order of its arguments,
#   run=SCRIPT  run k3s's uninstall script; on failure print the tail of its
#               output and stop
#   rm=PATH     remove PATH (recursively)
#   rmdir=DIR   remove DIR when empty, else print "kept DIR"
set -e
for a; do
	case $a in
	run=*)
		s=${a#run=}
		if ! out=$("$s" 2>&1); then
			printf '%s\n' "$out" | tail -n 20 >&2
			echo "$s failed" >&2
			exit 1
		fi
		;;
	rm=*) rm -rf -- "${a#rm=}" ;;
	rmdir=*)
		d=${a#rmdir=}
		if [ -d "$d" ]; then rmdir "$d" 2>/dev/null || echo "kept $d"; fi
		;;
	*)
		echo "k3sup-pi cleanup: unknown argument $a" >&2
		exit 4
		;;
	esac
done
