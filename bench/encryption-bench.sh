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
  -DargLine="-Dbench.seconds=$seconds" 2>&1 | grep -E '^(encrypt|decrypt)_mb_per_s=')
encrypt=$(sed -n 's/^encrypt_mb_per_s=//p' <<<"$figures")
decrypt=$(sed -n 's/^decrypt_mb_per_s=//p' <<<"$figures")
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
  echo "| Sessionflow part encryption (Tink streaming AES-256-GCM, 8 MiB parts) | $encrypt | $ratio |"
  echo "| Sessionflow part decryption | $decrypt | $(awk -v a="$decrypt" -v b="$openssl_mbs" 'BEGIN {printf "%.2f", a / b}') |"
  echo "| openssl speed -evp aes-256-gcm, 16 KiB blocks | $openssl_mbs | 1.00 |"
} > bench/out/encryption.md
printf 'what,mb_per_s\nsessionflow_encrypt,%s\nsessionflow_decrypt,%s\nopenssl_aes_256_gcm,%s\n' \
  "$encrypt" "$decrypt" "$openssl_mbs" > bench/out/encryption.csv
cat bench/out/encryption.md
