#!/bin/sh
# The whole test suite, as the README says: ./test.sh
# Installs what the tests need when it is missing (Debian packages: as root, or through sudo),
# then runs every test: `mvn -B verify` (unit, in-framework, end-to-end), then the Debian package
# test (distribution/src/test/deb/package-test.sh). Extra arguments go to Maven (./test.sh -o).
set -u
cd "$(dirname "$0")" || exit 1

missing=""
need() { # need PACKAGE PROGRAM...: the package when none of the programs is found (PATH or /usr/sbin)
  pkg=$1; shift
  for prog in "$@"; do
    command -v "$prog" >/dev/null 2>&1 && return 0
    [ -x "/usr/sbin/$prog" ] && return 0
  done
  missing="$missing $pkg"
}
need openjdk-17-jdk-headless javac
need maven mvn
need mosquitto mosquitto
need mosquitto-clients mosquitto_sub
need openssl openssl

if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo"
  else
    echo "test.sh: missing Debian packages:$missing. Install them as root (apt-get install$missing), then run ./test.sh again." >&2
    exit 1
  fi
  echo "test.sh: installing$missing"
  $as_root apt-get update -qq >/dev/null &&
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null || {
      echo "test.sh: apt-get install$missing failed" >&2; exit 1; }
fi

mvn -B verify "$@"
rc=$?

# The Debian package, installed on this machine, upgraded, removed and purged (needs root or
# sudo; otherwise it says so in one line and the rest of the suite stands).
deb=$(ls distribution/target/tedge_*_all.deb 2>/dev/null | head -1)
if [ -n "$deb" ]; then
  distribution/src/test/deb/package-test.sh "$deb" distribution/target/test-reports/package || rc=1
else
  echo "test.sh: no distribution/target/tedge_*_all.deb: the package test did not run" >&2
  rc=1
fi
exit $rc
