"""Writes the seed corpora of tests/fuzz/corpus/<harness>/: small inputs made here by hand, files
written by our own engines (lsm tables, logs and manifests, through dist/lsm.so), tiny GGUF models
from tests/embed/local_gguf.py, and a few small TZif files copied from the system's zoneinfo
(tzdata is in the public domain). Each harness's input layout is described at the top of its
tests/fuzz/fuzz_<harness>.c.

Run from the repository root after `make`: /usr/bin/python3 tests/fuzz/make_corpus.py
It rewrites the corpora from scratch; the output is deterministic except the lsm files.
"""

import base64
import json
import shutil
import sqlite3
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests/embed"), str(ROOT / "tests/lsm")]

import local_gguf  # noqa: E402
from lsm1_format import value_blob, varint  # noqa: E402

CORPUS = ROOT / "tests/fuzz/corpus"


def put(harness, name, data):
    d = CORPUS / harness
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data.encode() if isinstance(data, str) else data)


def jsonschema():
    texts = ['{"a":[1,2.5e3,-0.0,true,false,null],"b":{"c":"\\u00e9\\ud83d\\ude00"}}',
             '[[[[[]]]]]', '"\\ud800"', '12345678901234567890.123e-400', '{"a":1,"a":2}']
    for i, t in enumerate(texts):
        put("jsonschema_json", f"json{i}", t)
    cases = [
        (0, {"type": "object", "properties": {"id": {"type": "integer", "minimum": 1}},
             "required": ["id"], "additionalProperties": False}, {"id": 3}),
        (5, {"$defs": {"node": {"type": "object", "properties": {
            "next": {"$ref": "#/$defs/node"}}, "unevaluatedProperties": False}},
             "$ref": "#/$defs/node"}, {"next": {"next": {}}}),
        (5, {"$dynamicAnchor": "t", "oneOf": [{"type": "string", "pattern": "^[a-z]+$"},
                                              {"items": {"$dynamicRef": "#t"}}]}, ["ab", ["c"]]),
        (2, {"if": {"minLength": 3}, "then": {"format": "email"}, "else": {"const": "x"},
             "dependencies": {"a": ["b"]}}, "a@b.c"),
        (1, {"id": "http://x/s", "allOf": [{"$ref": "urn:fuzz"}], "multipleOf": 0.01,
             "enum": [1, 1.5, "a"]}, 1.5),
        (3, {"$schema": "http://json-schema.org/draft-07/schema#", "contains": {"const": 2},
             "uniqueItems": True, "maxItems": 4, "patternProperties": {"^x-": {"type": "null"}},
             "propertyNames": {"maxLength": 3}}, [1, 2, 3]),
        (10, {"type": "string", "format": "date-time"}, "2024-02-29T12:00:00Z"),
        (4, {"$recursiveAnchor": True, "anyOf": [{"type": "boolean"}, {"type": "array",
             "items": {"$recursiveRef": "#"}}], "minContains": 1, "contains": True}, [[True]]),
    ]
    for i, (opt, schema, doc) in enumerate(cases):
        put("jsonschema_validate", f"case{i}",
            bytes([opt]) + json.dumps(schema).encode() + b"\0" + json.dumps(doc).encode())


def timezone():
    # Small zones with varied features: none, DST rules in the footer, a 30-minute DST, a
    # southern-hemisphere rule, a fixed offset with history, version 1 data only in TZif1.
    for name in ["UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
                 "America/Sao_Paulo", "Europe/Dublin"]:
        src = Path("/usr/share/zoneinfo") / name
        if src.exists():
            put("timezone_tzif", name.replace("/", "_"), src.read_bytes())
    rules = ["EST5EDT,M3.2.0,M11.1.0", "<+0330>-3:30", "IST-2IDT,M3.4.4/26,M10.5.0",
             "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "WART4WARST,J1/0,J365/25",
             "AEST-10AEDT,M10.1.0,M4.1.0/3", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
             "GMT0BST,M3.5.0/1,M10.5.0", "XXX3EDT4,59/0,305/24", "UTC0"]
    for i, r in enumerate(rules):
        put("timezone_rule", f"rule{i}", r)
    texts = [("2024-03-10 02:30:00", "2024-11-03T01:30:00-04:00[America/New_York]", "P1Y2M3DT4H"),
             ("2024-07-01T12:00:00.123456789+05:30", "1970-01-01", "2h 30m"),
             ("2021-10-31T01:30:00+01:00[Europe/London]", "2021-03-28T01:30Z", "3 days ago"),
             ("0000-01-01 00:00:00", "9999-12-31T23:59:59[+14:00]", "-PT1.5S"),
             ("2024-02-29T24:00:00[Australia/Lord_Howe][u-ca=iso8601]", "2024-01-01 00:00",
              "1 year, 2 weeks")]
    for i, (a, b, s) in enumerate(texts):
        opts = bytes([10, 0, 8]) + struct.pack("<q", 1)
        put("timezone_text", f"text{i}", f"{a}\0{b}\0{s}\0".encode() + opts)


