#!/bin/bash
# Fetch the real Pyro5 5.15 for the interop tests, beside the system's
# Pyro4 4.82. Debian's python3-pyro5 declares a conflict with python3-pyro4,
# so it is not installed: its .deb is downloaded from the trixie suite
# through a private apt configuration (the system's apt state is left
# alone) and unpacked into a cache directory that the tests put on
# PYTHONPATH. The package is pure Python over python3-serpent, which the
# system already has for Pyro4.
#
# Usage: scripts/pyro5-deps.sh [dir]   (default: $XDG_CACHE_HOME/gyro/pyro5)
# Prints the directory to put on PYTHONPATH.
set -euo pipefail

dir=${1:-${GYRO_PYRO5_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gyro/pyro5}}
root=$dir/root
pypath=$root/usr/lib/python3/dist-packages

if PYTHONPATH=$pypath /usr/bin/python3 -c 'import Pyro5; assert Pyro5.__version__ == "5.15"' 2>/dev/null; then
	echo "$pypath"
	exit 0
fi

# The mirror the machine already uses for Debian (deb822 or one-line format).
mirror=$(grep -hoE 'https?://[^ ]*/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
	grep -v security | head -n1 | tr -d ' ' || true)
mirror=${mirror:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || { echo "pyro5-deps: $keyring missing (apt-get install debian-archive-keyring)" >&2; exit 1; }

apt=$dir/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$dir/debs"
cat >"$apt/sources.list" <<SRC
deb [signed-by=$keyring] $mirror trixie main
SRC
opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o "Dir::Etc::sourceparts=-"
	-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	-o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Get::List-Cleanup=0"
	-o "Debug::NoLocking=1")
[ "$(id -u)" = 0 ] && opts+=(-o "APT::Sandbox::User=root")
apt-get "${opts[@]}" -qq update >&2
(cd "$dir/debs" && rm -f python3-pyro5_*.deb && apt-get "${opts[@]}" -qq download python3-pyro5 >&2)
deb=$(ls "$dir/debs"/python3-pyro5_*.deb)
case $deb in
*_5.15-*) ;;
*) echo "pyro5-deps: trixie has $deb, the tests expect Pyro5 5.15" >&2 ;;
esac
rm -rf "$root"
dpkg-deb -x "$deb" "$root"
PYTHONPATH=$pypath /usr/bin/python3 -c 'import Pyro5; print("pyro5-deps: Pyro5", Pyro5.__version__, "in", Pyro5.__file__)' >&2
echo "$pypath"
