"""rembed against a local server speaking OpenAI's wire format (tests/embed/test_remote_server.py,
run in its own process on 127.0.0.1):

- 1,000 texts through rembed_each (one request) vs 1,000 rembed calls (1,000 requests);
- per-call time of rembed on a reused loopback connection, against Python's http.client doing the
  same POST on a keep-alive connection (the server's own cost is the floor both pay).

The peer, sqlite-rembed, ships on PyPI only (unreachable here) and has no batching, so there is
no peer row.
"""

import http.client
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import benchlib  # noqa: E402

sys.path.insert(0, str(benchlib.ROOT / "tests"))
import helpers  # noqa: E402

N_TEXTS = 1000
N_CALLS = 200


def start_server():
    proc = subprocess.Popen([sys.executable, str(benchlib.ROOT / "tests/embed/test_remote_server.py")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"test server did not start: {url!r}")
    return proc, url


def main():
    proc, url = start_server()
    try:
        run(url)
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def run(url):
    conn = helpers.connect("embed")
    conn.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('c', "
                 "rembed_client_options('format', 'openai', 'model', 'm', 'key', 'k', 'url', ?))",
                 [url + "/v1/embeddings"])
    texts = [f"document number {i}: some words to embed" for i in range(N_TEXTS)]
    array = json.dumps(texts)

    def batched():
        rows = conn.execute("SELECT embedding FROM rembed_each('c', ?)", [array]).fetchall()
        assert len(rows) == N_TEXTS

    def one_by_one():
        for t in texts:
            conn.execute("SELECT rembed('c', ?)", [t]).fetchone()

    table = benchlib.Table(f"{N_TEXTS} texts, OpenAI format, loopback server")
    medians = benchlib.compare({"strata": batched, "strata rembed x1000": one_by_one}, repeats=5)
    table.add("rembed_each vs rembed per row", medians)

    host, port = url[len("http://"):].split(":")
    body = json.dumps({"model": "m", "input": ["one short text"]})
    client = http.client.HTTPConnection(host, int(port))

    def python_client():
        for _ in range(N_CALLS):
            client.request("POST", "/v1/embeddings", body,
                           {"Content-Type": "application/json", "Authorization": "Bearer k"})
            client.getresponse().read()

    def rembed_calls():
        for _ in range(N_CALLS):
            conn.execute("SELECT rembed('c', 'one short text')").fetchone()

    per_call = benchlib.Table(f"one text per request, keep-alive, per call ({N_CALLS} calls)")
    medians = benchlib.compare({"strata": rembed_calls, "python http.client": python_client},
                               repeats=5)
    per_call.add("rembed() per call", {k: v / N_CALLS for k, v in medians.items()})
    usage = json.loads(helpers.scalar(conn, "SELECT rembed_usage('c')"))
    print(f"usage: {usage}")
    client.close()
    conn.close()


if __name__ == "__main__":
    main()
