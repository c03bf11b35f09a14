#!/usr/bin/env python3
"""Builds bench/report/REPORT.md and bench/report/report.csv from what the bench scripts left in
bench/out, and copies their per-item CSVs beside them. Run by bench/report.sh."""
import csv
import datetime
import json
import pathlib
import platform
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
REPORT = ROOT / "bench" / "report"
SECTIONS = ["upload", "encryption", "transcriber", "e2e", "soak"]
# Included when their bench has run (bench/report.sh runs them too).
OPTIONAL = ["upload-profile", "upload-warmup", "fairness", "analyzer", "gpu-bench", "vad"]


def rows(name):
    with open(OUT / f"{name}.csv", newline="") as f:
        return list(csv.DictReader(f))


def command(*args):
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT).stdout.strip()


def figures():
    """(area, figure, value, unit) for the summary table and report.csv."""
    out = []
    for r in rows("upload"):
        s = r["scenario"]
        out += [("ingest", f"{s}: Sessionflow", r["sessionflow_mb_s"], "MB/s"),
                ("ingest", f"{s}: @tus/server + @tus/s3-store", r["tus_s3_store_mb_s"], "MB/s"),
                ("ingest", f"{s}: Sessionflow / @tus/s3-store", r["ratio_to_tus"], "ratio"),
                ("ingest", f"{s}: raw S3 PUT (ceiling)", r["raw_s3_put_mb_s"], "MB/s"),
                ("ingest", f"{s}: Sessionflow / raw S3 PUT", r["ratio_to_raw_put"], "ratio"),
                ("ingest", f"{s}: raw S3 multipart, 8 MiB parts", r["raw_s3_multipart_mb_s"], "MB/s"),
                ("ingest", f"{s}: Sessionflow / raw S3 multipart", r["ratio_to_raw_multipart"], "ratio"),
                ("ingest", f"{s}: Sessionflow ingest CPU", r["sessionflow_cpu_s_per_gb"], "CPU s/GB"),
                ("ingest", f"{s}: @tus/server CPU", r["tus_cpu_s_per_gb"], "CPU s/GB"),
                ("ingest", f"{s}: Sessionflow heap peak", r["sessionflow_heap_peak_mib"], "MiB"),
                ("ingest", f"{s}: Sessionflow RSS peak (ingest stage)", r["sessionflow_rss_peak_mib"], "MiB"),
                ("ingest", f"{s}: @tus/server heap peak", r["tus_heap_peak_mib"], "MiB"),
                ("ingest", f"{s}: @tus/server RSS peak", r["tus_rss_peak_mib"], "MiB")]
    enc = {r["what"]: float(r["mb_per_s"]) for r in rows("encryption")}
    out += [("encryption", "part encryption, one core", enc["sessionflow_encrypt"], "MB/s"),
            ("encryption", "part decryption, one core", enc["sessionflow_decrypt"], "MB/s"),
            ("encryption", "openssl speed -evp aes-256-gcm, one core", enc["openssl_aes_256_gcm"], "MB/s"),
            ("encryption", "encryption / openssl", f"{enc['sessionflow_encrypt'] / enc['openssl_aes_256_gcm']:.2f}",
             "ratio")]
    tr = {r["what"]: r["value"] for r in rows("transcriber")}
    out += [("transcription", "10-min recording: the binding directly on the PCM", tr["direct_binding_s"], "s"),
            ("transcription", "10-min recording, 100 text tokens per window", tr["fixed_100_tokens_audio_s_per_s"],
             "audio s/s"),
            ("transcription", "10-min recording: whole job through the pipeline", tr["whole_job_through_pipeline_s"],
             "s"),
            ("transcription", "pipeline / direct", tr["pipeline_overhead_x"], "ratio")]
    out += [("transcription", f"throughput, {k.rsplit('_', 2)[1]} slot(s)", v, "audio-min/min")
            for k, v in tr.items() if k.startswith("audio_minutes_per_minute_")]
    if (OUT / "vad.csv").exists():
        vad = {r["what"]: r["value"] for r in rows("vad")}
        out += [("voice activity", "10 min, 40 % pauses: windows, fixed / from speech",
                 f"{vad['windows_fixed']} / {vad['windows_from_speech']}", "count"),
                ("voice activity", "10 min: cuts inside speech, fixed / from speech",
                 f"{vad['cuts_inside_speech_fixed_percent']} / {vad['cuts_inside_speech_from_speech_percent']}", "%"),
                ("voice activity", "10 min: inference saved, 100 tokens per window / as the pipeline decodes",
                 f"{vad['inference_less_percent_100_tokens']} / {vad['inference_less_percent_pipeline']}", "%"),
                ("voice activity", "Silero VAD, 16 lanes", vad["vad_audio_s_per_cpu_s"], "audio s per CPU s"),
                ("voice activity", "held-out-2: utterance starts / ends within 150 ms",
                 f"{vad['held_out_2_starts_within_150ms_percent']} / {vad['held_out_2_ends_within_150ms_percent']}",
                 "%"),
                ("voice activity", "held-out-2: speech time sent to Whisper", vad["held_out_2_speech_time_sent_percent"],
                 "%")]
    e2e = json.loads((OUT / "e2e.json").read_text())
    n = f"{e2e['recordings']} x {e2e['secondsEach']} s"
    out += [("end to end", f"{n}: upload complete to audio purged, p50", e2e["p50"], "s"),
            ("end to end", f"{n}: upload complete to audio purged, p95", e2e["p95"], "s"),
            ("end to end", f"{n}: transcript durable to audio purged, p50", e2e["purgeP50"], "s"),
            ("end to end", f"{n}: transcript durable to audio purged, p95", e2e["purgeP95"], "s")]
    soak = json.loads((OUT / "soak.json").read_text())
    m = soak["minutes"]
    for key, label, unit in [("heapAfterGcMib", "heap after full GC", "MiB"), ("rssMib", "resident memory", "MiB"),
                             ("fds", "open file descriptors", "count"), ("threads", "threads", "count")]:
        v = soak[key]
        out += [("soak", f"{m} min: {label}, first / last", f"{v['first']} / {v['last']}", unit),
                ("soak", f"{m} min: {label}, slope", v["slopePerHour"], f"{unit}/hour")]
    out += [("soak", f"{m} min: recordings analyzed with audio purged / all",
             f"{soak['analyzedAndPurged']} / {soak['recordings']}", "count"),
            ("soak", f"{m} min: client-side errors", soak["errors"], "count")]
    return out


