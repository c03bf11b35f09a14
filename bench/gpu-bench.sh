#!/usr/bin/env bash
# The speech engine on a GPU: whisper.cpp (the pinned 1.9.1 source) built with CUDA for sm_90,
# driven through Sessionflow's binding on random-weight models shaped like OpenAI's tiny, base,
# large-v3 and large-v3-turbo, each decoding exactly --tokens text tokens per 30-s window, at 1, 2
# and 4 concurrent states on one context, flash attention on and off. Prints audio seconds per
# second and the GPU memory used for each configuration; exits non-zero if any crashed.
#
# Two steps, because the GPU machine has nvcc, cmake and g++ but no Java and no network:
#
#   bench/gpu-bench.sh --prepare     here (Java 17, Maven): writes bench/gpu/bundle (git-ignored,
#                                    about 40 MiB): a jlinked Java runtime with jni.h, the binding's
#                                    classes and this harness, and the pinned source tarball
#                                    (--prepare --no-build: from the classes already compiled)
#   bench/gpu-bench.sh [options]     there, beside the repository's transcriber/native
#
#   --cpu                 no CUDA: the same run on the CPU build (tiny and base, 2 windows, unless told)
#   --shapes LIST         default tiny,base,large-v3,large-v3-turbo
#   --states LIST         default 1,2,4
#   --flash LIST          default on,off
#   --tokens N            text tokens per window, default 100
#   --windows N           timed windows per state, default 8 (2 with --cpu)
#   --arch ARCHS          CUDA architectures, default 90 (H100, H200)
#   --out DIR             where gpu-bench.md and gpu-bench.csv go: default $OUT, else bench/out
#
# The generated models are kept in bench/gpu/work (git-ignored) between runs, the library in
# build.sh's cache. GPU_BENCH_BUNDLE and GPU_BENCH_WORK move those two directories.
set -euo pipefail
caller="$PWD"
cd "$(dirname "$0")/.."
# Relative paths the caller gives mean the caller's directory; the defaults are the repository's.
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$caller/$1" ;; esac; }
bundle="$( [ -n "${GPU_BENCH_BUNDLE:-}" ] && absolute "$GPU_BENCH_BUNDLE" || echo "$PWD/bench/gpu/bundle")"
work="$( [ -n "${GPU_BENCH_WORK:-}" ] && absolute "$GPU_BENCH_WORK" || echo "$PWD/bench/gpu/work")"
source_prop() { sed -n "s/^$1=//p" transcriber/native/whisper.cpp.source; }
tarball_name="$(source_prop package)-$(source_prop version).tgz"

if [ "${1:-}" = "--prepare" ]; then
  if [ "${2:-}" != "--no-build" ]; then
    ./mvnw -q -B -o -pl transcriber -am test-compile -Dcheckstyle.skip 2>/dev/null \
      || ./mvnw -q -B -pl transcriber -am test-compile -Dcheckstyle.skip
  fi
  rm -rf "$bundle" && mkdir -p "$bundle/classes"
  # The runtime: java.base is all the binding and the harness use; include/ keeps jni.h for the glue.
  "${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}/bin/jlink" \
    --add-modules java.base --strip-debug --no-man-pages --compress=2 --output "$bundle/runtime"
  classes="$bundle/classes"
  for dir in transcriber/target/classes common/target/classes transcriber/target/test-classes; do
    (cd "$dir" && find io/sessionflow/transcriber/whisper io/sessionflow/transcriber/model \
       io/sessionflow/transcriber/bench io/sessionflow/common/config io/sessionflow/common/failure \
       -name '*.class' -exec cp --parents {} "$classes" \; 2>/dev/null || true)
  done
  [ -f "$classes/io/sessionflow/transcriber/bench/GpuBench.class" ] \
    || { echo "gpu-bench.sh: the harness is not compiled (transcriber/target/test-classes)" >&2; exit 1; }
  cache="${SESSIONFLOW_NATIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionflow/native}"
  [ -f "$cache/$tarball_name" ] || (cd "$bundle" && npm pack --silent "$(source_prop package)@$(source_prop version)" >/dev/null)
  [ -f "$bundle/$tarball_name" ] || cp "$cache/$tarball_name" "$bundle/"
  echo "bundle: $(du -sh "$bundle" | cut -f1) in $bundle; now run bench/gpu-bench.sh on the GPU machine"
  exit 0
fi

