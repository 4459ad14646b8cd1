# shellcheck shell=sh
# k3sup-pi reset probe: which k3s files a host has.
# Arguments: path=P (tested for existence) and dir=D (listed) words.
# Prints path=P for each P that exists, and dir=D then entry=D/E for each
# directory D that exists and each of its entries.
for a; do
	case $a in
	path=*)
		p=${a#path=}
		if [ -e "$p" ] || [ -L "$p" ]; then echo "path=$p"; fi
		;;
	dir=*)
		d=${a#dir=}
		if [ -d "$d" ]; then
			echo "dir=$d"
			find "$d" -mindepth 1 -maxdepth 1 | sed 's/^/entry=/'
		fi
		;;
	esac
done
