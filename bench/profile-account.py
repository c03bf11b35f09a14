#!/usr/bin/env python3
"""The per-byte CPU account of bench/upload-profile.sh: splits each process's CPU seconds per GB (from
/proc) by component, in the proportions of its profiler's samples. JVM samples come as async-profiler
collapsed stacks with thread names; the peer's as a V8 .cpuprofile (main thread only: what node spends on
its other threads, the libuv pool that writes its temp files and V8's helpers, is /proc's CPU beyond the
main thread's samples). Writes upload-profile.md, upload-profile.csv and the peer's flame graph (SVG)."""
import argparse
import collections
import html
import json
import re

# (component, rule) in order; the first rule a sample matches takes it. A rule sees the thread name,
# the whole stack (root first, ';'-joined, dots for slashes) and the leaf frame.
COPY_LEAF = re.compile(r"arraycopy|memmove|memcpy|Copy::|HeapByteBuffer\.put|DirectByteBuffer\.put|"
                       r"ByteBuffer\.put|Unsafe\.copyMemory|getBytes")
SYSCALL_LEAF = re.compile(r"^(__)?(libc_)?(read|write|writev|readv|recv|send|sendmsg|recvmsg|recvfrom|sendto|"
                          r"epoll_wait|epoll_ctl|__GI___libc_write|__GI___libc_read)$|Dispatcher\.(read|write)|"
                          r"IOUtil\.(read|write)|FileDispatcherImpl|SocketDispatcher|EPoll\.wait")


def jvm_rules(store):
    def has(*words):
        return lambda thread, stack, leaf: any(w in stack for w in words)

    def thread(*prefixes):
        return lambda t, stack, leaf: any(t.startswith(p) for p in prefixes)

    def both(a, b):
        return lambda t, s, l: a(t, s, l) and b(t, s, l)

    def leaf(pattern):
        return lambda t, s, l: bool(pattern.search(l))

    gc = ("GC Thread", "G1 ", "VM Thread", "VM Periodic")
    jit = ("C1 Compiler", "C2 Compiler")
    sdk_threads = ("aws-java-sdk-NettyEventLoop", "sdk-async-response", "aws-java-sdk")
    if store:
        s3proxy = has("org.gaul.s3proxy", "org.eclipse.jetty", "org.jclouds")
        return [
            ("GC and memory management", thread(*gc)),
            ("JIT compiler", thread(*jit)),
            # jclouds hashes every stored byte with MD5 for the ETag (Guava's HashingInputStream);
            # S3Proxy checks a signed payload's SHA-256.
            ("S3Proxy: MD5 for the ETag", lambda t, s, l: "md5" in l.lower() or "HashingInputStream" in s),
            ("S3Proxy: SigV4 payload hash", both(s3proxy, lambda t, s, l: "sha256" in l.lower()
                                                  or "SHA2" in s)),
            ("S3Proxy: file writes", both(s3proxy, leaf(SYSCALL_LEAF))),
            ("S3Proxy: copies", both(s3proxy, leaf(COPY_LEAF))),
            ("S3Proxy: HTTP and the rest", s3proxy),
            ("Kafka broker", has("kafka.", "org.apache.kafka")),
            ("the standalone's other stages", has("io.sessionflow")),
            ("other", lambda t, s, l: True),
        ]
    return [
        ("GC and memory management", thread(*gc)),
        ("JIT compiler", thread(*jit)),
        ("SDK signing and checksums", both(has("software.amazon.awssdk"),
                                           has("igner", "hecksum", "MessageDigest", "SHA2", "Sha256", "Md5"))),
        ("AES-GCM encryption", has("com.google.crypto.tink", "com.sun.crypto.provider")),
        ("SHA-256 of the recording (and tus checksums)", has("SHA2", "DigestBase", "MessageDigest")),
        ("buffer copies", leaf(COPY_LEAF)),
        ("S3 client (AWS SDK, its Netty, socket writes)", lambda t, s, l: t.startswith(sdk_threads)
         or "software.amazon.awssdk" in s),
        ("HTTP server (Vert.x/Netty parsing, socket reads)", has("io.vertx.core.http", "io.netty")),
        ("Kafka client", has("org.apache.kafka")),
        ("upload logic and other", lambda t, s, l: True),
    ]


def jvm_samples(path):
    """(thread, stack, leaf) -> samples, from collapsed stacks whose first frame is [thread tid=N]."""
    samples = collections.Counter()
    with open(path) as lines:
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            frames = stack.replace("/", ".").split(";")
            thread = ""
            if frames and frames[0].startswith("["):
                thread = re.sub(r"\s*tid=\d+\]$|\]$", "", frames[0][1:])
                frames = frames[1:]
            samples[(thread, ";".join(frames), frames[-1] if frames else "")] += int(count)
    return samples


