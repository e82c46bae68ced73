"""Random sequences of writes on vec0 against a Python model: after each batch, KNN results
(with and without filters), point lookups and integrity_check must agree with brute force."""

import sqlite3

import numpy as np
import pytest

import helpers

D = 8


def knn(model, q, k, pred=lambda r: True):
    rows = [(float(np.sqrt(((v.astype(np.float64) - q) ** 2).sum())), rid)
            for rid, (v, tag, part) in model.items() if pred((tag, part))]
    rows.sort()
    return [rid for _, rid in rows[:k]]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_writes_match_model(seed, tmp_path):
    rng = np.random.default_rng(seed)
    db = helpers.connect("vec", database=str(tmp_path / "r.db"))
    db.execute(f"create virtual table v using vec0(part integer partition key, emb float[{D}], "
               "tag integer, chunk_size=8)")
    model = {}
    next_id = 1
    for batch in range(12):
        db.execute("begin")
        undo = dict(model)
        for _ in range(int(rng.integers(5, 40))):
            op = rng.random()
            if op < 0.5 or not model:
                vec = rng.normal(size=D).astype(np.float32)
                tag, part = int(rng.integers(0, 4)), int(rng.integers(0, 3))
                db.execute("insert into v(rowid, part, emb, tag) values (?, ?, ?, ?)",
                           (next_id, part, vec.tobytes(), tag))
                model[next_id] = (vec, tag, part)
                next_id += 1
            elif op < 0.75:
                rid = int(rng.choice(list(model)))
                db.execute("delete from v where rowid = ?", (rid,))
                del model[rid]
            elif op < 0.9:
                rid = int(rng.choice(list(model)))
                vec = rng.normal(size=D).astype(np.float32)
                tag = int(rng.integers(0, 4))
                db.execute("update v set emb = ?, tag = ? where rowid = ?", (vec.tobytes(), tag, rid))
                model[rid] = (vec, tag, model[rid][2])
            else:
                rid = int(rng.choice(list(model)))
                vec = rng.normal(size=D).astype(np.float32)
                part = model[rid][2]
                db.execute("insert or replace into v(rowid, part, emb, tag) values (?, ?, ?, 9)",
                           (rid, part, vec.tobytes()))
                model[rid] = (vec, 9, part)
        if batch % 4 == 3:
            db.execute("rollback")
            model = undo
        else:
            db.execute("commit")
        if batch % 3 == 2:
            db.execute("insert into v(v) values ('optimize')")
        db.execute("insert into v(v) values ('integrity_check')")
        assert db.execute("select count(*) from v").fetchone()[0] == len(model)
        q = rng.normal(size=D).astype(np.float32)
        got = [r[0] for r in db.execute("select rowid from v where emb match ? and k = 7",
                                        (q.tobytes(),))]
        assert got == knn(model, q, 7)
        got = [r[0] for r in db.execute("select rowid from v where emb match ? and k = 5 "
                                        "and part = 1 and tag != 2", (q.tobytes(),))]
        assert got == knn(model, q, 5, lambda tp: tp[1] == 1 and tp[0] != 2)
        for rid in list(model)[:5]:
            row = db.execute("select emb, tag, part from v where rowid = ?", (rid,)).fetchone()
            assert row == (model[rid][0].tobytes(), model[rid][1], model[rid][2])
    db.close()
