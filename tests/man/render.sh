#!/bin/sh
# Renders one man page with `man --warnings -l` and fails on any warning or error it prints.
set -u
page=$1
command -v man >/dev/null || { echo "render.sh: man(1) is not installed (man-db)" >&2; exit 1; }
[ -f "$page" ] || { echo "render.sh: no $page" >&2; exit 1; }
out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
rc=$?
if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
  printf 'man --warnings -l %s (exit %s):\n%s\n' "$page" "$rc" "$out" >&2
  exit 1
fi
echo "$page renders without warnings"
