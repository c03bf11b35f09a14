#!/usr/bin/env bash
# Time from upload complete (STORED) to audio purged, for COUNT recordings of SECONDS each, through
# a standalone on this machine (its generated stand-in model unless WHISPER_MODEL is set).
# Writes bench/out/e2e.md, e2e.json (the summary) and e2e.csv (per recording). Needs a built jar.
# Usage: bench/e2e-bench.sh [COUNT=100] [SECONDS=60] [SLOTS=1]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-100}; SECONDS_EACH=${2:-60}; SLOTS=${3:-1}
source bench/lib.sh
start_standalone --transcriber-slots "$SLOTS"
TOKEN=$(token bench-therapist)
CONSENT=$(consent "$TOKEN" bench-1 '["record","transcribe","analyze"]')
RESULT=$(node bench/node/e2e-bench.mjs --base "$BASE" --token "$TOKEN" --consent "$CONSENT" \
  --count "$COUNT" --seconds "$SECONDS_EACH" --csv "$OUT/e2e.csv")
echo "$RESULT" > "$OUT/e2e.json"
field() { json_field "$RESULT" "$1"; }
{
  echo "# Upload complete to audio purged"
  echo
  echo "Machine: $(cpu_model), $(nproc) cores. Code: commit \`$(code_version)\`."
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
