#!/usr/bin/env bash
# Trains the analyzer's heads from language/data/train on all-MiniLM-L6-v2 features and writes them to
# language/src/main/resources/io/sessionflow/language/heads.bin (committed; the analyzer loads it).
# Deterministic: the same data gives the same file (the script prints its SHA-256). Prints the
# validation-split figures it chose the risk thresholds on. Usage: bench/train-analyzer.sh [OUT_FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-language/src/main/resources/io/sessionflow/language/heads.bin}
./mvnw -q -pl language compile
./mvnw -q -pl language dependency:build-classpath -Dmdep.outputFile=target/train-classpath.txt >/dev/null
java -Xmx4g -cp "language/target/classes:$(cat language/target/train-classpath.txt)" \
  io.sessionflow.language.train.TrainHeads language/data/train "$OUT"
