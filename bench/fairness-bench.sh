#!/usr/bin/env bash
# Fairness of the upload memory budget: one noisy practice holds STREAMS slow uploads (a little of each
# body sent, then nothing) while a quiet practice uploads QUIET_MB with tus. Prints the quiet upload's
# time alone and while the noise holds its memory, with the fair shares (the default) and with them off
# (--upload-memory-practice-share 100 --upload-memory-user-share 100 --upload-memory-reserve 0: one
# pool, as before). Writes bench/out/fairness.md and bench/out/fairness.csv.
# Usage: [ROUNDS=3] [BUDGET=128MiB] [CAP=90] bench/fairness-bench.sh [STREAMS=16] [QUIET_MB=8]
set -euo pipefail
cd "$(dirname "$0")/.."
STREAMS=${1:-16}; QUIET_MB=${2:-8}; ROUNDS=${ROUNDS:-3}; BUDGET=${BUDGET:-128MiB}; CAP=${CAP:-90}
source bench/lib.sh
# Idle connections are cut after 30 s, so without fairness the quiet upload waits about that long.
COMMON=(--upload-memory-budget "$BUDGET" --http-idle-timeout 30s --limit-user-uploads $((STREAMS + 8))
  --limit-practice-uploads $((STREAMS + 64)))
token_for() { java -jar "$JAR" token --data-dir "$WORK/data" --subject "$1" --role therapist --practice "$2" 2>/dev/null; }
run() { # name, serve options...: one JSON line
  local name=$1; shift
  start_standalone "${COMMON[@]}" "$@"
  local noisy quiet
  noisy=$(token_for noisy-therapist noisy-practice); quiet=$(token_for quiet-therapist quiet-practice)
  node bench/node/fairness.mjs --base "$BASE" --noisy-token "$noisy" --noisy-consent "$(consent "$noisy" n-1 '["record"]')" \
    --quiet-token "$quiet" --quiet-consent "$(consent "$quiet" q-1 '["record"]')" --ops-token "$(token bench-ops ops)" \
    --streams "$STREAMS" --size $((QUIET_MB << 20)) --rounds "$ROUNDS" --cap "$CAP" | sed "s/^{/{\"config\":\"$name\",/"
  kill "$SF_PID"; wait "$SF_PID" 2>/dev/null || true; SF_PID=
}
FAIR=$(run fair)
ONE_POOL=$(run one-pool --upload-memory-practice-share 100 --upload-memory-user-share 100 --upload-memory-reserve 0)
python3 - "$OUT" "$FAIR" "$ONE_POOL" <<'PY'
import json, sys
out, runs = sys.argv[1], [json.loads(a) for a in sys.argv[2:]]
fmt = lambda x: "timed out" if x is None else f"{x:.2f}"
with open(f"{out}/fairness.csv", "w") as csv:
    csv.write("config,streams,quiet_bytes,noisy_held_mib,noisy_waiting,alone_median_s,noisy_median_s,alone_runs_s,noisy_runs_s\n")
    for r in runs:
        csv.write(",".join(str(v) for v in [r["config"], r["streams"], r["size"], r["noisyHeldMib"], r["noisyWaiting"],
            r["aloneMedian"], r["noisyMedian"], " ".join(map(str, r["aloneSeconds"])), " ".join(map(str, r["noisySeconds"]))]) + "\n")
PY
{
  echo "# Upload fairness between practices"
  echo
  echo "Machine: $(cpu_model), $(nproc) cores. Code: commit \`$(code_version)\`. Command:"
  echo "\`ROUNDS=$ROUNDS BUDGET=$BUDGET CAP=$CAP bench/fairness-bench.sh $STREAMS $QUIET_MB\`"
  echo "(standalone, 8 MiB parts, a $BUDGET upload memory budget, idle connections cut after 30 s). A noisy practice"
  echo "opens $STREAMS PATCHes that send 64 KiB and then hold; a quiet practice uploads $QUIET_MB MiB (tus create + PATCH)"
  echo "$ROUNDS times alone and $ROUNDS times while the noise holds its memory (medians; a run past ${CAP} s counts as timed out)."
  echo
  echo "| budget sharing | noisy streams | noise holds MiB | noisy streams waiting | quiet upload alone s | quiet upload under noise s |"
  echo "| --- | --- | --- | --- | --- | --- |"
  tail -n +2 "$OUT/fairness.csv" | while IFS=, read -r config streams _ held waiting alone noisy _; do
    label=$([ "$config" = fair ] && echo "fair shares (default)" || echo "one pool (shares off)")
    echo "| $label | $streams | $held | $waiting | $alone | $noisy |"
  done
} > "$OUT/fairness.md"
cat "$OUT/fairness.md"
