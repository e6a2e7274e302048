#!/usr/bin/env bash
# Benchmarks of the built distribution (run `mvn -B package -DskipTests` first; the QoS 1 load
# generator is compiled by `mvn -B verify` or `mvn -B test-compile -pl distribution`).
# Prints: container start to broker-ready, idle RSS, `tedge config get` latency, QoS 1 publish
# throughput into our broker (journal on) next to Debian's mosquitto in the same run, through the
# bridge next to a mosquitto bridge, RSS with idle clients and with c8y and az connected, idle
# bytes written per minute, and the routing cost with 20 000 filters.
# Usage: distribution/bench/run.sh [messages=50000]      (IDLE_SECONDS=60 for the idle write figure)
set -euo pipefail
cd "$(dirname "$0")/.."
home=target/tedge
N=${1:-50000}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
wait_port() { for _ in $(seq 1 600); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.01; done; return 1; }

echo "machine: $(nproc) cores, $(java -version 2>&1 | head -1)"
port=$(free_port)
cfg="$work/cfg"; mkdir -p "$cfg"; printf '[mqtt]\nport = %s\n' "$port" > "$cfg/tedge.toml"

# 1. start to broker-ready (the first run builds the framework cache and the CDS archive)
starts=()
for i in 1 2 3 4 5 6; do
  t0=$(now_ms)
  $home/bin/tedged --config-dir "$cfg" </dev/null >"$work/agent.log" 2>&1 &
  pid=$!
  wait_port "$port"
  t1=$(now_ms)
  [ "$i" -gt 1 ] && starts+=($((t1 - t0)))
  if [ "$i" -lt 6 ]; then kill -TERM $pid; wait $pid 2>/dev/null || true; fi
done
echo "start to broker-ready: median $(printf '%s\n' "${starts[@]}" | median) ms over ${#starts[@]} runs (${starts[*]} ms; persistent cache, CDS archive)"

# 2. idle RSS of the running container
sleep 5
rss=$(ps -o rss= -p $pid)
echo "idle RSS: $((rss / 1024)) MiB ($rss KiB, 5 s after ready, headless)"

# 2b. the same without the class-data-sharing archive (TEDGE_NO_CDS=1): less memory, slower start
kill -TERM $pid; wait $pid 2>/dev/null || true
nstarts=(); nrss=()
for i in 1 2 3 4 5; do
  t0=$(now_ms)
  TEDGE_NO_CDS=1 $home/bin/tedged --config-dir "$cfg" </dev/null >"$work/agent.log" 2>&1 &
  npid=$!
  wait_port "$port"
  nstarts+=($(( $(now_ms) - t0 )))
  sleep 5
  nrss+=($(( $(ps -o rss= -p $npid) / 1024 )))
  kill -TERM $npid; wait $npid 2>/dev/null || true
done
echo "with TEDGE_NO_CDS=1: start median $(printf '%s\n' "${nstarts[@]}" | median) ms (${nstarts[*]}), idle RSS median $(printf '%s\n' "${nrss[@]}" | median) MiB (${nrss[*]})"
$home/bin/tedged --config-dir "$cfg" </dev/null >"$work/agent.log" 2>&1 &
pid=$!
wait_port "$port"

# 3. bin/tedge config get c8y.url
$home/bin/tedge --config-dir "$cfg" config set c8y.url bench.example.com
lat=()
for i in $(seq 1 20); do
  t0=$(date +%s%N); $home/bin/tedge --config-dir "$cfg" config get c8y.url >/dev/null; t1=$(date +%s%N)
  lat+=($(((t1 - t0) / 1000000)))
done
echo "tedge config get c8y.url: median $(printf '%s\n' "${lat[@]}" | median) ms over 20 runs (min $(printf '%s\n' "${lat[@]}" | sort -n | head -1) ms)"

# 4. QoS 1 throughput: ours (journal on) vs mosquitto, same client, same run, alternating
mport=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mport" > "$work/mosquitto.conf"
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)   # Debian's is outside a normal user's PATH
"$mosquitto" -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
mpid=$!
wait_port "$mport"
cp="target/test-classes:$home/bundle/org.eclipse.paho.client.mqttv3.jar"
load() { java -XX:+UseSerialGC -cp "$cp" io.tedge.bench.Qos1Load 127.0.0.1 "$1" "$N" "$2" "$3" 100 | awk '{print $7}'; }
for shape in "1 100" "4 100"; do
  set -- $shape
  load "$port" "$1" "$2" >/dev/null; load "$mport" "$1" "$2" >/dev/null   # warm-up
  ours=(); theirs=()
  for r in 1 2 3; do ours+=($(load "$port" "$1" "$2")); theirs+=($(load "$mport" "$1" "$2")); done
  o=$(printf '%s\n' "${ours[@]}" | median); m=$(printf '%s\n' "${theirs[@]}" | median)
  echo "QoS 1 publish, $1 publisher(s), window $2, 100-byte payload, $N msgs: tedge $o msg/s (${ours[*]}), mosquitto $m msg/s (${theirs[*]}), ratio $(awk -v a="$o" -v b="$m" 'BEGIN{printf "%.2f", a/b}')"
done
kill -TERM $pid $mpid; wait 2>/dev/null || true

# 5. QoS 1 end to end, local broker -> bridge -> Cumulocity stand-in (TLS): tedge's bridge vs a
#    mosquitto bridge with thin-edge.io's c8y topic lines (needs the c8y connector in deploy/)
# the load generators (and the test kit's stand-ins) come from the reactor, so that they are
# this tree's, not whatever is in ~/.m2
(cd .. && mvn -q -B -pl distribution -am test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -Dmdep.outputFile=target/bench.cp \
   -Dmdep.includeScope=test >/dev/null)
bcp="target/test-classes:$(cat target/bench.cp)"
if [ -f "$home/deploy/tedge-c8y.jar" ]; then
  java -XX:+UseSerialGC -cp "$bcp" io.tedge.bench.BridgeThroughput "$home" "${BRIDGE_N:-5000}" 3
fi

# 6. at rest: RSS with 0, 1 000 and 2 000 idle clients, with c8y and az connected, and the bytes
#    written to storage (/proc/PID/io write_bytes, logs included) while idle with c8y and az
#    connected and a persistent local session
java -XX:+UseSerialGC -cp "$bcp" io.tedge.bench.IdleBench "$home" "${IDLE_SECONDS:-60}"

# 7. routing cost of one publish with 20 and with 20 000 subscriptions (broker core, in-process)
java -XX:+UseSerialGC -Xmx256m -cp "$bcp" io.tedge.bench.RoutingBench 200000