def main():
    missing = [s for s in SECTIONS if not (OUT / f"{s}.md").exists()]
    if missing:
        sys.exit(f"no results for {', '.join(missing)} in bench/out: run bench/report.sh (or those benches) first")
    REPORT.mkdir(exist_ok=True)
    table = figures()
    with open(REPORT / "report.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["area", "figure", "value", "unit"])
        w.writerows(table)
    for name, target in [("e2e.csv", "e2e-recordings.csv"), ("soak.csv", "soak-samples.csv")]:
        shutil.copyfile(OUT / name, REPORT / target)
    # The upload account's flame graphs (bench/upload-profile.sh), beside the report that links them.
    for flame in OUT.glob("flame-*"):
        shutil.copyfile(flame, REPORT / flame.name)
    for name in ("upload-profile.csv", "upload-warmup.csv"):
        if (OUT / name).exists():
            shutil.copyfile(OUT / name, REPORT / name)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next(int(l.split()[1]) // 1048576 for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    lines = ["# Sessionflow benchmark report", "",
             f"Assembled on {datetime.date.today().isoformat()} at commit "
             f"`{command('git', 'rev-parse', '--short', 'HEAD')}` from the latest run of each bench in "
             "`bench/out` (`bench/report.sh` runs them all, then assembles). A section that names a commit ran "
             "there; one that does not ran with the last full `bench/report.sh` run (this file's history says "
             "which).",
             f"Machine: {cpu}, {command('nproc')} cores, {mem} GiB, {platform.system()} {platform.release()}; "
             f"{java}; Node {command('node', '--version')}. No GPU: transcription ran on the CPU with a "
             "generated tiny-shaped model with random weights (no model downloads here), so its absolute times "
             "are a stand-in; the ratios and the pipeline's own costs are what this report measures.", "",
             "Figures: [report.csv](report.csv) (one row per figure), per-recording end-to-end times: "
             "[e2e-recordings.csv](e2e-recordings.csv), soak samples: [soak-samples.csv](soak-samples.csv). "
             "What the figures mean and leave out: [README, Benchmarks](../../README.md#benchmarks).", "",
             "## Summary", "", "| area | figure | value | unit |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {f} | {v} | {u} |" for a, f, v, u in table]
    for section in SECTIONS + [o for o in OPTIONAL if (OUT / f"{o}.md").exists()]:
        text = (OUT / f"{section}.md").read_text().strip().splitlines()
        lines += ["", "#" + text[0]] + [("#" + l if l.startswith("#") else l) for l in text[1:]]
    (REPORT / "REPORT.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {REPORT / 'REPORT.md'} and {REPORT / 'report.csv'}")


if __name__ == "__main__":
    main()