def embed():
    rng = np.random.default_rng(16)
    with tempfile.TemporaryDirectory() as tmp:
        w = local_gguf.random_bert(rng, d=8, heads=2, ff=16, layers=1, ctx=16)
        for wtype, tag in [(local_gguf.GGML_F32, "f32"), (local_gguf.GGML_F16, "f16")]:
            path = Path(tmp) / f"bert-{tag}.gguf"
            local_gguf.write_bert(path, w, wtype)
            put("embed_gguf", f"bert-{tag}.gguf", path.read_bytes())
        w32 = local_gguf.random_bert(rng, d=32, heads=2, ff=32, layers=1, ctx=8)
        path = Path(tmp) / "bert-q8.gguf"
        local_gguf.write_bert(path, w32, local_gguf.GGML_Q8_0)
        put("embed_gguf", "bert-q8_0.gguf", path.read_bytes())
        nomic = local_gguf.random_nomic(rng, d=8, heads=2, ff=8, layers=1, ctx=16)
        path = Path(tmp) / "nomic.gguf"
        local_gguf.write_nomic(path, nomic)
        put("embed_gguf", "nomic.gguf", path.read_bytes())
    glove = "".join(f"{word} " + " ".join(f"{v:.3f}" for v in rng.standard_normal(4)) + "\n"
                    for word in ["the", "cat", "sat", "on", "mat", "café", "naïve"])
    put("embed_vectors", "glove.txt", b"\0" + glove.encode())
    put("embed_vectors", "glove-header.txt", b"\x83" + f"7 4\n{glove}".encode())
    # wink-embeddings JSON: per word its vector, then its L2 norm and its index.
    wink = {"dimensions": 4, "precision": 3, "l2NormIndex": 4, "wordIndex": 5,
            "vectors": {"the": [0.1, 0.2, 0.3, 0.4, 0.548, 0], "cat": [0.5, 0.6, 0.7, 0.8, 1.304, 1],
                        "dog": [-1, 0, 1, 0.5, 1.5, 2]}}
    put("embed_vectors", "wink.json", b"\x02" + json.dumps(wink).encode())
    toks, _ = local_gguf.hf_to_gguf_tokens(local_gguf.SMALL_VOCAB)
    vocab = "\n".join(toks).encode()
    for i, text in enumerate(["Hello world! The cat sat on the mat.", "unaffable strawberries",
                              "[CLS] café\u0301 日本語 [MASK]x", "  \t\u00a0a,b.c!!"]):
        put("embed_tokenizer", f"text{i}", bytes([6 + 30 * i]) + vocab + b"\0" + text.encode())
    vec = [0.25, -1.5, 3.0]
    b64 = base64.b64encode(struct.pack("<3f", *vec)).decode()
    bodies = [
        (1, {"object": "list", "data": [{"object": "embedding", "index": 1, "embedding": vec},
                                        {"object": "embedding", "index": 0, "embedding": vec}],
             "usage": {"prompt_tokens": 4, "total_tokens": 4}}),
        (0, {"data": [{"embedding": b64}], "usage": {"total_tokens": 2}}),
        (1, {"embeddings": {"float": [vec, vec]}, "meta": {"billed_units": {"input_tokens": 3}}}),
        (1, {"embeddings": [{"values": vec}, {"values": vec}]}),
        (0, {"embedding": {"values": vec}}),
        (1, {"embeddings": [vec, vec], "prompt_eval_count": 7}),
        (0, [{"index": 0, "embedding": [vec]}]),
        (0, {"error": {"message": "Incorrect API key provided: sk-secret", "type": "auth"}}),
        (0, {"model": "m", "url": "http://127.0.0.1:1/v1", "format": "openai", "key": "k",
             "timeout_ms": 1000, "headers": {"x-a": "b"}, "extra": {"truncate": True}}),
    ]
    for i, (n, body) in enumerate(bodies):
        put("embed_remote", f"body{i}", bytes([n]) + json.dumps(body).encode())
    put("embed_remote", "base64", b"\0" + b64.encode())


