"""A local HTTP server speaking the wire formats of embedding APIs, for the rembed tests and
benchmarks. Binds 127.0.0.1 on a random port; holds no tests itself.

Every request is recorded (path, headers, JSON body, client port). Responses follow the
provider whose endpoint path was called; a test can queue scripted responses (status, headers,
body, delay) that are served first, in order.

Vectors are exact in float32, so tests compare them with ==: vector(text) =
[len(text), sum of its UTF-8 bytes % 997, 0.5, -0.25], extended with k/8 up to the requested
dimensions.
"""

import base64
import http.server
import json
import socket
import struct
import threading
import time


def vector(text, dim=4):
    b = text.encode("utf-8")
    base = [float(len(b)), float(sum(b) % 997), 0.5, -0.25]
    return (base + [k / 8 for k in range(4, max(dim, 4))])[:dim]


def b64(vec):
    return base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()


def tokens(texts):
    return sum(len(t.split()) for t in texts)


class Scripted:
    """A queued response; status 0 closes the connection without one."""

    def __init__(self, status=200, body=b"", headers=None, delay=0.0):
        self.status, self.headers, self.delay = status, headers or {}, delay
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode() \
            if not isinstance(body, str) else body.encode()


def _dim(req, *fields):
    for f in fields:
        if isinstance(req.get(f), int):
            return req[f]
    return 4


def respond(path, req):
    """The provider's response for a request body (a dict) sent to path."""
    if path.endswith(":batchEmbedContents"):  # gemini
        out = []
        for r in req["requests"]:
            text = r["content"]["parts"][0]["text"]
            out.append({"values": vector(text, _dim(r, "outputDimensionality"))})
        return {"embeddings": out}
    if path.endswith(":embedContent"):
        text = req["content"]["parts"][0]["text"]
        return {"embedding": {"values": vector(text, _dim(req, "outputDimensionality"))}}
    if path.endswith("/embedding/text"):  # nomic
        texts = req["texts"]
        return {"embeddings": [vector(t, _dim(req, "dimensionality")) for t in texts],
                "usage": {"prompt_tokens": tokens(texts), "total_tokens": tokens(texts)}}
    if path.endswith("/v2/embed") or path.endswith("/v1/embed"):  # cohere
        texts = req["texts"]
        kinds = req.get("embedding_types") or ["float"]
        vecs = [vector(t, _dim(req, "output_dimension")) for t in texts]
        emb = {k: ([b64(v) for v in vecs] if k == "base64" else vecs) for k in kinds}
        return {"id": "x", "embeddings": emb, "texts": texts,
                "meta": {"billed_units": {"input_tokens": tokens(texts)}}}
    if path.split("?")[0].endswith("/api/embeddings"):  # ollama's legacy endpoint
        if not isinstance(req.get("prompt"), str) or "input" in req:
            raise ValueError("'prompt' must be a string")
        return {"embedding": vector(req["prompt"])}
    if path.endswith("/api/embed"):  # ollama
        texts = req["input"] if isinstance(req["input"], list) else [req["input"]]
        return {"model": req["model"],
                "embeddings": [vector(t, _dim(req, "dimensions")) for t in texts],
                "prompt_eval_count": tokens(texts)}
    if path.endswith("/embedding"):  # llamafile
        return {"embedding": vector(req["content"])}
    if path.endswith("/embedding-list"):  # current llama-server /embedding
        return [{"index": 0, "embedding": [vector(req["content"])]}]
    # OpenAI shape: openai, jina, mixedbread, voyage, mistral, llamacpp. Items come back in
    # reverse order with their index, so clients must sort.
    texts = req["input"] if isinstance(req["input"], list) else [req["input"]]
    want_b64 = "base64" in (req.get("encoding_format"), req.get("embedding_type"))
    dim = _dim(req, "dimensions", "output_dimension")
    data = [{"object": "embedding", "index": i,
             "embedding": b64(vector(t, dim)) if want_b64 else vector(t, dim)}
            for i, t in enumerate(texts)]
    return {"object": "list", "data": data[::-1], "model": req.get("model"),
            "usage": {"prompt_tokens": tokens(texts), "total_tokens": tokens(texts)}}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and the
        # client's delayed ACK add 40 ms to every keep-alive request.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self):
        srv = self.server.owner
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with srv.lock:
            srv.requests.append({"path": self.path, "headers": dict(self.headers.items()),
                                 "body": body, "port": self.client_address[1]})
            scripted = srv.script.pop(0) if srv.script else None
        if scripted is not None:
            if scripted.delay:
                time.sleep(scripted.delay)
            if scripted.status == 0:  # hang up without answering
                self.close_connection = True
                return
            self._send(scripted.status, scripted.body, scripted.headers)
            return
        try:
            out = json.dumps(respond(self.path, body)).encode()
            self._send(200, out, {})
        except Exception as e:  # a malformed request is a 400 with a message, as providers do
            self._send(400, json.dumps({"error": {"message": f"bad request: {e!r}"}}).encode(), {})

    def _send(self, status, body, headers):
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class ProviderServer:
    """with ProviderServer() as srv: srv.url + '/v1/embeddings' ..."""

    def __init__(self):
        self.requests, self.script, self.lock = [], [], threading.Lock()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def queue(self, *responses):
        with self.lock:
            self.script.extend(responses)

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.script.clear()


class SilentServer:
    """A loopback port that accepts connections (the kernel does, up to its backlog) and never
    answers: with SilentServer() as url: ... requests to url wait until they time out."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]

    def __enter__(self):
        return self.url

    def __exit__(self, *exc):
        self.sock.close()


if __name__ == "__main__":
    # Standalone, for benchmarks: prints the URL, serves until stdin closes.
    import sys
    with ProviderServer() as srv:
        print(srv.url, flush=True)
        sys.stdin.read()