def account(samples, rules):
    total = sum(samples.values()) or 1
    split = collections.Counter()
    for (thread, stack, leaf), count in samples.items():
        for name, rule in rules:
            if rule(thread, stack, leaf):
                split[name] += count
                break
    return {name: split[name] / total for name, _ in rules}, total


PEER_RULES = [
    ("GC and memory management", lambda fn, url, s: fn == "(garbage collector)"),
    ("SDK signing and checksums", lambda fn, url, s: "@smithy/hash-node" in s or "@aws-crypto" in s
     or "signature-v4" in s),
    ("temp-file spooling (@tus/s3-store)", lambda fn, url, s: "node:fs" in s or "node:internal/fs" in s
     or "fs/streams" in s),
    ("buffer copies", lambda fn, url, s: fn in ("copy", "concat", "set", "subarray", "from", "allocUnsafe")),
    ("S3 client (AWS SDK)", lambda fn, url, s: "@aws-sdk" in s or "@smithy" in s),
    ("HTTP server (node http, streams, sockets)", lambda fn, url, s: "node:_http" in s or "node:net" in s
     or "node:internal/streams" in s or "node:stream" in s or fn == "(program)"),
    ("upload logic and other", lambda fn, url, s: True),
]


def peer_samples(path):
    profile = json.load(open(path))
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {}
    for n in profile["nodes"]:
        for child in n.get("children", []):
            parent[child] = n["id"]

    def path_of(node_id):
        frames = []
        while node_id in nodes:
            frame = nodes[node_id]["callFrame"]
            name = frame["functionName"] or "(anonymous)"
            url = frame.get("url", "")
            short = re.sub(r"^.*node_modules/", "", url) if url else ""
            frames.append(f"{name} {short}".strip())
            node_id = parent.get(node_id)
        return list(reversed(frames[:-1] if frames and frames[-1].startswith("(root)") else frames))

    counts = collections.Counter(profile["samples"])
    stacks = collections.Counter()
    for node_id, count in counts.items():
        stacks[tuple(path_of(node_id))] += count
    return stacks, profile


def peer_account(stacks):
    busy = {k: v for k, v in stacks.items() if k and k[-1] != "(idle)"}
    total = sum(busy.values()) or 1
    split = collections.Counter()
    for frames, count in busy.items():
        leaf = frames[-1]
        fn, _, url = leaf.partition(" ")
        whole = ";".join(frames)
        whole = whole.replace(" node:", " node:")
        for name, rule in PEER_RULES:
            if rule(fn, url, whole):
                split[name] += count
                break
    return {name: split[name] / total for name, _ in PEER_RULES}, total


def flame_svg(stacks, title, path, width=1200, row=16):
    """A plain icicle flame graph (root at the top) of collapsed stacks."""
    root = {"n": 0, "c": {}}
    for frames, count in stacks.items():
        node = root
        node["n"] += count
        for f in frames:
            node = node["c"].setdefault(f, {"n": 0, "c": {}})
            node["n"] += count
    total = root["n"] or 1
    rects = []

    def walk(node, x, depth):
        for name, child in sorted(node["c"].items()):
            w = child["n"] / total * width
            if w >= 0.5:
                hue = 20 + (hash(name) % 40)
                rects.append(f'<g><title>{html.escape(name)} ({child["n"]} samples, {child["n"] / total:.1%})</title>'
                             f'<rect x="{x:.1f}" y="{30 + depth * row}" width="{w:.1f}" height="{row - 1}" '
                             f'fill="hsl({hue},90%,60%)"/>'
                             + (f'<text x="{x + 2:.1f}" y="{30 + depth * row + 12}" font-size="11">'
                                f'{html.escape(name[: int(w / 7)])}</text>' if w > 30 else "") + "</g>")
                walk(child, x, depth + 1)
            x += w

    walk(root, 0, 0)
    depth = max((len(k) for k in stacks), default=1)
    with open(path, "w") as out:
        out.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{40 + depth * row}" '
                  f'font-family="monospace"><text x="4" y="18" font-size="14">{html.escape(title)}</text>'
                  + "".join(rects) + "</svg>\n")


