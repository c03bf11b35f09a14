#!/usr/bin/env bash
# A fresh server's CPU per GB, round after round: what a new ingest pod costs before its JIT has compiled the
# upload path, and when it reaches the steady cost that sizing uses. A freshly started ingest stage jar (as in
# upload-bench.sh, against the standalone's Kafka and S3Proxy) and a freshly started @tus/server +
# @tus/s3-store take ROUNDS rounds of STREAMS uploads of SIZE_MB each, taking turns. Per round: MB/s, the
# server's CPU seconds per GB (10^9 bytes) from /proc, for the ingest the share of its JIT compiler threads
# (C1 and C2, per thread from /proc; the JVM keeps them all, -XX:-UseDynamicNumberOfCompilerThreads), and the
# store process's. Writes bench/out/upload-warmup.md and upload-warmup.csv (every round).
# Usage: [ROUNDS=30] bench/upload-warmup.sh [STREAMS=32] [SIZE_MB=8]
set -euo pipefail
cd "$(dirname "$0")/.."
STREAMS=${1:-32}; SIZE_MB=${2:-8}; ROUNDS=${ROUNDS:-30}
source bench/lib.sh
start_standalone
STORE_PID=$SF_PID
start_ingest_stage -XX:-UseDynamicNumberOfCompilerThreads
TOKEN=$(token bench-therapist)
CONSENT=$(BASE=$INGEST_BASE consent "$TOKEN" bench-1 '["record"]')
start_peer

round() { # SERVER: one round's JSON line
  local opts=(--streams "$STREAMS" --size $((SIZE_MB << 20)) --store-pid "$STORE_PID")
  if [ "$1" = sessionflow ]; then
    node bench/node/tus-bench.mjs --endpoint "$INGEST_BASE/files/" --token "$TOKEN" --consent "$CONSENT" \
      --pid "$INGEST_PID" --jvm "${opts[@]}"
  else
    node bench/node/tus-bench.mjs --endpoint "http://127.0.0.1:$PEER_PORT/files" --pid "$PEER_PID" \
      --node-memory "http://127.0.0.1:$PEER_PORT/memory" "${opts[@]}"
  fi
}
{
  echo "round,uploads_so_far,gb_so_far,sessionflow_mb_s,sessionflow_cpu_s_per_gb,sessionflow_jit_cpu_s_per_gb," \
    "store_cpu_s_per_gb_sessionflow,tus_mb_s,tus_cpu_s_per_gb,store_cpu_s_per_gb_tus" | tr -d ' '
  for i in $(seq 1 "$ROUNDS"); do
    sync; sf=$(round sessionflow); sync; pe=$(round peer)
    python3 - "$i" "$STREAMS" "$SIZE_MB" "$sf" "$pe" <<'PY'
import json, sys
i, streams, size_mb = (int(a) for a in sys.argv[1:4])
sf, pe = json.loads(sys.argv[4]), json.loads(sys.argv[5])
print(",".join(str(v) for v in [i, i * streams, round(i * streams * (size_mb << 20) / 1e9, 2), sf["mbPerSecond"],
    sf["cpuSecondsPerGb"], sf["jitCpuSecondsPerGb"], sf["storeCpuSecondsPerGb"], pe["mbPerSecond"],
    pe["cpuSecondsPerGb"], pe["storeCpuSecondsPerGb"]]))
PY
  done
} >"$OUT/upload-warmup.csv"

python3 - "$OUT/upload-warmup.csv" "$ROUNDS" "$STREAMS" "$SIZE_MB" "$(code_version)" "$(cpu_model)" "$(nproc)" \
  >"$OUT/upload-warmup.md" <<'PY'
import csv, sys
path, rounds, streams, size_mb, commit, cpu, cores = sys.argv[1:]
rows = list(csv.DictReader(open(path)))
def median(values):
    return sorted(values)[len(values) // 2]
print("## A fresh ingest's CPU per GB, round by round")
print()
print(f"Machine: {cpu}, {cores} cores. Code: commit `{commit}`. Command: "
      f"`ROUNDS={rounds} bench/upload-warmup.sh {streams} {size_mb}`.")
print(f"A freshly started ingest stage jar and a freshly started @tus/server + @tus/s3-store take rounds of "
      f"{streams} uploads of {size_mb} MiB each, taking turns (every round in upload-warmup.csv). CPU s/GB: the "
      "process's user + system CPU seconds per 10^9 bytes, from /proc; the ingest's JIT: the share of its C1 and "
      "C2 compiler threads.")
print()
print("| rounds | uploads so far | GB so far | Sessionflow MB/s | Sessionflow CPU s/GB | of which JIT | "
      "peer MB/s | peer CPU s/GB | store CPU s/GB (Sessionflow, peer) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
shown = sorted({1, 2, 3, 5} | set(range(10, len(rows) + 1, 5)) | {len(rows)})
for n in (n for n in shown if n <= len(rows)):
    r = rows[n - 1]
    print(f"| {n} | {r['uploads_so_far']} | {r['gb_so_far']} | {r['sessionflow_mb_s']} | "
          f"{r['sessionflow_cpu_s_per_gb']} | {r['sessionflow_jit_cpu_s_per_gb']} | {r['tus_mb_s']} | "
          f"{r['tus_cpu_s_per_gb']} | {r['store_cpu_s_per_gb_sessionflow']}, {r['store_cpu_s_per_gb_tus']} |")
last = rows[-5:]
col = lambda key: median([float(r[key]) for r in last])
print(f"| median of the last {len(last)} | | | {col('sessionflow_mb_s')} | {col('sessionflow_cpu_s_per_gb')} | "
      f"{col('sessionflow_jit_cpu_s_per_gb')} | {col('tus_mb_s')} | {col('tus_cpu_s_per_gb')} | "
      f"{col('store_cpu_s_per_gb_sessionflow')}, {col('store_cpu_s_per_gb_tus')} |")
PY
cat "$OUT/upload-warmup.md"
