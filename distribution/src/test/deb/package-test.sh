#!/bin/bash
# The Debian package on this machine (issue 11), run by ./test.sh after `mvn -B verify`:
# dpkg-deb --info/--contents, install, `tedge config set` and `tedge cert create` as root,
# /usr/bin/tedged as the tedge user (no systemd needed), publish/subscribe through it, an upgrade
# to a rebuilt package of a higher version while messages are queued for an unreachable cloud
# (config, certificates and every queued message survive: they reach a mosquitto TLS stand-in of
# the cloud afterwards), remove, purge, nothing left. `systemd-analyze verify` on the unit.
# Leaves the machine as it found it (purge at the end, even on failure).
#
# Usage: package-test.sh DEB [REPORT_DIR]   (needs root; re-runs itself with sudo when allowed)
# Writes REPORT_DIR/TEST-package.xml (JUnit format, one test case per check) and prints
# "package test: N passed, N failed".
set -u
deb=$(readlink -f "${1:?usage: package-test.sh DEB [REPORT_DIR]}")
reports=$(realpath -m "${2:-$(dirname "$deb")/test-reports/package}")

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n env SUDO_REPORT_OWNER="$(id -u):$(id -g)" "$0" "$deb" "$reports"
  fi
  echo "package test: not run: installing the .deb needs root or sudo (the rest of the suite ran)"
  exit 0
fi