def vec():
    put("vec_vector", "f32", b"\0[1.5, -2, 3e-3, 0]\0" + struct.pack("<4f", 1, 2, 3, 4))
    put("vec_vector", "i8", b"\1[1, -128, 127, 0]\0" + bytes([1, 0x80, 0x7f, 0]))
    put("vec_vector", "bit", b"\2\0" + bytes([0xa5, 0x0f]))
    put("vec_vector", "f16", b"\3[0.5, 65504, -1e-4]\0" + struct.pack("<3e", 0.5, 1, -2))
    put("vec_vector", "schema",
        b"\0emb float[4] distance_metric=cosine\nuser_id integer primary key\n"
        b"+note text\ngenre text partition key\nyear integer\nchunk_size=8\0")


def lsm_block(entries, interval=2):
    """A block in ext/lsm's format (see ext/lsm/lsm_block.h), keys being internal keys."""
    out, restarts, last = bytearray(), [], b""
    for i, (k, v) in enumerate(entries):
        shared = 0
        if i % interval == 0:
            restarts.append(len(out))
        else:
            while shared < min(len(k), len(last)) and k[shared] == last[shared]:
                shared += 1
        out += lsm_varint(shared) + lsm_varint(len(k) - shared) + lsm_varint(len(v))
        out += k[shared:] + v
        last = k
    for r in restarts:
        out += struct.pack("<I", r)
    return bytes(out + struct.pack("<I", len(restarts)))


def lsm_varint(x):
    out = bytearray()
    while x >= 0x80:
        out.append(x & 0x7f | 0x80)
        x >>= 7
    return bytes(out + bytes([x]))


def lsm():
    def ikey(k, seq, typ=1):
        return k + struct.pack("<Q", seq << 8 | typ)
    put("lsm_block", "block", lsm_block([(ikey(b"apple", 9), b"red"), (ikey(b"apricot", 8), b""),
                                         (ikey(b"banana", 7, 0), b""),
                                         (ikey(b"blueberry", 6), b"x" * 40)]))
    put("lsm_codec", "row", value_blob([11, 22, 33]))
    put("lsm_codec", "mixed", value_blob([None, -5, 2.5, "text", b"\0\1", 40, 1 << 62]))
    put("lsm_codec", "key", varint(67824) + value_blob([-(1 << 63)]))
    lib = ROOT / "dist" / "lsm"
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "kv"
        conn = sqlite3.connect(":memory:", isolation_level=None)
        conn.enable_load_extension(True)
        conn.load_extension(str(lib))
        conn.execute(f"CREATE VIRTUAL TABLE kv USING lsm1('{store}', k, UINT, v)")
        for i in range(60):
            conn.execute("INSERT INTO kv VALUES (?, ?)", (i * 7, f"value-{i}" * (i % 4)))
        conn.execute("DELETE FROM kv WHERE k = 14")
        conn.execute("INSERT INTO kv(lsm1_command) VALUES ('flush')")
        conn.execute("BEGIN")
        for i in range(5):
            conn.execute("INSERT INTO kv VALUES (?, ?)", (1000 + i, "logged"))
        conn.execute("DELETE FROM kv WHERE k = 21")
        conn.execute("COMMIT")
        conn.execute("INSERT INTO kv VALUES (5, x'00ff')")
        tables = sorted(Path(tmp).glob("kv-*.sst"))
        logs = [p for p in sorted(Path(tmp).glob("kv-log*")) if p.stat().st_size > 0]
        put("lsm_table", "table.sst", tables[0].read_bytes())
        # fuzz_lsm_store: flags, table number, then manifest and log with 16-bit lengths.
        manifest, log = store.read_bytes(), logs[0].read_bytes()
        number = int(tables[0].stem.rsplit("-", 1)[1])
        put("lsm_store", "store", bytes([0, number]) + struct.pack("<H", len(manifest)) + manifest
            + struct.pack("<H", len(log)) + log + tables[0].read_bytes())
        put("lsm_store", "store-no-log", bytes([1, number]) + struct.pack("<H", len(manifest))
            + manifest + struct.pack("<H", 0) + tables[0].read_bytes())
        put("lsm_manifest", "manifest", store.read_bytes() + b"\1")
        for i, log in enumerate(logs):
            put("lsm_wal", f"log{i}", log.read_bytes() + b"\1")
        conn.close()


def main():
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    jsonschema()
    timezone()
    embed()
    vec()
    lsm()
    for d in sorted(CORPUS.iterdir()):
        files = list(d.iterdir())
        print(f"{d.name}: {len(files)} files, {sum(f.stat().st_size for f in files)} bytes")


if __name__ == "__main__":
    main()
