#!/usr/bin/env bash
# Where an uploaded byte's CPU goes: Sessionflow's ingest stage (its own jar, against the standalone's
# Kafka broker and S3Proxy) and the peer (@tus/server + @tus/s3-store, same S3Proxy), each taking GB of
# tus uploads while a sampling profiler runs in it: async-profiler (tools.profiler:async-profiler from
# Maven Central, on the process CPU timer: asked for 1 ms, it fires at the kernel tick) in the JVMs,
# V8's CPU profiler (1 ms) in node. The object store's process (the standalone: S3Proxy) is profiled
# through the same runs. /proc gives each process's CPU seconds; the profile splits them by component.
# Writes bench/out/upload-profile.md, the account as CSV and flame graphs (bench/out/flame-*). WARMUP
# rounds (default 3) of REPEATS uploads each run unprofiled first.
# Usage: [WARMUP=3] bench/upload-profile.sh [STREAMS=32] [SIZE_MB=8] [REPEATS=4]
set -euo pipefail
cd "$(dirname "$0")/.."
STREAMS=${1:-32}; SIZE_MB=${2:-8}; REPEATS=${3:-4}
source bench/lib.sh
PROFILER_VERSION=4.2
LIB="$WORK/libasyncProfiler.so"
./mvnw -q -B dependency:copy -Dartifact="tools.profiler:async-profiler:$PROFILER_VERSION" \
  -DoutputDirectory="$WORK" >/dev/null
unzip -q -p "$WORK/async-profiler-$PROFILER_VERSION.jar" linux-x64/libasyncProfiler.so >"$LIB"
# profiler PID COMMAND: async-profiler loaded into a running JVM, as its own launcher does (the command
# quoted: jcmd would read its '=' as one of its own options).
profiler() { jcmd "$1" JVMTI.agent_load "$LIB" "\"$2\"" | grep -q 'return code: 0' || { echo "profiler $2 failed" >&2; exit 1; }; }

SF_HEAP=2g start_standalone
STORE_PID=$SF_PID
start_ingest_stage
TOKEN=$(token bench-therapist)
BASE=$INGEST_BASE CONSENT=$(BASE=$INGEST_BASE consent "$TOKEN" bench-1 '["record"]')
start_peer

upload() { # ENDPOINT [tus-bench options]: REPEATS rounds of STREAMS uploads
  local endpoint=$1; shift
  for _ in $(seq 1 "$REPEATS"); do
    node bench/node/tus-bench.mjs --endpoint "$endpoint" --streams "$STREAMS" --size $((SIZE_MB << 20)) "$@" >/dev/null
  done
}
# Warm-up rounds for each (WARMUP, default 3 x REPEATS), unprofiled, so the JIT has compiled the upload path.
for _ in $(seq 1 "${WARMUP:-3}"); do
  upload "$INGEST_BASE/files/" --token "$TOKEN" --consent "$CONSENT"
  upload "http://127.0.0.1:$PEER_PORT/files"
done
GB=$(python3 -c "print($REPEATS * $STREAMS * ($SIZE_MB << 20) / 1e9)")

# measure NAME SERVER_PID ENDPOINT [options]: profiles the server and the store through the uploads.
measure() {
  local name=$1 pid=$2 endpoint=$3; shift 3
  local opts="event=itimer,interval=1ms,threads"
  [ "$name" = sessionflow ] && profiler "$pid" "start,$opts"
  [ "$name" = peer ] && curl -sf -X POST "http://127.0.0.1:$PEER_PORT/profile/start" >/dev/null
  profiler "$STORE_PID" "start,$opts"
  local server_before store_before
  server_before=$(cpu_seconds "$pid"); store_before=$(cpu_seconds "$STORE_PID")
  sync
  local started=$SECONDS
  upload "$endpoint" "$@"
  local elapsed=$((SECONDS - started))
  echo "$name $(python3 -c "print(round(($(cpu_seconds "$pid")-$server_before)/$GB,2), \
    round(($(cpu_seconds "$STORE_PID")-$store_before)/$GB,2), $elapsed)")" >>"$WORK/cpu.txt"
  profiler "$STORE_PID" "dump,file=$OUT/flame-store-during-$name.html"
  profiler "$STORE_PID" "stop,file=$WORK/store-$name.collapsed,collapsed"
  if [ "$name" = sessionflow ]; then
    profiler "$pid" "dump,file=$OUT/flame-sessionflow.html"
    profiler "$pid" "stop,file=$WORK/sessionflow.collapsed,collapsed"
  else
    curl -sf -X POST "http://127.0.0.1:$PEER_PORT/profile/stop?file=$WORK/peer.cpuprofile" >/dev/null
  fi
}
: >"$WORK/cpu.txt"
measure sessionflow "$INGEST_PID" "$INGEST_BASE/files/" --token "$TOKEN" --consent "$CONSENT"
measure peer "$PEER_PID" "http://127.0.0.1:$PEER_PORT/files"
# The JVMs' flame graphs are async-profiler's own; the peer's is drawn from V8's samples by the account.
python3 bench/profile-account.py --cpu "$WORK/cpu.txt" --gb "$GB" \
  --sessionflow "$WORK/sessionflow.collapsed" --store-sessionflow "$WORK/store-sessionflow.collapsed" \
  --peer "$WORK/peer.cpuprofile" --store-peer "$WORK/store-peer.collapsed" --out "$OUT" \
  --title "$STREAMS streams x $SIZE_MB MiB, $REPEATS rounds ($GB GB) per server; commit $(code_version); $(cpu_model), $(nproc) cores" \
  --command "bench/upload-profile.sh $STREAMS $SIZE_MB $REPEATS"
cp "$WORK"/*.collapsed "$WORK/peer.cpuprofile" "$OUT/"
cat "$OUT/upload-profile.md"
