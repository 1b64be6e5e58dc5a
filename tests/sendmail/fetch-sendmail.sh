#!/bin/sh
# tests/sendmail/fetch-sendmail.sh CACHE_DIR — Debian's Sendmail for the end-to-end test, unpacked
# privately: sendmail-bin conflicts with Postfix as an installed package, so its .debs (and
# sendmail-cf's m4 files) are fetched with `apt-get download` into CACHE_DIR/debs and unpacked with
# `dpkg -x` into CACHE_DIR/root. Nothing is installed; an unpacked tree is reused. Prints the root.
# Needs the Debian mirror (as tools/deps.sh does) the first time; the libraries sendmail links
# (libwrap0 ...) come from tools/packages.txt.
set -eu
cache=${1:?usage: fetch-sendmail.sh CACHE_DIR}
root=$cache/root
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9  # test processes started in parallel fetch and unpack once
if [ -x "$root/usr/libexec/sendmail/sendmail" ] && [ -f "$root/usr/share/sendmail/cf/m4/cf.m4" ]; then
  echo "$root"
  exit 0
fi
mkdir -p "$cache/debs"
cd "$cache/debs"
if ! ls sendmail-bin_*.deb sendmail-cf_*.deb >/dev/null 2>&1; then
  apt-get download sendmail-bin sendmail-cf >&2 || {
    echo "apt-get download failed; run apt-get update (network to the Debian mirror needed)" >&2
    exit 1
  }
fi
rm -rf "$root.tmp"
mkdir -p "$root.tmp"
for deb in sendmail-bin_*.deb sendmail-cf_*.deb; do dpkg -x "$deb" "$root.tmp"; done
rm -rf "$root"
mv "$root.tmp" "$root"
echo "$root"
