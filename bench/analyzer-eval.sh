#!/usr/bin/env bash
# Precision, recall and F1 of the analyzer on its labelled sets (identifiers by type, risk flags
# by category and variant, technique codes), and on the held-out sets it was not tuned on.
# Writes bench/out/analyzer-eval.txt. The same evaluation runs in the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
./mvnw -q -B test -pl analyzer -am -Dtest='AnalyzerEvaluationTest' -Dsurefire.failIfNoSpecifiedTests=false \
  -Dcheckstyle.skip -Dtest.output.to.file=false 2>&1 | grep -vE "^\s+(missed|false|coded)|^\[|^[0-9]{2}:" | tee bench/out/analyzer-eval.txt
