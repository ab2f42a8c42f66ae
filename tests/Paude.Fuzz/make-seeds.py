#!/usr/bin/env python3
"""Writes the seed corpora under Corpus/<target>/ (committed; rerun only to change them). Small valid inputs of every
shape each parser knows, plus a few refusals, so afl starts from deep paths instead of guessing the formats."""
import io, json, os, struct, subprocess, tarfile, tempfile, hashlib

here = os.path.dirname(os.path.abspath(__file__))

def put(target, name, data):
    folder = os.path.join(here, "Corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def tar(fmt, entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for kind, name, extra in entries:
            info = tarfile.TarInfo(name)
            info.mode = 0o755 if kind == "dir" else 0o644
            if kind == "file":
                info.size = len(extra); t.addfile(info, io.BytesIO(extra))
            elif kind == "dir":
                info.type = tarfile.DIRTYPE; t.addfile(info)
            elif kind == "sym":
                info.type = tarfile.SYMTYPE; info.linkname = extra; t.addfile(info)
            elif kind == "hard":
                info.type = tarfile.LNKTYPE; info.linkname = extra; t.addfile(info)
    return buf.getvalue()

put("tar", "files", tar(tarfile.USTAR_FORMAT, [("dir", "a", None), ("file", "a/b.txt", b"hello\n"), ("file", "c", b"x" * 600)]))
put("tar", "gnu-longname", tar(tarfile.GNU_FORMAT, [("file", "d/" + "n" * 150 + "/f", b"long")]))
put("tar", "pax", tar(tarfile.PAX_FORMAT, [("file", "p" * 120 + ".txt", b"pax"), ("sym", "l" * 110, "p" * 120 + ".txt")]))
put("tar", "links", tar(tarfile.GNU_FORMAT, [("dir", "d", None), ("file", "d/f", b"f"), ("sym", "s", "d/f"), ("hard", "h", "d/f"), ("sym", "d/up", "../d")]))
put("tar", "escape", tar(tarfile.GNU_FORMAT, [("sym", "out", "../../etc"), ("file", "out/x", b"x")]))

def pkt(s):
    b = s.encode() if isinstance(s, str) else s
    return b"%04x" % (len(b) + 4) + b
oid = "1" * 40
put("pktline", "ls-refs", pkt(f"{oid} HEAD symref-target:refs/heads/main\n") + b"0000")
put("pktline", "fetch", pkt("acknowledgments\n") + pkt("NAK\n") + b"0001" + pkt("packfile\n") + pkt(b"\x01PACK\x00\x00\x00\x02") + pkt(b"\x02progress\n") + b"0000")
put("pktline", "bad", b"00zz" + b"0003")

with tempfile.TemporaryDirectory() as d:
    run = lambda *a: subprocess.run(["git", "-C", d, *a], check=True, capture_output=True).stdout
    run("init", "-q"); open(os.path.join(d, "f"), "w").write("x")
    run("add", "f"); run("-c", "user.name=f", "-c", "user.email=f@f", "commit", "-qm", "m")
    run("tag", "-a", "-m", "t", "v1")
    run("repack", "-adq")
    pack = os.path.join(d, ".git", "objects", "pack")
    idx = [p for p in os.listdir(pack) if p.endswith(".idx")][0]
    put("packidx", "real.idx", open(os.path.join(pack, idx), "rb").read())
    commit = run("cat-file", "commit", "HEAD")
    tree = run("cat-file", "tree", "HEAD^{tree}")
    tag = run("cat-file", "tag", "v1")
    put("packobject", "commit", b"\x00" + commit)
    put("packobject", "tag", b"\x01" + tag)
    put("packobject", "tree", b"\x02" + tree + b"160000 sub\x00" + b"\x11" * 20)

h = "a" * 64
put("listing", "records", f"{h}  src/main.c\0{h}  docs/a b.md\0".encode())
put("listing", "hostile", f"{h}  ../etc/passwd\0".encode())
put("repostate", "probe", f"Bmain\0C{oid}\0T{oid}\0Dgone.txt\0H{h}  dirty.txt\0".encode())
put("repostate", "none", b"N\0")
put("squid", "log", "1733500000.123 10.0.0.2 TCP_DENIED/403 CONNECT evil.example:443 evil.example:443\n"
    "1733500001.5 10.0.0.2 TCP_TUNNEL/200 CONNECT api.anthropic.com:443 api.anthropic.com:443\n"
    "1733500002 10.0.0.2 TCP_DENIED/403 GET example.org http://example.org/x\r\n")

def cred(parts, flags):
    out = bytes([len(parts), flags])
    for p in parts:
        out += struct.pack(">HH", len(p), len(p)) + p
    return out
put("credparts", "honest", cred([b"abc", b"defg"], 0x0f))
put("credparts", "wrong-size", cred([b"abc"], 0x0b))
put("credparts", "duplicate-name", cred([b"abc", b"abc"], 0x0f | 2))

put("syncmanifest", "real", json.dumps({"Version": 1, "Sessions": {"s1": {"LastSync": "2026-12-07T01:00:00+00:00", "Direction": 1, "Strategy": 0,
    "SessionWorkspace": "/pvc/workspace", "Commit": oid, "Files": {"a.txt": h, "b": "-"}, "Uploaded": {"c": h}}}}, indent=2))
put("syncmanifest", "null-sessions", '{"Version":1,"Sessions":null}')

put("execstatus", "success", '{"metadata":{},"status":"Success"}')
put("execstatus", "exit", '{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}')
put("execstatus", "text", "command terminated")

def frames(flags, msgs):
    return bytes([flags]) + b"".join(struct.pack(">H", len(m)) + m for m in msgs)
status = b'\x03{"status":"Success"}'
put("execframes", "v4", frames(2, [b"\x01hello", b"\x02oops", status]))
put("execframes", "v5-close", frames(3, [b"\x01out", b"\xff\x01", b"\x01late", status]))
put("execframes", "broken", frames(1, [b"\x01partial"]))

# spdy: what a client sends on a SPDY/3.1 port-forward session. Header blocks: the first is zlib's header with the SPDY
# dictionary id; compressed ones are what Python's zlib (zdict = the SPDY dictionary, sync flush) wrote for kubectl's
# {port 8080, requestid 0, streamtype error|data}; stored ones carry any headers without needing the dictionary.
def spdy_ctrl(kind, payload, flags=0):
    return struct.pack(">HHI", 0x8003, kind, (flags << 24) | len(payload)) + payload
def spdy_data(sid, data, fin=False):
    return struct.pack(">II", sid, ((1 if fin else 0) << 24) | len(data)) + data
def spdy_block(headers, first):
    plain = struct.pack(">I", len(headers)) + b"".join(struct.pack(">I", len(x)) + x for h in headers for x in (h[0].encode(), h[1].encode()))
    stored = b"\x00" + struct.pack("<HH", len(plain), len(plain) ^ 0xFFFF) + plain + b"\x00\x00\x00\xff\xff"
    return (b"\x78\xf9\xe3\xc6\xa7\xc2" if first else b"") + stored
def spdy_syn(sid, block, flags=0):
    return spdy_ctrl(1, struct.pack(">IIH", sid, 0, 0) + block, flags)
zlib_error = bytes.fromhex("78f9e3c6a7c202253a48f95b044eea16061606409ab308125f99a074cc68004e892545a989b9d0c2863515141500000000ffff")
zlib_data = bytes.fromhex("225333a8a44a04000000ffff")
put("spdy", "kubectl-pair", spdy_syn(1, zlib_error) + spdy_data(1, b"", True) + spdy_syn(3, zlib_data)
    + spdy_data(3, b"GET / HTTP/1.0\r\n\r\n") + spdy_ctrl(6, struct.pack(">I", 1)) + spdy_ctrl(9, struct.pack(">II", 3, 4096))
    + spdy_data(3, b"", True) + spdy_ctrl(7, struct.pack(">II", 3, 0)))
def pf(kind, port, rid):
    return [("port", port), ("requestid", rid), ("streamtype", kind)]
put("spdy", "stalled-and-flowing", spdy_syn(1, spdy_block(pf("error", "1", "0"), True)) + spdy_syn(3, spdy_block(pf("data", "1", "0"), False))
    + spdy_syn(5, spdy_block(pf("error", "80", "1"), False)) + spdy_syn(7, spdy_block(pf("data", "80", "1"), False))
    + spdy_data(3, b"s" * 3000) + spdy_data(7, b"echo me", True) + spdy_ctrl(3, struct.pack(">II", 3, 5)) + spdy_ctrl(4, struct.pack(">III", 1, 7, 65536)))
put("spdy", "refused-and-duplicate", spdy_syn(1, spdy_block([("streamtype", "data")], True)) + spdy_syn(3, spdy_block(pf("error", "80", "9"), False))
    + spdy_syn(5, spdy_block(pf("error", "80", "9"), False)) + spdy_data(41, b"xyz") + spdy_syn(7, spdy_block([("port", "80"), ("streamtype", "data")], False), flags=1)
    + spdy_data(7, b"after fin"))
put("spdy", "not-zlib", spdy_syn(1, b"garbage!"))
put("spdy", "huge-header-count", spdy_syn(1, b"\x78\xf9\xe3\xc6\xa7\xc2\x00\x04\x00\xfb\xff\xff\xff\xff\xff\x00\x00\x00\xff\xff"))
put("spdy", "version-2", struct.pack(">HHI", 0x8002, 6, 4) + struct.pack(">I", 1))
put("spdy", "cut-frame", spdy_syn(1, spdy_block(pf("data", "80", "0"), True)) + spdy_data(1, b"abc")[:9])
