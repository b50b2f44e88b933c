#!/bin/sh
# tools/deps.sh [PACKAGE...] — installs the Debian packages cordon builds and
# tests with (or, given arguments, those packages instead), when missing.
# Runs on every `make`; costs one dpkg query when everything is there.
set -eu
need=${*:-gcc make pkg-config libseccomp-dev libxxhash-dev libjson-c-dev libhttp-parser-dev libssl-dev libarchive-dev libmicrohttpd-dev libcurl4-openssl-dev liburing-dev
    libcriterion-dev python3 coreutils libpython3.11-testsuite python3-venv git busybox-static}
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "cordon: missing packages:$missing (run as root once, or: sudo apt-get install$missing)" >&2
    exit 1
fi
echo "cordon: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # a list of package names, split on purpose
apt-get install -y -qq $missing >/dev/null