cpu=false shapes="" states="1,2,4" flash="on,off" tokens=100 windows="" arch=90 out="${OUT:-$PWD/bench/out}"
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) cpu=true; shift ;;
    --shapes) shapes="$2"; shift 2 ;;
    --states) states="$2"; shift 2 ;;
    --flash) flash="$2"; shift 2 ;;
    --tokens) tokens="$2"; shift 2 ;;
    --windows) windows="$2"; shift 2 ;;
    --arch) arch="$2"; shift 2 ;;
    --out) out="$(absolute "$2")"; shift 2 ;;
    *) echo "gpu-bench.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
out="$(absolute "$out")"
if $cpu; then
  shapes="${shapes:-tiny,base}" windows="${windows:-2}"
else
  shapes="${shapes:-tiny,base,large-v3,large-v3-turbo}" windows="${windows:-8}"
fi
java="$bundle/runtime/bin/java"
[ -x "$java" ] && [ -f "$bundle/$tarball_name" ] \
  || { echo "gpu-bench.sh: no bundle in $bundle; run bench/gpu-bench.sh --prepare where Java is" >&2; exit 1; }
mkdir -p "$work/models" "$out"

# 1. The library, from the pinned source.
build=(--out "$work/lib" --jni-include "$bundle/runtime/include" --tarball "$bundle/$tarball_name")
# On a GPU the CPU backend does next to nothing: one baseline variant keeps the CUDA build short,
# cached under the work directory (kept between calls on a warm machine).
$cpu || build+=(--cuda "$arch" --cpu baseline)
started=$(date +%s)
if $cpu; then
  transcriber/native/build.sh "${build[@]}"
else
  SESSIONFLOW_NATIVE_CACHE="${SESSIONFLOW_NATIVE_CACHE:-$work/cache}" transcriber/native/build.sh "${build[@]}"
fi
build_seconds=$(( $(date +%s) - started ))
harness=("$java" -Xss8m -cp "$bundle/classes" "-Dsessionflow.whisper.libdir=$work/lib"
  io.sessionflow.transcriber.bench.GpuBench)

# 2. The models, once each.
for shape in ${shapes//,/ }; do
  [ -f "$work/models/$shape.bin" ] || "${harness[@]}" model "$shape" "$work/models/$shape.bin"
done

# 3. Every configuration in a process of its own: a crash costs that configuration only.
device="$( (nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || true) | head -1)"
$cpu && device="CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
rows=() failed=0 engine=""
for shape in ${shapes//,/ }; do
  for fa in ${flash//,/ }; do
    for n in ${states//,/ }; do
      log="$work/run-$shape-$fa-$n.txt"
      if "${harness[@]}" run "$work/models/$shape.bin" "$shape" "$n" "$fa" "$tokens" "$windows" "$(! $cpu && echo true || echo false)" \
          >"$log" 2>&1; then
        line="$(grep '^result ' "$log" | tail -1)"
        [ -n "$engine" ] || engine="$(sed -n 's/^engine: //p' "$log" | head -1)"
        get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
        rows+=("$shape,$fa,$n,$(get threads),$(get tokens_per_window),$(get audio_s_per_s),$(get gpu_mib),$(get rss_mib),ok")
      else
        code=$?
        failed=$((failed + 1))
        why="$(grep -m1 -E 'Exception|SIGSEGV|SIGABRT|GGML_ASSERT|error' "$log" | cut -c1-120 | tr ',' ';' || true)"
        rows+=("$shape,$fa,$n,,,,,,crashed (exit $code; ${why:-no message: killed?})")
      fi
      echo "${rows[-1]}"
    done
  done
done

{
  echo "shape,flash_attention,states,threads_per_state,tokens_per_window,audio_s_per_s,gpu_mib,rss_mib,outcome"
  printf '%s\n' "${rows[@]}"
} > "$out/gpu-bench.csv"
{
  echo "## Speech engine on $($cpu && echo the CPU || echo a GPU)"
  echo
  echo "Device: ${device:-unknown}. Engine: ${engine:-unknown}."
  echo "Command: \`bench/gpu-bench.sh$($cpu && echo ' --cpu')\` ($tokens text tokens per 30-s window, $windows timed windows"
  echo "per state after one warm-up, random-weight models of each shape; the library built in ${build_seconds} s)."
  echo
  echo "| shape | flash attention | states | threads/state | tokens/window | audio s per s | GPU MiB | RSS MiB | outcome |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for row in "${rows[@]}"; do echo "| ${row//,/ | } |"; done
} > "$out/gpu-bench.md"
cat "$out/gpu-bench.md"
[ "$failed" -eq 0 ] || { echo "gpu-bench.sh: $failed configuration(s) crashed; see $work/run-*.txt" >&2; exit 1; }
