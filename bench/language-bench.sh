#!/usr/bin/env bash
# The language module's encoder speed (issue 16's target: ~900 utterances of a 60-minute session in
# <= 3 s on one core, model load <= 2 s): one fresh JVM pinned to one core (taskset), 900 utterances
# encoded one after another after a warm-up. Run it on an idle machine; the figures say nothing under load.
# Usage: bench/language-bench.sh [UTTERANCES]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -pl language compile
./mvnw -q -pl language dependency:build-classpath -Dmdep.outputFile=target/train-classpath.txt >/dev/null
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
taskset -c 0 java -Xmx1g -XX:ActiveProcessorCount=1 \
  -cp "language/target/classes:$(cat language/target/train-classpath.txt)" \
  io.sessionflow.language.train.EncoderBench language/data/train/sessions.txt "${1:-900}"
