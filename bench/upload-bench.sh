#!/usr/bin/env bash
# Upload throughput: tus-js-client against Sessionflow standalone, and the same client against
# @tus/server + @tus/s3-store writing to the same embedded S3Proxy. Prints a table and writes
# bench/out/upload.md and bench/out/upload.csv. Needs a built jar (./mvnw -q package -DskipTests).
# Usage: bench/upload-bench.sh [SINGLE_SIZE_MB=64] [MULTI_SIZE_MB=8] [STREAMS=32]
set -euo pipefail
cd "$(dirname "$0")/.."
SINGLE_MB=${1:-64}; MULTI_MB=${2:-8}; STREAMS=${3:-32}
JAR=standalone/target/sessionflow.jar
[ -f "$JAR" ] || { echo "build first: ./mvnw -q package -DskipTests" >&2; exit 2; }
(cd bench/node && [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null)
WORK=$(mktemp -d); OUT=bench/out; mkdir -p "$OUT"
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
PEER_PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cleanup() { kill "${SF_PID:-}" "${PEER_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

java -Xmx2g -jar "$JAR" serve --data-dir "$WORK/data" --port "$PORT" >"$WORK/sf.out" 2>"$WORK/sf.err" &
SF_PID=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.1; done
TOKEN=$(java -jar "$JAR" token --data-dir "$WORK/data" --subject bench-therapist 2>/dev/null)
CONSENT=$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"clientRef":"bench-1","scope":["record"],"formVersion":"v1","capturedAt":"2026-01-01T00:00:00Z"}' \
  "http://127.0.0.1:$PORT/v1/consents" | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
S3=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["s3Endpoint"])' "$WORK/data/instance.json")
ACCESS=$(grep accessKey "$WORK/data/secrets/s3-credentials.properties" | cut -d= -f2)
SECRET=$(grep secretKey "$WORK/data/secrets/s3-credentials.properties" | cut -d= -f2)
# The peer's bucket, created through Sessionflow's own S3 credentials.
curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS:$SECRET" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$S3/tus-bench" >/dev/null
(cd bench/node && PORT=$PEER_PORT S3_ENDPOINT=$S3 S3_ACCESS_KEY=$ACCESS S3_SECRET_KEY=$SECRET S3_BUCKET=tus-bench \
  PART_SIZE=$((8 * 1024 * 1024)) node tus-s3-server.mjs >"$WORK/peer.out" 2>&1) &
PEER_PID=$!
for _ in $(seq 1 100); do grep -q listening "$WORK/peer.out" 2>/dev/null && break; sleep 0.1; done

run() { (cd bench/node && node tus-bench.mjs "$@"); }
mbps() { python3 -c 'import json,sys;print(json.loads(sys.argv[1])["mbPerSecond"])' "$1"; }
SF1=$(run --endpoint "http://127.0.0.1:$PORT/files/" --token "$TOKEN" --consent "$CONSENT" --streams 1 --size $((SINGLE_MB<<20)))
PE1=$(run --endpoint "http://127.0.0.1:$PEER_PORT/files" --streams 1 --size $((SINGLE_MB<<20)))
SFN=$(run --endpoint "http://127.0.0.1:$PORT/files/" --token "$TOKEN" --consent "$CONSENT" --streams "$STREAMS" --size $((MULTI_MB<<20)))
PEN=$(run --endpoint "http://127.0.0.1:$PEER_PORT/files" --streams "$STREAMS" --size $((MULTI_MB<<20)))
SF_PEAK=$(curl -sf "http://127.0.0.1:$PORT/metrics" | awk '/^sessionflow_upload_buffer_peak_bytes/ {printf "%d", $2/1048576}')

ratio() { python3 -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}')"; }
{
  echo "scenario,sessionflow_mb_s,tus_s3_store_mb_s,ratio"
  echo "1 stream x ${SINGLE_MB} MiB,$(mbps "$SF1"),$(mbps "$PE1"),$(ratio "$(mbps "$SF1")" "$(mbps "$PE1")")"
  echo "$STREAMS streams x ${MULTI_MB} MiB,$(mbps "$SFN"),$(mbps "$PEN"),$(ratio "$(mbps "$SFN")" "$(mbps "$PEN")")"
} > "$OUT/upload.csv"
{
  echo "# Upload throughput ($(date -u +%Y-%m-%d), $(nproc) cores, tus-js-client 4.3.1, same S3Proxy)"
  echo
  echo "| scenario | Sessionflow (encrypts) MB/s | @tus/server + @tus/s3-store MB/s | ratio |"
  echo "| --- | --- | --- | --- |"
  tail -n +2 "$OUT/upload.csv" | sed 's/^/| /; s/,/ | /g; s/$/ |/'
  echo
  echo "Sessionflow upload buffer peak: ${SF_PEAK} MiB. Both servers share the machine with the embedded Kafka"
  echo "broker and S3Proxy. Sessionflow encrypts every byte (AES-256-GCM), keeps no byte on local disk and at"
  echo "most one part in flight per upload; @tus/s3-store spools parts to local temp files and sends several at once."
} > "$OUT/upload.md"
cat "$OUT/upload.md"
