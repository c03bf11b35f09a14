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
