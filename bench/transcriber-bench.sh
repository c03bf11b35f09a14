#!/usr/bin/env bash
# Transcription figures for a 10-minute recording: decode, inference, pipeline overhead, and
# throughput with 1 and 2 slots. Optional: WHISPER_MODEL=/path/ggml-model.bin, WHISPER_GPU=true
# (with -Dio.github.givimad.whisperjni.libdir=... in MAVEN_OPTS for a CUDA build), BENCH_MINUTES.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B test -pl transcriber -am -Dexcluded.test.groups= -Dgroups=bench -Dtest=TranscriberBench \
  -Dsurefire.failIfNoSpecifiedTests=false -Dcheckstyle.skip -Dtest.output.to.file=false -Dbench.minutes="${BENCH_MINUTES:-10}" \
  -DargLine="-Dbench.minutes=${BENCH_MINUTES:-10}" 2>&1 | grep -E "^(recording|decode|throughput)" | tee bench/out/transcriber.txt
