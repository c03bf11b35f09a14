#!/usr/bin/env bash
# Time from upload complete (STORED) to audio purged, for COUNT recordings of SECONDS each, through
# a standalone on this machine (its generated stand-in model unless WHISPER_MODEL is set).
# Writes bench/out/e2e.md and bench/out/e2e.csv. Needs a built jar (./mvnw -q package -DskipTests).
# Usage: bench/e2e-bench.sh [COUNT=100] [SECONDS=60] [SLOTS=1]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-100}; SECONDS_EACH=${2:-60}; SLOTS=${3:-1}
JAR=standalone/target/sessionflow.jar
[ -f "$JAR" ] || { echo "build first: ./mvnw -q package -DskipTests" >&2; exit 2; }
WORK=$(mktemp -d); OUT=bench/out; mkdir -p "$OUT"
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cleanup() { kill "${SF_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
java -Xmx2g -jar "$JAR" serve --data-dir "$WORK/data" --port "$PORT" --transcriber-slots "$SLOTS" \
  >"$WORK/sf.out" 2>"$WORK/sf.err" &
SF_PID=$!
for _ in $(seq 1 900); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.1; done
TOKEN=$(java -jar "$JAR" token --data-dir "$WORK/data" --subject bench-therapist 2>/dev/null)
CONSENT=$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"clientRef":"bench-1","scope":["record","transcribe","analyze"],"formVersion":"v1","capturedAt":"2026-01-01T00:00:00Z"}' \
  "http://127.0.0.1:$PORT/v1/consents" | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
RESULT=$(node bench/node/e2e-bench.mjs --base "http://127.0.0.1:$PORT" --token "$TOKEN" --consent "$CONSENT" \
  --count "$COUNT" --seconds "$SECONDS_EACH" --csv "$OUT/e2e.csv")
field() { python3 -c 'import json,sys;print(json.loads(sys.argv[1])[sys.argv[2]])' "$RESULT" "$1"; }
{
  echo "# Upload complete to audio purged"
  echo
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores."
  echo "Command: \`bench/e2e-bench.sh $COUNT $SECONDS_EACH $SLOTS\` (standalone, ${SLOTS} transcription slot(s),"
  echo "model: ${WHISPER_MODEL:-generated stand-in with random weights})."
  echo
  echo "| recordings | seconds each | uploads took | all purged after | p50 stored→purged | p95 | max |" \
    "p50 transcript→purged | p95 |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  echo "| $(field recordings) | $(field secondsEach) | $(field uploadSeconds) s | $(field totalSeconds) s |" \
    "$(field p50) s | $(field p95) s | $(field max) s | $(field purgeP50) s | $(field purgeP95) s |"
  echo
  echo "All recordings are uploaded first, so the later ones wait in the transcription queue: p95 is"
  echo "mostly queueing behind the slots, p50 half of it. Per-recording times are in e2e.csv."
} > "$OUT/e2e.md"
cat "$OUT/e2e.md"
