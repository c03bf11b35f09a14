#!/usr/bin/env bash
# Upload throughput: tus-js-client against Sessionflow standalone, the same client against
# @tus/server + @tus/s3-store writing to the same embedded S3Proxy, and the same bytes PUT straight to
# that S3Proxy (the ceiling). One stream and STREAMS at once; each server's peak heap and resident
# memory while its uploads run. Writes bench/out/upload.md and bench/out/upload.csv.
# Each figure is the median of ROUNDS runs (default 5), the three taking turns; all runs are in the CSV.
# Usage: [ROUNDS=5] bench/upload-bench.sh [SINGLE_SIZE_MB=64] [MULTI_SIZE_MB=8] [STREAMS=32]
set -euo pipefail
cd "$(dirname "$0")/.."
SINGLE_MB=${1:-64}; MULTI_MB=${2:-8}; STREAMS=${3:-32}; ROUNDS=${ROUNDS:-5}
source bench/lib.sh
start_standalone
TOKEN=$(token bench-therapist)
CONSENT=$(consent "$TOKEN" bench-1 '["record"]')
S3=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["s3Endpoint"])' "$WORK/data/instance.json")
ACCESS=$(grep accessKey "$WORK/data/secrets/s3-credentials.properties" | cut -d= -f2)
SECRET=$(grep secretKey "$WORK/data/secrets/s3-credentials.properties" | cut -d= -f2)
# The peer's bucket, created through Sessionflow's own S3 credentials; the ceiling writes there too.
curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS:$SECRET" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$S3/tus-bench" >/dev/null
PEER_PORT=$(free_port)
PORT=$PEER_PORT S3_ENDPOINT=$S3 S3_ACCESS_KEY=$ACCESS S3_SECRET_KEY=$SECRET S3_BUCKET=tus-bench \
  PART_SIZE=$((8 * 1024 * 1024)) node bench/node/tus-s3-server.mjs >"$WORK/peer.out" 2>&1 &
PEER_PID=$!; EXTRA_PIDS+=("$PEER_PID")
for _ in $(seq 1 100); do grep -q listening "$WORK/peer.out" 2>/dev/null && break; sleep 0.1; done

sessionflow() {
  node bench/node/tus-bench.mjs --endpoint "$BASE/files/" --token "$TOKEN" --consent "$CONSENT" \
    --pid "$SF_PID" --jvm "$@"
}
peer() {
  node bench/node/tus-bench.mjs --endpoint "http://127.0.0.1:$PEER_PORT/files" --pid "$PEER_PID" \
    --node-memory "http://127.0.0.1:$PEER_PORT/memory" "$@"
}
ceiling() {
  NODE_NO_WARNINGS=1 node bench/node/s3-put-bench.mjs --endpoint "$S3" --access-key "$ACCESS" --secret-key "$SECRET" --bucket tus-bench "$@"
}
row() { # scenario, then ROUNDS JSON results of each of the three, one per line
  python3 - "$@" <<'PY'
import json, sys
scenario, runs = sys.argv[1], [[json.loads(line) for line in arg.splitlines()] for arg in sys.argv[2:]]
def median(results):
    # The run with the median rate (an odd count): its own figures, not a mix of runs.
    return sorted(results, key=lambda r: r["mbPerSecond"])[len(results) // 2]
sf, peer, raw = (median(r) for r in runs)
# Peaks are the highest seen in any run.
sf_heap, sf_rss = (max(r[k] for r in runs[0]) for k in ("heapPeakMib", "rssPeakMib"))
peer_heap, peer_rss = (max(r[k] for r in runs[1]) for k in ("heapPeakMib", "rssPeakMib"))
print(",".join(str(v) for v in [scenario, sf["mbPerSecond"], peer["mbPerSecond"],
    f"{sf['mbPerSecond'] / peer['mbPerSecond']:.2f}", raw["mbPerSecond"], f"{sf['mbPerSecond'] / raw['mbPerSecond']:.2f}",
    sf_heap, sf_rss, peer_heap, peer_rss,
    " ".join(str(r["mbPerSecond"]) for r in runs[0]), " ".join(str(r["mbPerSecond"]) for r in runs[1]),
    " ".join(str(r["mbPerSecond"]) for r in runs[2])]))
PY
}
# scenario NAME ARGS...: each of the three, ROUNDS times, taking turns so they see the same machine.
scenario() {
  local name=$1; shift
  local sf="" pe="" ce=""
  for _ in $(seq 1 "$ROUNDS"); do
    sf+="$(sessionflow "$@")"$'\n'; pe+="$(peer "$@")"$'\n'; ce+="$(ceiling "$@")"$'\n'
  done
  row "$name" "$sf" "$pe" "$ce"
}
SINGLE=(--streams 1 --size $((SINGLE_MB << 20)))
MULTI=(--streams "$STREAMS" --size $((MULTI_MB << 20)))
{
  echo "scenario,sessionflow_mb_s,tus_s3_store_mb_s,ratio_to_tus,raw_s3_put_mb_s,ratio_to_raw_put," \
    "sessionflow_heap_peak_mib,sessionflow_rss_peak_mib,tus_heap_peak_mib,tus_rss_peak_mib," \
    "sessionflow_runs_mb_s,tus_s3_store_runs_mb_s,raw_s3_put_runs_mb_s" | tr -d ' '
  scenario "1 stream x ${SINGLE_MB} MiB" "${SINGLE[@]}"
  scenario "$STREAMS streams x ${MULTI_MB} MiB" "${MULTI[@]}"
} > "$OUT/upload.csv"
BUFFER_PEAK=$(curl -sf -H "Authorization: Bearer $(token bench-ops ops)" "$BASE/metrics" | awk '/^sessionflow_upload_buffer_peak_bytes/ {printf "%d", $2/1048576}')
{
  echo "# Upload throughput"
  echo
  echo "Machine: $(cpu_model), $(nproc) cores. Code: commit \`$(code_version)\`. Command:"
  echo "\`ROUNDS=$ROUNDS bench/upload-bench.sh $SINGLE_MB $MULTI_MB $STREAMS\`"
  echo "(tus-js-client 4.3.1 for both servers, 8 MiB parts for both, the same S3Proxy). Rates: the median of"
  echo "$ROUNDS runs each, taking turns (every run in upload.csv); peaks: the highest in any run."
  echo
  echo "| scenario | Sessionflow MB/s | @tus/server + @tus/s3-store MB/s | ratio | raw S3 PUT MB/s (ceiling) |" \
    "Sessionflow / ceiling | Sessionflow heap peak MiB | Sessionflow RSS peak MiB | peer heap peak MiB |" \
    "peer RSS peak MiB |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  tail -n +2 "$OUT/upload.csv" | cut -d, -f1-10 | sed 's/^/| /; s/,/ | /g; s/$/ |/'
  echo
  echo "Sessionflow's upload buffer peak: ${BUFFER_PEAK} MiB. Its JVM also hosts the embedded Kafka broker and"
  echo "S3Proxy (which serves the peer's and the ceiling's writes too), so its RSS is the whole standalone's."
  echo "Sessionflow encrypts every byte (AES-256-GCM; the cipher is warmed up at start), keeps no byte on local disk and has at most one part"
  echo "in flight per upload; @tus/s3-store spools parts to local temp files in plaintext and sends several"
  echo "at once. The ceiling PUTs the same bytes from memory with the AWS SDK for JavaScript."
} > "$OUT/upload.md"
cat "$OUT/upload.md"
