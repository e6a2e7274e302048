#!/usr/bin/env bash
# Latency of the `tedge` commands (issue 13: each under 150 ms median) next to mosquitto_pub,
# against a running container. Run after `mvn -B package -DskipTests`.
# Usage: distribution/bench/cli-latency.sh [runs=21]
# Prints a markdown table: command, median and min wall-clock milliseconds of the whole process.
set -euo pipefail
cd "$(dirname "$0")/.."
home=${TEDGE_HOME:-$PWD/target/tedge}   # TEDGE_HOME: another build, e.g. to compare
runs=${1:-21}
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 600); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }

port=$(free_port)
cfg="$work/cfg"; mkdir -p "$cfg"; printf '[mqtt]\nport = %s\n' "$port" > "$cfg/tedge.toml"
"$home/bin/tedge" --config-dir "$cfg" cert create --device-id bench-device >/dev/null
"$home/bin/tedged" --config-dir "$cfg" </dev/null >"$work/agent.log" 2>&1 &
pid=$!
wait_port "$port"
mosquitto_pub=$(command -v mosquitto_pub)

measure() { # label, command...
  local label=$1; shift
  "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; } # warm (and the CLI's class-data archive)
  local ms=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
    ms+=($(( (t1 - t0) / 1000000 )))
  done
  local sorted; sorted=$(printf '%s\n' "${ms[@]}")
  printf '| %s | %s | %s |\n' "$label" "$(median <<<"$sorted")" "$(sort -n <<<"$sorted" | head -1)"
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1); $runs runs each"
echo
echo "| command | median ms | min ms |"
echo "|---|---|---|"
t="$home/bin/tedge --config-dir $cfg"
measure '`tedge config get mqtt.port`' $t config get mqtt.port
measure '`tedge mqtt pub tedge/x 1`' $t mqtt pub tedge/x 1
measure '`tedge mqtt pub -q 1 tedge/x 1`' $t mqtt pub -q 1 tedge/x 1
measure '`tedge status`' $t status
measure '`tedge cert show`' $t cert show
measure '`mosquitto_pub -q 1 -t tedge/x -m 1`' "$mosquitto_pub" -p "$port" -q 1 -t tedge/x -m 1
measure '`java -version` (a JVM start, for scale)' java -Xshare:auto -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -version
