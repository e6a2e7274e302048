#!/usr/bin/env bash
# QoS 1 throughput of two builds of the distribution next to mosquitto, alternated in one run
# (the machine is shared: compare builds only within one run).
#   BASE=/path/to/other/distribution/target/tedge distribution/bench/throughput-ab.sh [messages=30000] [rounds=5] [bridge_runs=4]
# 1. Qos1Load into each container and into Debian's mosquitto, 1 and 4 publishers, window 100,
#    100-byte payload: base, this build and mosquitto one after the other, `rounds` times.
# 2. BridgeThroughput (5 000 messages x 3 rounds, with mosquitto's bridge in each run) for base
#    and this build, alternated `bridge_runs` times.
# Needs the load generators compiled: see run.sh (mvn ... test-compile ... build-classpath).
set -euo pipefail
cd "$(dirname "$0")/.."
NEW=$PWD/target/tedge
BASE=${BASE:?set BASE to the other build\'s target/tedge}
N=${1:-30000}; R=${2:-5}; T=${3:-4}
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null; sleep 2; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 1000); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.01; done; return 1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
start() {
  local home=$1 name=$2 p; p=$(free_port); mkdir -p "$work/$name"; printf '[mqtt]\nport = %s\n' "$p" > "$work/$name/tedge.toml"
  "$home/bin/tedged" --config-dir "$work/$name" </dev/null >"$work/$name.log" 2>&1 & echo $! > "$work/$name.pid"; wait_port "$p"; echo "$p"
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
bp=$(start "$BASE" base); np=$(start "$NEW" new)
mp=$(free_port); printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mp" > "$work/m.conf"
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
"$mosquitto" -c "$work/m.conf" >"$work/m.log" 2>&1 & echo $! > "$work/m.pid"; wait_port "$mp"
cp="target/test-classes:$NEW/bundle/org.eclipse.paho.client.mqttv3.jar"
load() { java -XX:+UseSerialGC -cp "$cp" io.tedge.bench.Qos1Load 127.0.0.1 "$1" "$N" "$2" 100 100 | awk '{print $7}'; }
for P in 1 4; do
  load "$bp" $P >/dev/null; load "$np" $P >/dev/null; load "$mp" $P >/dev/null   # warm-up
  b=(); n=(); m=()
  for _ in $(seq 1 "$R"); do b+=($(load "$bp" $P)); n+=($(load "$np" $P)); m+=($(load "$mp" $P)); done
  bm=$(printf '%s\n' "${b[@]}" | median); nm=$(printf '%s\n' "${n[@]}" | median); mm=$(printf '%s\n' "${m[@]}" | median)
  echo "QoS 1, $P publisher(s), $N msgs: base $bm (${b[*]}), this build $nm (${n[*]}), mosquitto $mm (${m[*]}) msg/s;" \
       "base/mosquitto $(awk -v a="$bm" -v b="$mm" 'BEGIN{printf "%.2f",a/b}'), this/mosquitto $(awk -v a="$nm" -v b="$mm" 'BEGIN{printf "%.2f",a/b}')"
done
kill $(cat "$work"/*.pid) 2>/dev/null || true
bcp="target/test-classes:$(cat target/bench.cp)"
for _ in $(seq 1 "$T"); do
  for h in "$BASE" "$NEW"; do
    echo "$([ "$h" = "$NEW" ] && echo "this build" || echo base): $(java -XX:+UseSerialGC -cp "$bcp" io.tedge.bench.BridgeThroughput "$h" 5000 3 2>&1 | tail -1)"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
