#!/usr/bin/env bash
# Soak: MINUTES of a steady mix of uploads (tus in small PATCHes, one-shot POSTs, abandoned and
# terminated tus uploads, clinic imports, reads) through a standalone with a 1 GiB heap, sampling
# its heap (after a full collection once a minute), resident memory, open file descriptors and
# threads. Writes bench/out/soak.md and the samples to bench/out/soak.csv.
# Usage: bench/soak-bench.sh [MINUTES=30] [EVERY_SECONDS=4]
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-30}; EVERY=${2:-4}
SF_HEAP=1g
source bench/lib.sh
start_standalone --transcriber-slots 1
TOKEN=$(token soak-therapist)
ADMIN=$(token soak-admin clinic-admin)
CONSENT=$(consent "$TOKEN" soak-client-1 '["record","transcribe","analyze"]')
RESULT=$(node bench/node/soak.mjs --base "$BASE" --pid "$SF_PID" --token "$TOKEN" --admin-token "$ADMIN" \
  --ops-token "$(token soak-ops ops)" --consent "$CONSENT" --client-ref soak-client-1 --minutes "$MINUTES" \
  --every "$EVERY" --csv "$OUT/soak.csv")
echo "$RESULT" > "$OUT/soak.json"
python3 - "$RESULT" "$MINUTES" "$EVERY" "$(cpu_model)" "$(nproc)" > "$OUT/soak.md" <<'PY'
import json, sys
r, minutes, every, cpu, cores = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
print("# Soak\n")
print(f"Machine: {cpu}, {cores} cores. Command: `bench/soak-bench.sh {minutes} {every}` (standalone, 1 GiB heap,")
print(f"one operation every {every} s in turn: tus upload of 20 s in 256 KiB PATCHes, POST of 10 s, tus upload")
print("abandoned halfway and terminated, clinic import of three 5 s recordings, reads, POST of 10 s).\n")
print(f"Operations: {r['opsStarted']}; recordings: {r['recordings']} — {r['analyzedAndPurged']} analyzed with audio purged,"
      f" {r['failed']} failed, {r['pending']} still pending 15 min after the mix stopped; terminated uploads:"
      f" {r['terminatedUploads']}, {r['leftBehind']} left behind; client-side errors: {r['errors']}.\n")
print("Sampled every 10 s (heap after a full collection once a minute); first to last and slope after a warm-up of")
print(f"{r['warmUpSeconds']} s:\n")
print("| what | first | last | min | max | slope per hour |")
print("| --- | --- | --- | --- | --- | --- |")
for key, label in [("heapAfterGcMib", "heap after full GC (MiB)"), ("rssMib", "resident memory (MiB)"),
                   ("fds", "open file descriptors"), ("threads", "threads")]:
    v = r[key]
    print(f"| {label} | {v['first']} | {v['last']} | {v['min']} | {v['max']} | {v['slopePerHour']} |")
print(f"\nHeap used peak (between collections): {r['heapUsedPeakMib']} MiB. Samples: soak.csv.")
if r["heapGrowthByClass"]:
    print("\nGrew most on the heap from the end of the warm-up to the end of the run (live objects after a full")
    print("collection, `jcmd GC.class_histogram`):\n")
    print("| class | KiB |")
    print("| --- | --- |")
    for g in r["heapGrowthByClass"]:
        print(f"| `{g['name']}` | {g['kib']} |")
for e in r["firstErrors"]:
    print(f"\nError: {e}")
PY
cat "$OUT/soak.md"
