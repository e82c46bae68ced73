"""Datasette with the datasette-strata plugin (docs/datasette.md): a small film database with
a vec0 table, served on 127.0.0.1 with the plugin's wheels installed next to Datasette 0.64.8,
queried over HTTP as a visitor would, then stopped.

Where Datasette's sources (../shared/hosts) or the wheels (make wheel) are missing, the demo
says so and stops without failing the tour. DEMO_SCREENSHOT=knn.png saves a headless chromium
screenshot of the KNN query page, with its vectors shown as numbers.
"""

import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = Path(os.environ.get("STRATA_DIST", ROOT / "dist"))
if not DIST.is_absolute():
    DIST = ROOT / DIST
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "hosts"))

KNN = ("SELECT rowid, title, round(distance, 4) AS distance, embedding FROM films "
       "WHERE embedding MATCH '[0.85, 0.15, 0.05, 0.1]' AND k = 3")


def skip(why):
    print(f"(skipped: {why})")
    sys.exit(0)


def main():
    os.environ.pop("CI", None)  # a missing resource skips the demo, never fails it
    import pytest

    try:
        import datasette_host

        python = datasette_host.plugin_python()
    except pytest.skip.Exception as e:
        skip(str(e))
    except pytest.fail.Exception as e:
        skip(str(e).splitlines()[0])
    with tempfile.TemporaryDirectory(prefix="strata-demo-") as folder:
        serve(datasette_host, python, Path(folder))
    print("Datasette stopped.")


def serve(datasette_host, python, folder):
    db = folder / "films.db"
    conn = sqlite3.connect(db)
    conn.enable_load_extension(True)
    conn.load_extension(str(DIST / "vec"))
    conn.enable_load_extension(False)
    conn.executescript("""
        CREATE VIRTUAL TABLE films USING vec0(embedding float[4], genre text, +title text);
        INSERT INTO films(rowid, embedding, genre, title) VALUES
          (1, '[0.9, 0.1, 0.0, 0.1]', 'scifi', 'Blade Runner'),
          (2, '[0.8, 0.2, 0.1, 0.0]', 'scifi', 'The Matrix'),
          (3, '[0.1, 0.9, 0.2, 0.0]', 'comedy', 'Groundhog Day'),
          (4, '[0.6, 0.5, 0.1, 0.1]', 'comedy', 'Ghostbusters');
    """)
    conn.commit()
    conn.close()
    schema = {"type": "object", "required": ["title"]}
    metadata = {"plugins": {"datasette-strata": {
        "schemas": {"https://example.com/film.json": schema}}}}
    (folder / "metadata.json").write_text(json.dumps(metadata))

    with datasette_host.Server(db, "-m", folder / "metadata.json", cwd=folder,
                               python=python) as ds:
        print(f"Datasette with datasette-strata on {ds.base}/films")
        print("\n-- the 3 films nearest to [0.85, 0.15, 0.05, 0.1], through /films.json:")
        for row in ds.query("films", KNN.replace(", embedding FROM", " FROM")):
            print(f"   {row['rowid']}  {row['title']:<14} {row['distance']}")
        status, page = ds.get("/films?" + urllib.parse.urlencode({"sql": KNN}))
        shown = re.findall(r'<span class="strata-vector"[^>]*>([^<]*)</span>', page.decode())
        print("-- the same query's HTML page shows the embeddings as:", ", ".join(shown))
        row = ds.query("films", """SELECT strata_locked() AS locked,
            jsonschema_matches('{"$ref": "https://example.com/film.json"}',
                               '{"title": "Alien"}') AS valid""")[0]
        print(f"-- registries locked: {row['locked']}; a film document validates: "
              f"{row['valid']}")
        try:
            ds.query("films", "SELECT load_extension('/tmp/x.so')")
        except datasette_host.QueryError as e:
            print(f"-- a visitor's load_extension(): {e}")
        tables = json.loads(ds.get("/films.json")[1])["tables"]
        hidden = sum(1 for t in tables if t["hidden"])
        print(f"-- tables listed: {', '.join(t['name'] for t in tables if not t['hidden'])} "
              f"({hidden} vec0 shadow tables hidden)")
        target = os.environ.get("DEMO_SCREENSHOT")
        if target:
            screenshot(ds.base + "/films?" + urllib.parse.urlencode({"sql": KNN}), target)


def screenshot(url, target):
    import datasette_host

    target = Path(os.environ.get("STRATA_DEMO_CWD", ".")) / target  # where make ran
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run([datasette_host.chromium(), *datasette_host.browser_args(profile),
                               "--window-size=1100,700", f"--screenshot={target.resolve()}",
                               url], capture_output=True, text=True, timeout=120,
                              env=datasette_host.browser_env())
    if proc.returncode == 0 and target.exists():
        print(f"-- screenshot of the KNN page: {target.resolve()}")
    else:
        print(f"-- screenshot failed: {proc.stderr[-500:]}")


if __name__ == "__main__":
    main()
