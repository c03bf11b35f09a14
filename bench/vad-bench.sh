#!/usr/bin/env bash
# Voice-activity figures: a 10-minute recording of real utterances (pocketsphinx-testdata) with
# 40 % pauses, in fixed 30-s windows and in windows from speech (windows, Whisper inference, cuts
# inside speech, the model's throughput, heap); then boundaries, recall and cuts on the held-out
# set (transcriber/src/test/resources/vad/heldout.json, written blind) beside the tuning set.
# Writes bench/out/vad.md and bench/out/vad.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
./mvnw -q -B test -pl transcriber -am -Dexcluded.test.groups= -Dgroups=bench -Dtest=VadBench \
  -Dsurefire.failIfNoSpecifiedTests=false -Dcheckstyle.skip -Dtest.output.to.file=false 2>&1 \
  | grep -E "^(recording|vad|fixed 30 s|from speech|inference|tuning|held-out)" > bench/out/vad.txt
python3 - "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" "$(nproc)" <<'PY'
import re, sys
text = open("bench/out/vad.txt").read()
num = lambda pattern: re.search(pattern, text).group(1)
rows = [("pauses_percent", num(r"utterances, ([\d.]+) % pauses")),
        ("vad_audio_s_per_cpu_s", num(r"= (\d+) audio s per CPU s")),
        ("vad_one_lane_audio_s_per_cpu_s", num(r"frame after frame: (\d+)\)")),
        ("windows_fixed", num(r"fixed 30 s: (\d+) windows")),
        ("windows_from_speech", num(r"from speech: (\d+) windows")),
        ("cuts_inside_speech_fixed_percent", num(r"fixed 30 s: .*?\(([\d.]+) %\)")),
        ("cuts_inside_speech_from_speech_percent", num(r"from speech: .*?\(([\d.]+) %\)")),
        ("heap_peak_fixed_mib", num(r"fixed 30 s: .*heap peak \+([\d.]+) MiB")),
        ("heap_peak_from_speech_mib", num(r"from speech: .*heap peak \+([\d.]+) MiB")),
        ("inference_less_percent_100_tokens", num(r"100 tokens per window\): .*= ([\d.-]+) % less")),
        ("inference_less_percent_pipeline", num(r"as the pipeline decodes\): .*= ([\d.-]+) % less"))]
with open("bench/out/vad.csv", "w") as csv:
    csv.write("what,value\n" + "".join(f"{k},{v}\n" for k, v in rows))
with open("bench/out/vad.md", "w") as md:
    md.write("# Voice activity\n\n")
    md.write(f"Machine: {sys.argv[1]}, {sys.argv[2]} cores. Command: `bench/vad-bench.sh`.\n\n```\n{text}```\n\n")
    md.write("| what | value |\n| --- | --- |\n" + "".join(f"| {k} | {v} |\n" for k, v in rows))
PY
cat bench/out/vad.md
