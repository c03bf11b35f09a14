#!/usr/bin/env bash
# Transcription figures for a 10-minute recording: decode, inference, pipeline overhead, and
# throughput with 1 and 2 slots. Optional: WHISPER_MODEL=/path/ggml-model.bin, WHISPER_GPU=true
# (with WHISPER_LIBRARY_DIR naming a CUDA build of transcriber/native/build.sh), BENCH_MINUTES.
# Writes bench/out/transcriber.md and bench/out/transcriber.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
./mvnw -q -B test -pl transcriber -am -Dexcluded.test.groups= -Dgroups=bench -Dtest=TranscriberBench \
  -Dsurefire.failIfNoSpecifiedTests=false -Dcheckstyle.skip -Dtest.output.to.file=false -Dbench.minutes="${BENCH_MINUTES:-10}" \
  -DargLine="-Dbench.minutes=${BENCH_MINUTES:-10}" 2>&1 | grep -E "^(recording|decode|engine|throughput)" > bench/out/transcriber.txt
python3 - "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" "$(nproc)" <<'PY'
import re, sys
text = open("bench/out/transcriber.txt").read()
num = lambda pattern: re.search(pattern, text).group(1)
rows = [("decode_resample_s", num(r"decode\+resample: ([\d.]+) s")),
        ("direct_binding_s", num(r"direct binding\): ([\d.]+) s")),
        ("direct_audio_s_per_s", num(r"direct audio s per s: ([\d.]+)")),
        ("tokens_decoded", num(r"tokens decoded: (\d+)")),
        ("fixed_100_tokens_audio_s_per_s", num(r"window: [\d.]+ s = ([\d.]+) audio s per s")),
        ("whole_job_through_pipeline_s", num(r"through the pipeline: ([\d.]+) s")),
        ("pipeline_overhead_x", num(r"pipeline overhead: ([\d.]+)x")),
        ("real_time_factor", num(r"real-time factor: ([\d.]+)"))]
rows += [(f"audio_minutes_per_minute_{slots}_slots", rate)
         for slots, rate in re.findall(r"with (\d+) slot\(s\): .*= ([\d.]+) audio-minutes", text)]
with open("bench/out/transcriber.csv", "w") as csv:
    csv.write("what,value\n" + "".join(f"{k},{v}\n" for k, v in rows))
with open("bench/out/transcriber.md", "w") as md:
    md.write("# Transcription\n\n")
    md.write(f"Machine: {sys.argv[1]}, {sys.argv[2]} cores. Command: `bench/transcriber-bench.sh`.\n")
    md.write(text.splitlines()[0].replace("recording:", "Recording:") + ".\n")
    md.write("Engine: " + re.search(r"engine: (.*?) \| tokens", text).group(1) + ".\n\n| what | value |\n| --- | --- |\n")
    md.write("".join(f"| {k} | {v} |\n" for k, v in rows))
PY
cat bench/out/transcriber.md
