#!/usr/bin/env bash
# The benchmark report: builds the jar, runs every bench in turn on this machine and writes
# bench/report/REPORT.md, report.csv (one row per figure) and the per-recording and soak-sample CSVs.
# About an hour with the defaults (the soak alone is SOAK_MINUTES). Nothing else should run meanwhile.
# Usage: bench/report.sh            run everything, then assemble
#        bench/report.sh --assemble only assemble from the results already in bench/out
# Env: SOAK_MINUTES (30), E2E_COUNT (100), E2E_SECONDS (60), BENCH_SECONDS (encryption, 10)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "--assemble" ]; then
  ./mvnw -q -B package -DskipTests
  bench/encryption-bench.sh
  bench/upload-bench.sh
  bench/upload-profile.sh
  bench/upload-warmup.sh
  bench/transcriber-bench.sh
  bench/vad-bench.sh
  bench/e2e-bench.sh "${E2E_COUNT:-100}" "${E2E_SECONDS:-60}" 1
  bench/soak-bench.sh "${SOAK_MINUTES:-30}"
  bench/fairness-bench.sh 16 32
  bench/analyzer-bench.sh
  # The speech engine: on a GPU machine run bench/gpu-bench.sh there (after --prepare here) and put
  # its gpu-bench.md into bench/out; here it runs on the CPU.
  [ -f bench/out/gpu-bench.md ] || { bench/gpu-bench.sh --prepare && bench/gpu-bench.sh --cpu; }
fi
python3 bench/assemble-report.py
