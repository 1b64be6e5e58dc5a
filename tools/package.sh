#!/usr/bin/env bash
# Build the Debian package (debian/: Release build, no sanitizers), lintian-check it (any E: or W:
# fails), install it with dpkg -i, check the installed configuration with --check-config (as root
# and as the authmilter user), then run the installed binary on the installed configuration in the
# foreground as the authmilter user, as the systemd unit does: it must listen on
# /run/authmilter/authmilter.sock, answer a milter negotiation from the postfix user (group
# authmilter) and refuse a user outside that group; SIGTERM (by PID) must stop it with exit 0.
# It is installed twice (the upgrade path) and, unless it was installed before, purged at the end
# (nothing may be left in /etc/authmilter or /var/lib/authmilter). Needs root (dpkg -i).
# The build tree is build-deb/ under the source tree (AM_PACKAGE_DIR), so ccache sees fixed paths.
# --build-only stops after lintian; --install-only takes the package a --build-only run left there
# (tools/test.sh builds it while ctest runs, and installs it after).
set -euo pipefail
mode=${1:-all}
case "$mode" in all | --build-only | --install-only) ;; *) echo "usage: $0 [--build-only | --install-only]" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.."
src=$PWD
if [ "$(id -u)" -ne 0 ]; then exec sudo --preserve-env=AM_PACKAGE_DIR "$0" "$@"; fi
./tools/deps.sh

