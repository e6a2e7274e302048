#!/usr/bin/env bash
# Where the memory of the container goes with c8y and az connected: runs io.tedge.bench.IdleBench
# (IDLE_SECONDS, default 5) and, once its connected figure is printed, inspects that container:
# /proc status (RSS, anonymous/file), jcmd GC.heap_info, VM.native_memory summary (when
# TEDGE_JAVA_OPTS has -XX:NativeMemoryTracking=summary), threads by name, classes by package, and
# the RSS of the largest mappings (smaps). Needs the built distribution (distribution/target/tedge)
# and the bench class path (run.sh makes target/bench.cp). Usage:
#   distribution/bench/memory.sh [out-prefix]
#   TEDGE_JAVA_OPTS="-XX:NativeMemoryTracking=summary" distribution/bench/memory.sh /tmp/nmt
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/tedge-memory}
if [ ! -f target/bench.cp ]; then
  (cd .. && mvn -q -B -pl distribution -am test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -Dmdep.outputFile=target/bench.cp \
     -Dmdep.includeScope=test >/dev/null)
fi
bcp="target/test-classes:$(cat target/bench.cp)"
java -XX:+UseSerialGC -cp "$bcp" io.tedge.bench.IdleBench "$PWD/target/tedge" "${IDLE_SECONDS:-5}" >"$out.bench" 2>&1 &
bench=$!
for _ in $(seq 1 600); do grep -q "c8y and az connected, 1 persistent" "$out.bench" && break; sleep 1; done
pid=$(pgrep -f "io.tedge.launcher.Main --config-dir .*tedge-idle" | tail -1 || true)
if [ -z "$pid" ]; then echo "no connected container found (see $out.bench)"; wait $bench; exit 1; fi
{
  grep -E "VmRSS|RssAnon|RssFile|Threads" /proc/$pid/status
  jcmd $pid GC.heap_info
  echo "heap by class (live objects, after a full collection):"
  jcmd $pid GC.class_histogram | sed -n '1,28p'
  jcmd $pid VM.native_memory summary 2>&1 | grep -E "Total|^-" || true
  echo "threads by name:"
  jcmd $pid Thread.print | grep '^"' | sed 's/" .*//; s/[0-9]*$//' | sort | uniq -c | sort -rn
  echo "classes by package:"
  jcmd $pid VM.classloaders show-classes | grep -oE "(Classes: |^\s+\|\s+)[a-zA-Z_$][a-zA-Z0-9_.$]*" \
    | sed -E 's/^(Classes: |\s+\|\s+)//' | grep "\." \
    | awk -F. '{ if ($1=="java"||$1=="javax"||$1=="sun"||$1=="jdk") print $1"."$2; else print $1"."$2"."$3 }' | sort | uniq -c | sort -rn | head -25
  echo "largest mappings (KiB resident, KiB anonymous, mapping):"
  awk '/^[0-9a-f]+-[0-9a-f]+ /{m=($6==""?"[anon]":$6)} /^Rss:/{r[m]+=$2} /^Anonymous:/{a[m]+=$2} END{for(k in r) printf "%8d %8d %s\n", r[k], a[k], k}' /proc/$pid/smaps | sort -rn | head -12
} >"$out.txt"
wait $bench
grep RSS "$out.bench"
echo "breakdown: $out.txt"
