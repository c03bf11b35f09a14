#!/usr/bin/env bash
# Upload throughput and CPU per GB: tus-js-client against Sessionflow's ingest stage (its own jar, configured
# by environment variables as in production, joined to a standalone's Kafka broker and S3Proxy), the same
# client against @tus/server + @tus/s3-store writing to the same S3Proxy, and the same bytes written straight
# to that S3Proxy (the ceilings: one PUT per object, and a multipart upload of 8 MiB parts, 4 in flight, the
# way a server that receives a stream must write it). One stream and STREAMS at once. For each server: MB/s,
# its process's CPU seconds per GB (10^9 bytes) from /proc, the store process's (the standalone: S3Proxy) CPU
# seconds per GB, and the server's peak heap and resident memory. Writes bench/out/upload.md and upload.csv.
# Each figure is the median of ROUNDS runs (default 5), all four taking turns; every run is in the CSV.
# UPLOAD_MEMORY_BUDGET (default 512MiB) and INGEST_HEAP (default 1g) apply to the ingest stage.
# Usage: [ROUNDS=5] bench/upload-bench.sh [SINGLE_SIZE_MB=64] [MULTI_SIZE_MB=8] [STREAMS=32]
set -euo pipefail
cd "$(dirname "$0")/.."
SINGLE_MB=${1:-64}; MULTI_MB=${2:-8}; STREAMS=${3:-32}; ROUNDS=${ROUNDS:-5}
BUDGET=${UPLOAD_MEMORY_BUDGET:-512MiB}
source bench/lib.sh
start_standalone
STORE_PID=$SF_PID
UPLOAD_MEMORY_BUDGET=$BUDGET start_ingest_stage
TOKEN=$(token bench-therapist)
CONSENT=$(BASE=$INGEST_BASE consent "$TOKEN" bench-1 '["record"]')
start_peer

