#!/bin/sh
# Prints the packaged /etc/authmilter/authmilter.conf: the sample etc/authmilter.conf (every key,
# its default and its comment) with the settings of an installed daemon: syslog, the host name as
# AuthservID, the installed policy file. The socket stays the sample's unix:/run/authmilter/...
# Fails when a line it rewrites is no longer in the sample, so the two cannot drift apart.
set -eu
sample=$1
out=$(sed \
  -e '1i\
# /etc/authmilter/authmilter.conf, as installed by the authmilter package. See authmilter.conf(5).' \
  -e 's|^Syslog  *no$|Syslog                  yes|' \
  -e 's|^AuthservID  *mx\.example\.org$|# AuthservID            mx.example.org|' \
  -e 's|^PolicyFile  *etc/authmilter\.policy$|PolicyFile              /etc/authmilter/authmilter.policy|' \
  "$sample")
for want in '^Syslog  *yes$' '^# AuthservID  *mx\.example\.org$' \
            '^PolicyFile  */etc/authmilter/authmilter\.policy$' '^Socket  *unix:/run/authmilter/authmilter\.sock$'; do
  if ! printf '%s\n' "$out" | grep -q "$want"; then
    echo "packaged-conf.sh: $sample no longer has the line this script rewrites or keeps ($want)" >&2
    exit 1
  fi
done
printf '%s\n' "$out"
