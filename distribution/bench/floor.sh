#!/usr/bin/env bash
# The resident memory floor of a JVM with the container's flags: io.tedge.bench.JvmFloor starts
# child JVMs (idle; plus two client-certificate TLS links to openssl s_server; plus Felix with
# scr, configadmin, fileinstall, log and the OSGi util/component bundles) and prints each one's
# VmRSS, threads and classes 15 s after it is ready, ROUNDS times alternated, and the medians.
# Needs openssl, the built distribution (distribution/target/tedge, read only) and the bench class
# path (run.sh makes target/bench.cp). Compiles JvmFloor.java when it is newer than its class. Usage:
#   distribution/bench/floor.sh [DIST_HOME=target/tedge [ROUNDS=3]]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f target/bench.cp ]; then
  (cd .. && mvn -q -B -pl distribution -am test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -Dmdep.outputFile=target/bench.cp \
     -Dmdep.includeScope=test >/dev/null)
fi
bcp="target/test-classes:$(cat target/bench.cp)"
src=src/test/java/io/tedge/bench/JvmFloor.java
cls=target/test-classes/io/tedge/bench/JvmFloor.class
if [ ! -f "$cls" ] || [ "$src" -nt "$cls" ]; then
  mkdir -p target/test-classes
  javac -nowarn -cp "$bcp" -d target/test-classes "$src"
fi
exec java -cp "$bcp" io.tedge.bench.JvmFloor "$@"