work=$(mktemp -d /tmp/tedge-package-test.XXXXXX)
chmod 755 "$work"
passed=0; failed=0; cases=""; agent=""; cloud=""; sub=""
xml() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
pass() { passed=$((passed + 1)); cases="$cases<testcase classname=\"package\" name=\"$(printf '%s' "$1" | xml)\"/>"; echo "  ok   $1"; }
fail() {
  failed=$((failed + 1))
  cases="$cases<testcase classname=\"package\" name=\"$(printf '%s' "$1" | xml)\"><failure message=\"$(printf '%s' "$2" | head -c 2000 | xml)\"/></testcase>"
  echo "  FAIL $1: $2"
}
check() { # check NAME COMMAND...: passes when the command succeeds
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$* -> $out"; fi
}
owner_mode() { stat -c '%U:%G %a' "$1" 2>&1; }
is() { [ "$1" = "$2" ] || { echo "expected '$2', got '$1'"; return 1; }; }
stop_pid() { # SIGTERM, wait (at most 30 s), then SIGKILL
  local p=$1
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null
  for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null
}
finish() {
  stop_pid "$agent"; stop_pid "$sub"; stop_pid "$cloud"
  if dpkg-query -W -f='${Status}' tedge 2>/dev/null | grep -q "installed\|config-files"; then
    [ "${we_installed:-}" = yes ] && dpkg --purge tedge >/dev/null 2>&1
  fi
  rm -rf "$work"
  mkdir -p "$reports"
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="package" tests="%d" failures="%d" errors="0" skipped="0">%s</testsuite>\n' \
    $((passed + failed)) "$failed" "$cases" > "$reports/TEST-package.xml"
  [ -n "${SUDO_REPORT_OWNER:-}" ] && chown -R "$SUDO_REPORT_OWNER" "$reports"
  echo "package test: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
trap 'finish; exit $?' EXIT
trap 'exit 130' INT TERM

free_port() { # a port nothing listens on
  local p
  while :; do p=$((20000 + RANDOM % 40000)); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done
}
wait_for() { # wait_for SECONDS COMMAND...
  local end=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do [ "$(date +%s)" -ge "$end" ] && return 1; sleep 0.2; done
}
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
start_agent() { # tedged as the tedge user, no systemd: setpriv execs it (so $! is tedged's pid)
  setpriv --reuid=tedge --regid=tedge --init-groups /usr/bin/tedged </dev/null >>"$work/tedged.out" 2>&1 &
  agent=$!
  /usr/share/tedge/bin/tedged-ready 90
}

echo "package test: $deb"
# ------------------------------------------------------------------ never touch an install of someone else
if dpkg-query -W -f='${Status}' tedge 2>/dev/null | grep -q "installed\|config-files"; then
  fail "machine has no tedge package before the test" "a tedge package is installed here; the test would replace and purge it: remove it first"
  exit 1
fi
if getent passwd tedge >/dev/null || [ -e /etc/tedge ] || [ -e /var/tedge ]; then
  fail "machine has no tedge user, /etc/tedge or /var/tedge before the test" "they would be deleted by the purge: remove them first"
  exit 1
fi

# ------------------------------------------------------------------ the package file
info=$(dpkg-deb --info "$deb")
check "dpkg-deb --info: package tedge, architecture all" grep -q "^ Package: tedge$" <<<"$info"
check "dpkg-deb --info: Architecture all" grep -q "^ Architecture: all$" <<<"$info"
check "dpkg-deb --info: Depends on a Java 17 runtime" grep -q "^ Depends: openjdk-17-jre-headless | java17-runtime-headless" <<<"$info"
check "dpkg-deb --info: maintainer scripts" grep -q "postinst" <<<"$info"
version=$(dpkg-deb -f "$deb" Version)
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/share/tedge/bin/tedge ./usr/share/tedge/bin/tedged ./usr/share/tedge/bin/tedged-ready; do
  check "dpkg-deb --contents: $f executable" grep -q "^-rwxr-xr-x root/root .* $f$" <<<"$contents"
done
check "dpkg-deb --contents: /usr/bin/tedge link" grep -q "./usr/bin/tedge -> /usr/share/tedge/bin/tedge$" <<<"$contents"
check "dpkg-deb --contents: /usr/bin/tedged link" grep -q "./usr/bin/tedged -> /usr/share/tedge/bin/tedged$" <<<"$contents"
check "dpkg-deb --contents: systemd unit" grep -q " ./lib/systemd/system/tedged.service$" <<<"$contents"
check "dpkg-deb --contents: platform bundles and connectors" grep -q "./usr/share/tedge/deploy/tedge-c8y.jar$" <<<"$contents"
check "dpkg-deb --contents: nothing under /etc (upgrades never touch the configuration)" bash -c "! grep -q ' ./etc/' <<<\"\$0\"" "$contents"

# ------------------------------------------------------------------ install
we_installed=yes
check "dpkg -i installs" dpkg -i "$deb"
check "tedge system user and group" bash -c 'getent passwd tedge | grep -q ":/usr/sbin/nologin$" && getent group tedge'
check "/etc/tedge/tedge.toml from the package, owned by tedge" is "$(owner_mode /etc/tedge/tedge.toml)" "tedge:tedge 644"
check "/var/tedge: tedge, 0700" is "$(owner_mode /var/tedge)" "tedge:tedge 700"
check "/var/log/tedge: tedge, 0700" is "$(owner_mode /var/log/tedge)" "tedge:tedge 700"
check "/etc/tedge/deploy for vendor jars: tedge, 0755" is "$(owner_mode /etc/tedge/deploy)" "tedge:tedge 755"
check "tedge uses /etc/tedge by default (data.path of the packaged layout)" is "$(tedge config get data.path 2>&1)" "/var/tedge"
if command -v systemd-analyze >/dev/null 2>&1; then
  check "systemd-analyze verify tedged.service" bash -c 'out=$(systemd-analyze verify /lib/systemd/system/tedged.service 2>&1); ! grep -i "tedged" <<<"$out"'
fi

# ------------------------------------------------------------------ root edits: files stay the agent's
port=$(free_port); cloud_port=$(free_port); plain_port=$(free_port)
check "sudo tedge config set" tedge config set mqtt.port "$port"
check "tedge.toml still owned by tedge after a root edit" is "$(owner_mode /etc/tedge/tedge.toml)" "tedge:tedge 644"
check "sudo tedge cert create" tedge cert create --device-id pkg-test-device
check "certificate owned by tedge" is "$(stat -c %U /etc/tedge/device-certs/tedge-certificate.pem)" "tedge"
check "private key owned by tedge, owner-only" bash -c 'm=$(stat -c "%U %a" /etc/tedge/device-certs/tedge-private-key.pem); [ "$m" = "tedge 400" ] || [ "$m" = "tedge 600" ] || { echo "$m"; exit 1; }'

# a cloud that is not there yet: the c8y link cannot connect, so what is sent to it is queued
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" -subj /CN=pkg-test-ca -days 2 >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/srv.key" -out "$work/srv.csr" -subj /CN=127.0.0.1 >/dev/null 2>&1
openssl x509 -req -in "$work/srv.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -out "$work/srv.pem" -days 2 \
  -extfile <(printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n') >/dev/null 2>&1
chmod 644 "$work"/*
install -m 0644 -o tedge -g tedge "$work/ca.pem" /etc/tedge/pkg-test-ca.pem
tedge config set c8y.url 127.0.0.1 && tedge config set c8y.mqtt "127.0.0.1:$cloud_port" && tedge config set c8y.root.cert.path /etc/tedge/pkg-test-ca.pem

# ------------------------------------------------------------------ the agent as the tedge user
start_agent; rc=$?
check "tedged runs as tedge and the broker becomes ready (tedged-ready)" is "$rc" "0"
check "tedged runs as the tedge user" is "$(ps -o user= -p "$agent" 2>&1 | tr -d ' ')" "tedge"
timeout 30 mosquitto_sub -p "$port" -t 'pkg/#' -C 1 -v >"$work/sub.out" 2>&1 &
sub=$!
wait_for 20 bash -c "tedge mqtt pub pkg/probe p >/dev/null; [ -s '$work/sub.out' ]"
wait "$sub" 2>/dev/null; sub=""
check "publish through the packaged agent reaches a subscriber" grep -q "^pkg/" "$work/sub.out"
check "tedge mqtt sub through the packaged agent" bash -c "
  timeout 20 tedge mqtt sub 'back/#' >'$work/tsub.out' 2>&1 & s=\$!
  for i in \$(seq 50); do mosquitto_pub -p $port -t back/x -m from-mosquitto; grep -q 'from-mosquitto' '$work/tsub.out' && break; sleep 0.2; done
  kill \$s; grep -q '\[back/x\] from-mosquitto' '$work/tsub.out'"
check "tedge.log in /var/log/tedge, tedge's, 0600" is "$(owner_mode /var/log/tedge/tedge.log)" "tedge:tedge 600"
check "tedge.log tells the start" grep -q "MQTT broker listening" /var/log/tedge/tedge.log
tedge connect c8y >"$work/connect.out" 2>&1 # the cloud is not there: the link stays configured and retries
check "c8y stays connected in tedge.toml while the cloud is unreachable" bash -c "grep -q 'connect = \"true\"' /etc/tedge/tedge.toml || { cat '$work/connect.out'; exit 1; }"
n=20
sent=0
for i in $(seq $n); do tedge mqtt pub -q 1 c8y/s/us "200,pkg,$i" && sent=$((sent + 1)); done
check "$n QoS 1 messages for the unreachable cloud accepted" is "$sent" "$n"

# ------------------------------------------------------------------ upgrade while they are queued
stop_pid "$agent"; wait "$agent" 2>/dev/null; rc=$?; agent=""
check "SIGTERM stops tedged with exit code 0" is "$rc" "0"
sums_before=$(sha256sum /etc/tedge/tedge.toml /etc/tedge/device-certs/* 2>&1)
mkdir -p "$work/repack"
dpkg-deb -R "$deb" "$work/repack/root"
sed -i "s/^Version: .*/Version: ${version}+upgrade1/" "$work/repack/root/DEBIAN/control"
dpkg-deb -b "$work/repack/root" "$work/repack/tedge_upgrade_all.deb" >/dev/null
check "dpkg -i of a higher version upgrades" dpkg -i "$work/repack/tedge_upgrade_all.deb"
check "the upgraded version is installed" is "$(dpkg-query -W -f='${Version}' tedge)" "${version}+upgrade1"
check "tedge.toml and the certificates unchanged by the upgrade" is "$(sha256sum /etc/tedge/tedge.toml /etc/tedge/device-certs/* 2>&1)" "$sums_before"
check "the journal survived the upgrade" test -d /var/tedge/journal
check "the certificate still works after the upgrade" bash -c 'tedge cert show | grep -q pkg-test-device'

# the cloud comes: a mosquitto stand-in that demands the device certificate (TLS), and a plain
# listener for the test's subscriber
cat >"$work/cloud.conf" <<EOF
per_listener_settings false
allow_anonymous true
persistence false
listener $cloud_port 127.0.0.1
cafile $work/device.pem
certfile $work/srv.pem
keyfile $work/srv.key
require_certificate true
listener $plain_port 127.0.0.1
EOF
install -m 0644 /etc/tedge/device-certs/tedge-certificate.pem "$work/device.pem"
"$mosquitto" -c "$work/cloud.conf" >"$work/cloud.log" 2>&1 &
cloud=$!
wait_for 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$plain_port"
# (no -C: the mappers' own messages, e.g. the 102 health lines, go to s/us too)
timeout 120 mosquitto_sub -p "$plain_port" -t s/us -t pkg-test/probe >"$work/cloud.out" 2>&1 &
sub=$!
# the subscription is in place before the agent starts: the probe comes back through it
wait_for 20 bash -c "mosquitto_pub -p $plain_port -t pkg-test/probe -m subscribed; grep -q '^subscribed$' '$work/cloud.out'"
start_agent; rc=$?
check "tedged starts again after the upgrade" is "$rc" "0"
wait_for 90 bash -c "[ \$(grep -c '^200,pkg,' '$work/cloud.out') -ge $n ]"
got=$(grep -c '^200,pkg,' "$work/cloud.out")
check "every message queued before the upgrade reached the cloud after it ($n)" is "$got" "$n"
check "in order" is "$(grep '^200,pkg,' "$work/cloud.out" | cut -d, -f3 | tr '\n' ' ')" "$(seq -s ' ' $n) "
stop_pid "$agent"; agent=""; stop_pid "$sub"; sub=""; stop_pid "$cloud"; cloud=""

# ------------------------------------------------------------------ remove keeps the configuration, purge removes all
check "dpkg -r removes" dpkg -r tedge
check "remove keeps /etc/tedge/tedge.toml and the certificates" test -f /etc/tedge/tedge.toml -a -f /etc/tedge/device-certs/tedge-certificate.pem
check "remove keeps /var/tedge" test -d /var/tedge/journal
check "remove takes /usr/bin/tedge" test ! -e /usr/bin/tedge
check "dpkg -P purges" dpkg -P tedge
check "purge removes /etc/tedge, /var/tedge, /var/log/tedge" bash -c '! ls -d /etc/tedge /var/tedge /var/log/tedge 2>/dev/null'
check "purge removes /usr/share/tedge" test ! -e /usr/share/tedge
check "purge removes the tedge user and group" bash -c '! getent passwd tedge && ! getent group tedge'
check "nothing of the package is left" bash -c '! dpkg-query -W tedge 2>/dev/null | grep -q .; [ -z "$(dpkg-query -W -f="\${Status}" tedge 2>/dev/null | grep -v not-installed)" ]'
we_installed=no