out=${AM_PACKAGE_DIR:-$src/build-deb}
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
cmake_version=$(sed -n 's/^project(authmilter VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
if [ "${version%%-*}" != "$cmake_version" ]; then
  echo "package.sh: debian/changelog says $version, CMakeLists.txt $cmake_version" >&2
  exit 1
fi
arch=$(dpkg --print-architecture)
tree=$out/authmilter-$version
changes=$out/authmilter_${version}_${arch}.changes
deb=$out/authmilter_${version}_${arch}.deb
if [ "$mode" != --install-only ]; then
rm -rf "$tree" "$out"/authmilter_* "$out"/authmilter-dbgsym_*
mkdir -p "$tree"
# The sources as they are (uncommitted changes too), without build trees or in-tree package builds.
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$src" ls-files -z --cached --others --exclude-standard |
    tar -C "$src" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$tree" -xf -
else
  tar -C "$src" --exclude='./build*' --exclude='./obj-*' --exclude='./.git' --exclude=./debian/authmilter \
    --exclude=./debian/.debhelper --exclude=./debian/debhelper-build-stamp --exclude=./debian/files -cf - . |
    tar -C "$tree" -xf -
fi

# ccache through CMake's launcher variables; debhelper moves HOME, so name the cache directory.
if command -v ccache >/dev/null; then
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  CCACHE_DIR=$(ccache -k cache_dir)
  export CCACHE_DIR
fi
start=$(date +%s)
(cd "$tree" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b)
echo "package.sh: dpkg-buildpackage took $(($(date +%s) - start)) s"

# lintian: errors and warnings fail (overrides, each with its reason: debian/*.lintian-overrides).
lint=$(lintian --fail-on none "$changes" 2>&1) || true
printf '%s\n' "$lint"
if printf '%s\n' "$lint" | grep -q '^[EW]: '; then
  echo "package.sh: lintian reports errors or warnings" >&2
  exit 1
fi
fi  # build
if [ "$mode" = --build-only ]; then
  echo "package.sh: $deb built, lintian-clean"
  exit 0
fi
[ -f "$deb" ] || { echo "package.sh: no $deb (run --build-only first)" >&2; exit 1; }

pid=""
installed_before=no
dpkg-query -W -f='${Status}' authmilter 2>/dev/null | grep -q 'install ok installed' && installed_before=yes
cleanup() {
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  if [ "$installed_before" = no ]; then dpkg --purge authmilter >/dev/null || true; fi
}
trap cleanup EXIT
dpkg -i "$deb"
dpkg -i "$deb"  # again: the upgrade path of the maintainer scripts (existing user, directories)

fail() { echo "package.sh: $*" >&2; exit 1; }
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat"; }  # a zombie is not
conffiles=$(dpkg-query -W -f='${Conffiles}' authmilter)
for f in /etc/authmilter/authmilter.conf /etc/authmilter/authmilter.policy; do
  grep -q " $f " <<<"$conffiles" || fail "$f is not a conffile"
done
getent passwd authmilter >/dev/null || fail "no system user authmilter"
[ "$(stat -c '%U:%G %a' /var/lib/authmilter)" = "authmilter:authmilter 750" ] || fail "/var/lib/authmilter: $(stat -c '%U:%G %a' /var/lib/authmilter)"
# (read from the package: a minimal image may exclude /usr/share/man from what dpkg unpacks)
contents=$(dpkg-deb -c "$deb")
for f in usr/sbin/authmilter lib/systemd/system/authmilter.service var/lib/authmilter/ \
         usr/share/man/man8/authmilter.8.gz usr/share/man/man5/authmilter.conf.5.gz \
         usr/share/man/man5/authmilter.policy.5.gz; do
  grep -q " \./$f\$" <<<"$contents" || fail "the package does not install /$f"
done
/usr/sbin/authmilter --check-config -c /etc/authmilter/authmilter.conf
setpriv --reuid=authmilter --regid=authmilter --init-groups \
  /usr/sbin/authmilter --check-config -c /etc/authmilter/authmilter.conf

# A unit started by the package (a machine running systemd) would hold the socket: stop it first.
if [ -d /run/systemd/system ]; then systemctl stop authmilter.service || true; fi
sock=/run/authmilter/authmilter.sock
run_created=no
[ -d /run/authmilter ] || run_created=yes
install -d -o authmilter -g authmilter -m 0750 /run/authmilter  # what RuntimeDirectory= does
log=$out/authmilter-foreground.log
setpriv --reuid=authmilter --regid=authmilter --init-groups \
  /usr/sbin/authmilter -f -c /etc/authmilter/authmilter.conf >"$log" 2>&1 &
pid=$!
for _ in $(seq 200); do
  [ -S "$sock" ] && break
  alive "$pid" || { cat "$log" >&2; fail "the installed binary exited at start"; }
  sleep 0.1
done
[ -S "$sock" ] || { cat "$log" >&2; fail "no socket $sock after 20 s"; }
[ "$(stat -c '%G %a' "$sock")" = "authmilter 770" ] || fail "socket: $(stat -c '%G %a' "$sock")"

# A milter negotiation (SMFIC_OPTNEG, protocol version 6) answered with SMFIC_OPTNEG.
negotiate='
import socket, struct, sys
def exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: sys.exit("connection closed")
        b += c
    return b
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
body = b"O" + struct.pack(">III", 6, 0x1FF, 0x1FFFFF)
s.sendall(struct.pack(">I", len(body)) + body)
reply = exact(s, struct.unpack(">I", exact(s, 4))[0])
if reply[:1] != b"O": sys.exit("unexpected reply %r" % reply[:1])
print("milter negotiation answered, version", struct.unpack(">I", reply[1:5])[0])
'
if getent passwd postfix >/dev/null; then
  id -nG postfix | tr ' ' '\n' | grep -qx authmilter || fail "postfix is not in group authmilter"
  setpriv --reuid=postfix --regid=postfix --init-groups /usr/bin/python3 -c "$negotiate" "$sock"
else
  /usr/bin/python3 -c "$negotiate" "$sock"
fi
if denied=$(setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 -c "$negotiate" "$sock" 2>&1); then
  fail "a user outside group authmilter reached the socket"
fi
grep -q PermissionError <<<"$denied" || fail "user nobody: expected permission denied, got: $denied"

kill -TERM "$pid"
for _ in $(seq 400); do alive "$pid" || break; sleep 0.1; done
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" -eq 0 ] || { cat "$log" >&2; fail "the installed binary exited $rc after SIGTERM"; }
[ "$run_created" = no ] || rm -rf /run/authmilter
if [ "$installed_before" = no ]; then
  dpkg --purge authmilter
  installed_before=yes  # nothing left for cleanup()
  for d in /etc/authmilter /var/lib/authmilter; do [ ! -e "$d" ] || fail "$d is left after purge"; done
fi
echo "package.sh: $deb built, lintian-clean, installed, configuration OK, served $sock, stopped"
