# Shared by the bench scripts that drive a standalone: source it after `cd` to the repository root.
# Sets JAR, WORK (a temporary folder removed on exit), OUT (bench/out); call start_standalone.

JAR=standalone/target/sessionflow.jar
[ -f "$JAR" ] || { echo "build first: ./mvnw -q package -DskipTests" >&2; exit 2; }
WORK=$(mktemp -d); OUT=bench/out; mkdir -p "$OUT"
(cd bench/node && [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null)
EXTRA_PIDS=()
cleanup() { kill "${SF_PID:-}" "${EXTRA_PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
json_field() { python3 -c 'import json,sys;print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
code_version() { git describe --always --dirty --abbrev=7 2>/dev/null || echo unknown; }
cpu_model() { grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'; }

# start_standalone [serve options...]: starts it on a free port with data in $WORK/data and a 2 GiB heap
# (SF_HEAP to change it); sets PORT, BASE and SF_PID and waits until it is ready.
start_standalone() {
  PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
  java "-Xmx${SF_HEAP:-2g}" -jar "$JAR" serve --data-dir "$WORK/data" --port "$PORT" "$@" \
    >"$WORK/sf.out" 2>"$WORK/sf.err" &
  SF_PID=$!
  for _ in $(seq 1 1200); do curl -sf "$BASE/health/ready" >/dev/null && return 0; sleep 0.1; done
  echo "standalone did not become ready; its log: $WORK/sf.err" >&2; tail -20 "$WORK/sf.err" >&2; exit 1
}

# token SUBJECT [ROLE]: a token for practice bench-practice.
token() {
  java -jar "$JAR" token --data-dir "$WORK/data" --subject "$1" --role "${2:-therapist}" --practice bench-practice \
    2>/dev/null
}

# consent TOKEN CLIENT_REF SCOPE_JSON: records a consent, prints its id.
consent() {
  curl -sf -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    -d "{\"clientRef\":\"$2\",\"scope\":$3,\"formVersion\":\"v1\",\"capturedAt\":\"2026-01-01T00:00:00Z\"}" \
    "$BASE/v1/consents" | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])'
}

# start_ingest_stage [java options...]: the ingest stage jar on its own, configured only by environment
# variables (as in production), joined to the running standalone's Kafka broker and S3Proxy, so that its
# process's CPU and memory are the ingest's alone. Sets INGEST_PORT, INGEST_BASE and INGEST_PID; its GC log
# is $WORK/ingest-gc.log. UPLOAD_MEMORY_BUDGET and INGEST_HEAP (default 1g) apply. One bench user starts uploads
# far faster than a person: the per-minute upload limits are lifted (a 429 would be retried and slow a run).
start_ingest_stage() {
  local instance="$WORK/data/instance.json" secrets="$WORK/data/secrets"
  INGEST_PORT=$(free_port); INGEST_BASE="http://127.0.0.1:$INGEST_PORT"
  prop() { grep "^$2=" "$secrets/$1" | cut -d= -f2-; }
  env -u KAFKA_BOOTSTRAP_SERVERS \
    KAFKA_BOOTSTRAP_SERVERS="$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["kafkaBootstrapServers"])' "$instance")" \
    KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT KAFKA_SASL_MECHANISM=SCRAM-SHA-512 \
    KAFKA_SASL_USERNAME="$(prop kafka-credentials.properties username)" \
    KAFKA_SASL_PASSWORD="$(prop kafka-credentials.properties password)" \
    KAFKA_REPLICATION_FACTOR=1 KAFKA_PARTITIONS=3 \
    S3_ENDPOINT="$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["s3Endpoint"])' "$instance")" \
    S3_PATH_STYLE=true S3_ACCESS_KEY="$(prop s3-credentials.properties accessKey)" \
    S3_SECRET_KEY="$(prop s3-credentials.properties secretKey)" \
    KEK_URI="$secrets/kek.json" JWT_JWKS_URL="$secrets/jwks.json" \
    JWT_ISSUER=sessionflow-standalone JWT_AUDIENCE=sessionflow \
    HTTP_PORT="$INGEST_PORT" OPS_PORT="$(free_port)" BIND_HOST=127.0.0.1 \
    UPLOAD_MEMORY_BUDGET="${UPLOAD_MEMORY_BUDGET:-512MiB}" \
    LIMIT_USER_UPLOADS_PER_MINUTE=100000 LIMIT_PRACTICE_UPLOADS_PER_MINUTE=100000 \
    java "-Xmx${INGEST_HEAP:-1g}" "-Xlog:gc:file=$WORK/ingest-gc.log" "$@" -jar ingest/target/sessionflow-ingest.jar \
    >"$WORK/ingest.out" 2>&1 &
  INGEST_PID=$!; EXTRA_PIDS+=("$INGEST_PID")
  for _ in $(seq 1 1200); do curl -sf "$INGEST_BASE/health/ready" >/dev/null && return 0; sleep 0.1; done
  echo "the ingest stage did not become ready; its log: $WORK/ingest.out" >&2; tail -20 "$WORK/ingest.out" >&2; exit 1
}

# start_peer: @tus/server + @tus/s3-store (bench/node/tus-s3-server.mjs, 8 MiB parts) writing to the running
# standalone's S3Proxy, in a bucket of its own created with Sessionflow's S3 credentials. Sets S3, ACCESS,
# SECRET (the store's endpoint and credentials, for the ceilings too), PEER_PORT and PEER_PID.
start_peer() {
  S3=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["s3Endpoint"])' "$WORK/data/instance.json")
  ACCESS=$(grep accessKey "$WORK/data/secrets/s3-credentials.properties" | cut -d= -f2)
  SECRET=$(grep secretKey "$WORK/data/secrets/s3-credentials.properties" | cut -d= -f2)
  curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS:$SECRET" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$S3/tus-bench" >/dev/null
  PEER_PORT=$(free_port)
  PORT=$PEER_PORT S3_ENDPOINT=$S3 S3_ACCESS_KEY=$ACCESS S3_SECRET_KEY=$SECRET S3_BUCKET=tus-bench \
    PART_SIZE=$((8 * 1024 * 1024)) node bench/node/tus-s3-server.mjs >"$WORK/peer.out" 2>&1 &
  PEER_PID=$!; EXTRA_PIDS+=("$PEER_PID")
  for _ in $(seq 1 100); do grep -q listening "$WORK/peer.out" 2>/dev/null && return 0; sleep 0.1; done
  echo "the peer did not start listening; its log: $WORK/peer.out" >&2; tail -20 "$WORK/peer.out" >&2; exit 1
}

# cpu_seconds PID: user + system CPU seconds the process has used so far, from /proc/PID/stat.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' "/proc/$1/stat"
}

# heap_after_gc_peak_mib: the most heap the ingest stage still held after any collection ($WORK/ingest-gc.log):
# the memory it really kept in use, without the garbage a young generation holds between collections.
heap_after_gc_peak_mib() {
  grep -oE '[0-9]+M->[0-9]+M' "$WORK/ingest-gc.log" 2>/dev/null | sed 's/.*->//; s/M//' | sort -n | tail -1
}
