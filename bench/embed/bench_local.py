"""embed (local half) benchmarks: a MiniLM-L6-shaped BERT (384 wide, 6 layers, 12 heads, 1536 FFN,
the real 30,522-token bert-base-uncased vocabulary; random weights, since no real weights can be
downloaded here) in F32 and Q8_0, ours vs sqlite-lembed 0.0.1-alpha.8 (npm, llama.cpp inside) on
the same GGUF file and the same sentences, contenders alternating.

Workloads: model load; short sentences one lembed() call each; the same sentences batched
(lembed_each for us; sqlite-lembed has no batch API, so its row is the same loop); 128-token
chunks. Then peak RSS of a process that loads the model and embeds, against the file size.
EMBED_BENCH_FULL=1 runs more sentences and chunks (sqlite-lembed takes seconds per call on a busy
machine, so the default stays small).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "embed"))
import benchlib  # noqa: E402
import local_gguf as G  # noqa: E402
import local_vocab  # noqa: E402

FULL = os.environ.get("EMBED_BENCH_FULL") == "1"
REPEATS = 3
N_SHORT = 24 if FULL else 4
N_CHUNKS = 4 if FULL else 1
WORDS = ("the quick brown fox jumps over a lazy dog while people in the city read news about "
         "markets weather sports science music travel and food every single morning").split()


def sentences(n, words_each, seed):
    out = []
    for i in range(n):
        k = (seed * 7 + i * 5) % len(WORDS)
        out.append(" ".join(WORDS[(k + j * 3) % len(WORDS)] for j in range(words_each)))
    return out


def peer_path():
    try:
        pkg = benchlib.peers.npm_package("sqlite-lembed-linux-x64")
        return str(benchlib.peers.find_file(pkg, "lembed0.so"))[:-3]
    except (benchlib.peers.PeerUnavailable, Exception) as e:  # noqa: B902
        print(f"  sqlite-lembed unavailable: {e}", file=sys.stderr)
        return None


def connect(ext):
    import sqlite3
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(ext)
    return conn


REGISTER = "INSERT INTO temp.lembed_models(name, model) SELECT ?, lembed_model_from_file(?)"

# VmHWM, not ru_maxrss: a child inherits its parent's ru_maxrss across fork and exec.
RSS_SCRIPT = r"""
import sqlite3, sys
def kib(field):
    return int(open('/proc/self/status').read().split(field + ':')[1].split()[0])
ext, model, text = sys.argv[1:4]
c = sqlite3.connect(':memory:', isolation_level=None)
c.enable_load_extension(True)
c.load_extension(ext)
base = kib('VmRSS')
c.execute("INSERT INTO temp.lembed_models(name, model) SELECT 'default', lembed_model_from_file(?)",
          (model,))
for _ in range(3):
    c.execute("SELECT lembed(?)", (text,)).fetchone()
print((kib('VmHWM') - base) / 1024)
"""


def rss_mib(ext, model, text):
    proc = subprocess.run([sys.executable, "-c", RSS_SCRIPT, ext, str(model), text],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return None
    return float(proc.stdout.strip())


def main():
    peer = peer_path()
    ours = str(benchlib.DIST / "embed")
    folder = Path(tempfile.mkdtemp(prefix="strata-embed-bench-"))
    files = {}
    for name, t in [("F32", G.GGML_F32), ("Q8_0", G.GGML_Q8_0)]:
        files[name] = folder / f"minilm-shaped-{name}.gguf"
        local_vocab.write_real_vocab_bert(files[name], t, d=384, heads=12, ff=1536, layers=6,
                                          ctx=512)
    short = sentences(N_SHORT, 10, 1)
    chunks = [" ".join(sentences(13, 10, 3 + i)) for i in range(N_CHUNKS)]

    for name, path in files.items():
        size_mb = path.stat().st_size / 1e6
        table = benchlib.Table(f"embed local: MiniLM-L6-shaped {name} ({size_mb:.1f} MB), "
                               "one thread for us", unit="ms")
        conns = {"strata": connect(ours)}
        if peer:
            conns["sqlite-lembed"] = connect(peer)
        counter = [0]

        def loader(conn):
            def load():
                counter[0] += 1
                conn.execute(REGISTER, (f"m{counter[0]}", str(path)))
                conn.execute("DELETE FROM temp.lembed_models WHERE name = ?",
                             (f"m{counter[0]}",)) if conn is conns["strata"] else None
            return load

        table.add("model load", benchlib.compare({n: loader(c) for n, c in conns.items()},
                                                  repeats=REPEATS))
        for c in conns.values():
            c.execute(REGISTER, ("default", str(path)))
        ours_conn = conns["strata"]
        n_tokens = sum(len(json.loads(ours_conn.execute(
            "SELECT lembed_tokenize_json('default', ?)", (s,)).fetchone()[0])) for s in short)

        def single(conn, texts):
            return lambda: [conn.execute("SELECT lembed(?)", (s,)).fetchone() for s in texts]

        med = benchlib.compare({n: single(c, short) for n, c in conns.items()}, repeats=REPEATS)
        table.add(f"{N_SHORT} short sentences, one call each", med,
                  note=f"({n_tokens / N_SHORT:.0f} tokens each)")
        report_rates(med, N_SHORT, n_tokens)

        batched = {"strata": lambda: ours_conn.execute(
            "SELECT count(*) FROM lembed_each('default', ?)", (json.dumps(short),)).fetchone()}
        if peer:
            batched["sqlite-lembed"] = single(conns["sqlite-lembed"], short)
        med = benchlib.compare(batched, repeats=REPEATS)
        table.add(f"{N_SHORT} short sentences, batched", med, note="(peer: no batch API)")
        report_rates(med, N_SHORT, n_tokens)

        c_tokens = sum(len(json.loads(ours_conn.execute(
            "SELECT lembed_tokenize_json('default', ?)", (s,)).fetchone()[0])) for s in chunks)
        med = benchlib.compare({n: single(c, chunks) for n, c in conns.items()},
                               repeats=REPEATS)
        table.add(f"{N_CHUNKS} chunks, one call each", med,
                  note=f"({c_tokens / N_CHUNKS:.0f} tokens each)")
        report_rates(med, N_CHUNKS, c_tokens)
        for c in conns.values():
            c.close()

        rss = {"strata": rss_mib(ours, path, short[0])}
        if peer:
            rss["sqlite-lembed"] = rss_mib(peer, path, short[0])
        print("  peak RSS growth after load + 3 embeddings: " + ", ".join(
            f"{n} {'failed' if v is None else f'{v:.1f} MiB'}" for n, v in rss.items()) +
            f" (file {path.stat().st_size / 2**20:.1f} MiB; goal: file + 32 MiB)")
    for p in files.values():
        p.unlink()
    folder.rmdir()


def report_rates(medians, n_texts, n_tokens):
    print("  " + ", ".join(
        f"{n}: {n_texts / t:.1f} texts/s, {n_tokens / t:.0f} tokens/s"
        for n, t in medians.items() if t))


if __name__ == "__main__":
    main()
