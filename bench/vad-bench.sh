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
grep -q "^held-out-2 all" bench/out/vad.txt || { echo "vad-bench: the run printed no figures (see mvn output)" >&2; exit 1; }
python3 - "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" "$(nproc)" <<'PY'
import re, sys
text = open("bench/out/vad.txt").read()
num = lambda pattern: re.search(pattern, text).group(1)
rows = [("pauses_percent", num(r"utterances, ([\d.]+) % pauses")),
        ("vad_audio_s_per_cpu_s", num(r"= (\d+) audio s per CPU s")),
        ("vad_one_lane_audio_s_per_cpu_s", num(r"frame after frame: (\d+)\)")),
        ("windows_fixed", num(r"fixed 30 s: (\d+) windows")),
        ("windows_from_speech", num(r"from speech: (\d+) windows")),
        ("windows_from_speech_max_silence_1s", num(r"VAD_MAX_SILENCE=1s: (\d+) windows")),
        ("cuts_inside_speech_fixed_percent", num(r"fixed 30 s: .*?\(([\d.]+) %\)")),
        ("cuts_inside_speech_from_speech_percent", num(r"from speech: .*?\(([\d.]+) %\)")),
        ("heap_peak_fixed_mib", num(r"fixed 30 s: .*heap peak \+([\d.]+) MiB")),
        ("heap_peak_from_speech_mib", num(r"from speech: .*heap peak \+([\d.]+) MiB")),
        ("inference_less_percent_100_tokens", num(r"100 tokens per window\): .*? = ([\d.-]+) % less")),
        ("inference_less_percent_100_tokens_max_silence_1s", num(r"100 tokens per window\): .*1s [\d.]+ s = ([\d.-]+) % less")),
        ("inference_less_percent_pipeline", num(r"as the pipeline decodes\): .*? = ([\d.-]+) % less")),
        ("inference_less_percent_pipeline_max_silence_1s", num(r"as the pipeline decodes\): .*1s [\d.]+ s = ([\d.-]+) % less"))]
for name in ("tuning", "held-out-2", "held-out-1"):
    line = re.search(rf"^{name} all: (.*)$", text, re.M).group(1)
    key = name.replace("-", "_")
    rows += [(f"{key}_starts_within_150ms_percent", re.search(r"starts within 150 ms ([\d.]+) %", line).group(1)),
             (f"{key}_ends_within_150ms_percent", re.search(r"ends within 150 ms ([\d.]+) %", line).group(1)),
             (f"{key}_speech_time_sent_percent", re.search(r"sent to Whisper ([\d.]+) %", line).group(1)),
             (f"{key}_cuts_inside_speech", re.search(r"cuts inside speech (\d+ of \d+)", line).group(1)),
             (f"{key}_no_speech_recordings_ended_no_speech", (lambda m: f"{m.group(2)} of {m.group(1)}" if m else "none in the set")(
                 re.search(r"no-speech recordings (\d+), ended 'no speech' (\d+)", line)))]
with open("bench/out/vad.csv", "w") as csv:
    csv.write("what,value\n" + "".join(f"{k},{v}\n" for k, v in rows))
with open("bench/out/vad.md", "w") as md:
    md.write("# Voice activity\n\n")
    md.write(f"Machine: {sys.argv[1]}, {sys.argv[2]} cores. Command: `bench/vad-bench.sh`.\n\n```\n{text}```\n\n")
    md.write("| what | value |\n| --- | --- |\n" + "".join(f"| {k} | {v} |\n" for k, v in rows))
PY
cat bench/out/vad.md