def main():
    a = argparse.ArgumentParser()
    for name in ("cpu", "gb", "sessionflow", "store-sessionflow", "peer", "store-peer", "out", "title", "command"):
        a.add_argument("--" + name, required=True)
    args = a.parse_args()
    cpu = {}
    for line in open(args.cpu):
        name, server, store, seconds = line.split()
        cpu[name] = (float(server), float(store), int(seconds))
    sf_split, sf_samples = account(jvm_samples(args.sessionflow), jvm_rules(False))
    peer_stacks, _ = peer_samples(args.peer)
    peer_split, peer_busy = peer_account(peer_stacks)
    peer_sampled = peer_busy / 1000 / float(args.gb)  # 1 ms samples of the busy main thread, per GB
    flame_svg({k: v for k, v in peer_stacks.items() if k and k[-1] != "(idle)"},
              "@tus/server + @tus/s3-store (main thread, V8 samples)", f"{args.out}/flame-peer.svg")
    sf_total, peer_total = cpu["sessionflow"][0], cpu["peer"][0]
    # What the main thread's samples cover of the peer's /proc CPU; the rest ran on node's other threads.
    peer_main = min(peer_sampled, peer_total)
    rows = []
    components = list(dict.fromkeys([n for n, _ in jvm_rules(False)] + [n for n, _ in PEER_RULES]))
    for name in components:
        rows.append((name, sf_split.get(name, 0) * sf_total if name in sf_split else None,
                     peer_split.get(name, 0) * peer_main if name in peer_split else None))
    rows.append(("node's other threads (libuv pool: temp-file writes; V8 helpers)", None, peer_total - peer_main))
    store_rows = {}
    for who in ("sessionflow", "peer"):
        split, _ = account(jvm_samples(getattr(args, "store_" + who)), jvm_rules(True))
        store_rows[who] = {n: f * cpu[who][1] for n, f in split.items()}

    def fmt(v):
        return "—" if v is None else f"{v:.2f}"

    lines = ["# Where an uploaded byte's CPU goes", "", f"{args.title}. Command: `{args.command}`.", "",
             "CPU seconds per GB (10^9 bytes) uploaded, from /proc for each process; split in the proportions of "
             "its profiler's samples (async-profiler on the process CPU timer, itimer, which fires at the kernel tick, in the JVMs; V8's sampling profiler on node's main "
             f"thread). Samples: Sessionflow {sf_samples}, peer main thread {peer_busy}.", "",
             "| component | Sessionflow ingest CPU s/GB | @tus/server + @tus/s3-store CPU s/GB |", "| --- | --- | --- |"]
    lines += [f"| {n} | {fmt(s)} | {fmt(p)} |" for n, s, p in rows if (s or 0) > 0.005 or (p or 0) > 0.005]
    lines += [f"| **the server process, in all** | **{sf_total:.2f}** | **{peer_total:.2f}** |", "",
              f"Wall time of the profiled uploads: Sessionflow {cpu['sessionflow'][2]} s, peer {cpu['peer'][2]} s.",
              "", "The object store's process (the standalone: S3Proxy, with its Kafka broker and pipeline stages "
              "idle or working on what the uploads announced) while each server's uploads ran:", "",
              "| component | during Sessionflow's uploads CPU s/GB | during the peer's CPU s/GB |", "| --- | --- | --- |"]
    for name, _ in jvm_rules(True):
        s, p = store_rows["sessionflow"].get(name, 0), store_rows["peer"].get(name, 0)
        if s > 0.005 or p > 0.005:
            lines.append(f"| {name} | {s:.2f} | {p:.2f} |")
    lines += [f"| **the store process, in all** | **{cpu['sessionflow'][1]:.2f}** | **{cpu['peer'][1]:.2f}** |", "",
              "Flame graphs of the same samples: [Sessionflow](flame-sessionflow.html), the store during "
              "[Sessionflow's uploads](flame-store-during-sessionflow.html) and during "
              "[the peer's](flame-store-during-peer.html) (async-profiler), [the peer](flame-peer.svg) (V8)."]
    open(f"{args.out}/upload-profile.md", "w").write("\n".join(lines) + "\n")
    with open(f"{args.out}/upload-profile.csv", "w") as out:
        out.write("component,sessionflow_cpu_s_per_gb,peer_cpu_s_per_gb\n")
        for n, s, p in rows:
            out.write(f"{n},{'' if s is None else round(s, 3)},{'' if p is None else round(p, 3)}\n")
        out.write(f"server total,{sf_total},{peer_total}\n")
        out.write(f"store total,{cpu['sessionflow'][1]},{cpu['peer'][1]}\n")


if __name__ == "__main__":
    main()