sessionflow() {
  node bench/node/tus-bench.mjs --endpoint "$INGEST_BASE/files/" --token "$TOKEN" --consent "$CONSENT" \
    --pid "$INGEST_PID" --store-pid "$STORE_PID" --jvm "$@"
}
peer() {
  node bench/node/tus-bench.mjs --endpoint "http://127.0.0.1:$PEER_PORT/files" --pid "$PEER_PID" \
    --store-pid "$STORE_PID" --node-memory "http://127.0.0.1:$PEER_PORT/memory" "$@"
}
ceiling() {
  NODE_NO_WARNINGS=1 node bench/node/s3-put-bench.mjs --endpoint "$S3" --access-key "$ACCESS" --secret-key "$SECRET" \
    --bucket tus-bench --store-pid "$STORE_PID" "$@"
}
row() { # scenario, then ROUNDS JSON results of each of the four, one per line
  python3 - "$@" <<'PY'
import json, sys
scenario, runs = sys.argv[1], [[json.loads(line) for line in arg.splitlines()] for arg in sys.argv[2:]]
def median(values):
    return sorted(values)[len(values) // 2]
sf, peer, put, multipart = (median([r["mbPerSecond"] for r in results]) for results in runs)
cpu = lambda results, key: median([r[key] for r in results])
# Peaks are the highest seen in any run.
sf_heap, sf_rss = (max(r[k] for r in runs[0]) for k in ("heapPeakMib", "rssPeakMib"))
peer_heap, peer_rss = (max(r[k] for r in runs[1]) for k in ("heapPeakMib", "rssPeakMib"))
print(",".join(str(v) for v in [scenario, sf, peer, f"{sf / peer:.2f}", put, f"{sf / put:.2f}", multipart,
    f"{sf / multipart:.2f}", cpu(runs[0], "cpuSecondsPerGb"), cpu(runs[1], "cpuSecondsPerGb"),
    cpu(runs[0], "storeCpuSecondsPerGb"), cpu(runs[1], "storeCpuSecondsPerGb"), cpu(runs[2], "storeCpuSecondsPerGb"),
    cpu(runs[3], "storeCpuSecondsPerGb"), sf_heap, sf_rss, peer_heap, peer_rss,
    sum(r["retries"] for r in runs[0]), sum(r["retries"] for r in runs[1])]
    + [" ".join(str(r["mbPerSecond"]) for r in results) for results in runs]))
PY
}
# scenario NAME ARGS...: each of the four, ROUNDS times, taking turns so they see the same machine.
scenario() {
  local name=$1; shift
  local sf="" pe="" put="" mp=""
  # Each run starts with no dirty pages of the last one left to write back (sync is not timed).
  for _ in $(seq 1 "$ROUNDS"); do
    sync; sf+="$(sessionflow "$@")"$'\n'; sync; pe+="$(peer "$@")"$'\n'
    sync; put+="$(ceiling "$@")"$'\n'; sync; mp+="$(ceiling --part-size $((8 << 20)) "$@")"$'\n'
  done
  row "$name" "$sf" "$pe" "$put" "$mp"
}
SINGLE=(--streams 1 --size $((SINGLE_MB << 20)))
MULTI=(--streams "$STREAMS" --size $((MULTI_MB << 20)))
# One unmeasured round of each first, so neither is measured before its JIT has compiled the upload path.
sessionflow "${MULTI[@]}" >/dev/null; peer "${MULTI[@]}" >/dev/null
GC_FROM=$(wc -l <"$WORK/ingest-gc.log")
{
  echo "scenario,sessionflow_mb_s,tus_s3_store_mb_s,ratio_to_tus,raw_s3_put_mb_s,ratio_to_raw_put," \
    "raw_s3_multipart_mb_s,ratio_to_raw_multipart,sessionflow_cpu_s_per_gb,tus_cpu_s_per_gb," \
    "store_cpu_s_per_gb_sessionflow,store_cpu_s_per_gb_tus,store_cpu_s_per_gb_raw_put,store_cpu_s_per_gb_raw_multipart," \
    "sessionflow_heap_peak_mib,sessionflow_rss_peak_mib,tus_heap_peak_mib,tus_rss_peak_mib," \
    "sessionflow_retried_requests,tus_retried_requests," \
    "sessionflow_runs_mb_s,tus_s3_store_runs_mb_s,raw_s3_put_runs_mb_s,raw_s3_multipart_runs_mb_s" | tr -d ' '
  scenario "1 stream x ${SINGLE_MB} MiB" "${SINGLE[@]}"
  scenario "$STREAMS streams x ${MULTI_MB} MiB" "${MULTI[@]}"
} > "$OUT/upload.csv"
# The heap the ingest still held after each collection while the measured runs went on: its memory in use.
LIVE_PEAK=$(tail -n +"$((GC_FROM + 1))" "$WORK/ingest-gc.log" | grep -oE '[0-9]+M->[0-9]+M' | sed 's/.*->//; s/M//' \
  | sort -n | tail -1)
OPS_TOKEN=$(token bench-ops ops)
BUFFER_PEAK=$(curl -sf -H "Authorization: Bearer $OPS_TOKEN" "$INGEST_BASE/metrics" \
  | awk '/^sessionflow_upload_buffer_peak_bytes/ {printf "%d", $2/1048576}')
{
  echo "# Upload throughput and CPU per GB"
  echo
  echo "Machine: $(cpu_model), $(nproc) cores. Code: commit \`$(code_version)\`. Command:"
  echo "\`ROUNDS=$ROUNDS bench/upload-bench.sh $SINGLE_MB $MULTI_MB $STREAMS\`"
  echo "(tus-js-client 4.3.1 for both servers, 8 MiB parts for both, the same S3Proxy; Sessionflow is the ingest"
  echo "stage jar alone, UPLOAD_MEMORY_BUDGET=$BUDGET, -Xmx${INGEST_HEAP:-1g}). Figures: the median of $ROUNDS runs"
  echo "each, the four taking turns (every run in upload.csv); peaks: the highest in any run. CPU s/GB: the"
  echo "process's user + system CPU seconds per 10^9 bytes uploaded, from /proc."
  echo
  echo "| scenario | Sessionflow MB/s | @tus/server + @tus/s3-store MB/s | ratio | raw S3 PUT MB/s | Sessionflow / PUT |" \
    "raw S3 multipart MB/s | Sessionflow / multipart | Sessionflow CPU s/GB | peer CPU s/GB |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  tail -n +2 "$OUT/upload.csv" | cut -d, -f1-10 | sed 's/^/| /; s/,/ | /g; s/$/ |/'
  echo
  echo "The store's process (the standalone's S3Proxy; its broker and pipeline stages also run there) in CPU s/GB"
  echo "written, and each server's memory:"
  echo
  echo "| scenario | store CPU s/GB for Sessionflow | for the peer | for the raw PUT | for the raw multipart |" \
    "Sessionflow heap peak MiB | Sessionflow RSS peak MiB | peer heap peak MiB | peer RSS peak MiB |" \
    "requests retried (Sessionflow, peer) |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  tail -n +2 "$OUT/upload.csv" | cut -d, -f1,11-20 | sed 's/^/| /; s/,/ | /g; s/$/ |/; s/ | \([0-9]*\) | \([0-9]*\) |$/ | \1, \2 |/'
  echo
  echo "Sessionflow's heap still in use after a collection, at most, over the measured runs: ${LIVE_PEAK} MiB"
  echo "(UPLOAD_MEMORY_BUDGET $BUDGET; its upload buffers' peak: ${BUFFER_PEAK} MiB). The heap peak above is what"
  echo "jstat saw between collections, garbage included."
  echo "Sessionflow encrypts every byte (AES-256-GCM), hashes it (SHA-256), keeps no byte on local disk and sends"
  echo "up to 4 parts of an upload at once while its memory budget can spare them; @tus/s3-store spools parts to"
  echo "local temp files in plaintext and sends several at once. The ceilings write the same bytes from memory"
  echo "with the AWS SDK for JavaScript."
} > "$OUT/upload.md"
cat "$OUT/upload.md"
