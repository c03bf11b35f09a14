#!/usr/bin/env bash
# The whole analyzer's speed on a 60-minute session (900 segments by default): pseudonymisation (rules
# and the trained tagger), the model's reading of every turn, flags, techniques and notes, in one fresh
# JVM pinned to one core (taskset) after a warm-up. Run it on an idle machine; the figures say nothing
# under load. Writes bench/out/analyzer.md (a section of bench/report/REPORT.md).
# Usage: bench/analyzer-bench.sh [SEGMENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -pl analyzer -am test-compile -Dcheckstyle.skip
./mvnw -q -pl analyzer dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt >/dev/null
mkdir -p bench/out
header="commit $(git rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$header"
result=$(taskset -c 0 java -Xmx1g -XX:ActiveProcessorCount=1 \
  -cp "analyzer/target/test-classes:analyzer/target/classes:language/target/classes:common/target/classes:$(cat analyzer/target/bench-classpath.txt)" \
  io.sessionflow.analyzer.bench.AnalyzerBench language/data/train/sessions.txt "${1:-900}")
echo "$result"
{
  echo "# Analysis on one core"
  echo
  echo "\`bench/analyzer-bench.sh\` at $header: the whole analyzer (pseudonymisation, the trained model's reading of"
  echo "every turn, flags, techniques, notes) on a 60-minute session built from the training sessions' turns."
  echo "Target (issue 16): <= 3 s, model load <= 2 s."
  echo
  echo '```'
  echo "$result"
  echo '```'
} > bench/out/analyzer.md
