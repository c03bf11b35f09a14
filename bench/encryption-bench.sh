#!/usr/bin/env bash
# Streaming encryption of 8 MiB upload parts on one core (Tink AES256_GCM_HKDF_1MB, what every
# upload does) against `openssl speed -evp aes-256-gcm` on one core (the hardware ceiling for the
# cipher). Writes bench/out/encryption.md and bench/out/encryption.csv. BENCH_SECONDS (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
seconds="${BENCH_SECONDS:-10}"
figures=$(./mvnw -q -B test -pl common -Dexcluded.test.groups= -Dgroups=bench -Dtest=EncryptionBench \
  -Dsurefire.failIfNoSpecifiedTests=false -Dcheckstyle.skip -Dtest.output.to.file=false \
  -DargLine="-Dbench.seconds=$seconds" 2>&1 | grep -E '^(encrypt|decrypt|hash_and_encrypt_[a-z_]+)_mb_per_s=')
encrypt=$(sed -n 's/^encrypt_mb_per_s=//p' <<<"$figures")
decrypt=$(sed -n 's/^decrypt_mb_per_s=//p' <<<"$figures")
one_pass=$(sed -n 's/^hash_and_encrypt_one_pass_mb_per_s=//p' <<<"$figures")
two_passes=$(sed -n 's/^hash_and_encrypt_two_passes_mb_per_s=//p' <<<"$figures")
# openssl prints kB/s per block size; the 16384-byte column is its bulk rate.
openssl_kbs=$(openssl speed -seconds 3 -bytes 16384 -evp aes-256-gcm 2>/dev/null | awk '/^AES-256-GCM|^aes-256-gcm/ {print $NF}' | tr -d k)
openssl_mbs=$(awk -v k="$openssl_kbs" 'BEGIN {printf "%.1f", k * 1000 / 1e6}')
ratio=$(awk -v a="$encrypt" -v b="$openssl_mbs" 'BEGIN {printf "%.2f", a / b}')
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
{
  echo "# Encryption on one core"
  echo
  echo "Machine: $cpu, $(nproc) cores; Java $(java -version 2>&1 | head -1 | cut -d'"' -f2); $(openssl version). Code: commit \`$(git describe --always --dirty --abbrev=7)\`."
  echo "Command: \`bench/encryption-bench.sh\` (BENCH_SECONDS=$seconds)."
  echo
  echo "| what | MB/s | vs openssl |"
  echo "| --- | --- | --- |"
  echo "| Sessionflow part encryption (Tink AES256_GCM_HKDF_1MB, segment by segment between arrays, 8 MiB parts) | $encrypt | $ratio |"
  echo "| Sessionflow part decryption | $decrypt | $(awk -v a="$decrypt" -v b="$openssl_mbs" 'BEGIN {printf "%.2f", a / b}') |"
  echo "| SHA-256 of the recording and encryption, one pass (each 1 MiB segment hashed, then encrypted) | $one_pass | $(awk -v a="$one_pass" -v b="$openssl_mbs" 'BEGIN {printf "%.2f", a / b}') |"
  echo "| the same in two passes over the 8 MiB part | $two_passes | $(awk -v a="$two_passes" -v b="$openssl_mbs" 'BEGIN {printf "%.2f", a / b}') |"
  echo "| openssl speed -evp aes-256-gcm, 16 KiB blocks | $openssl_mbs | 1.00 |"
} > bench/out/encryption.md
printf 'what,mb_per_s\nsessionflow_encrypt,%s\nsessionflow_decrypt,%s\nhash_and_encrypt_one_pass,%s\nhash_and_encrypt_two_passes,%s\nopenssl_aes_256_gcm,%s\n' \
  "$encrypt" "$decrypt" "$one_pass" "$two_passes" "$openssl_mbs" > bench/out/encryption.csv
cat bench/out/encryption.md
