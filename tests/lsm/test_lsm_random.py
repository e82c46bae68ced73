"""Randomized comparison of an lsm1 table with an ordinary WITHOUT ROWID table: the same random
INSERT / UPDATE / DELETE / transaction / savepoint steps on both, with range and IN queries of
every bound shape in both directions after each step, and flushes and compactions of the lsm
side along the way. The seed is printed; LSM_SEED=<n> replays a run."""

import os
import random

import pytest

STEPS = 4000


def random_key(rng, kt):
    n = rng.randrange(400)
    if kt == "UINT":
        return n * 37 if rng.random() < 0.9 else rng.choice([0, 2**40 + n, 2**63 - 1 - n])
    s = f"{n:x}" * rng.randrange(1, 3)
    return s if kt == "TEXT" else s.encode()


def random_value(rng):
    return rng.choice([None, rng.randrange(-50, 50), rng.randrange(-2**63, 2**63),
                       rng.random() * 1e6, "t" * rng.randrange(20), os.urandom(rng.randrange(8))])


def random_operand(rng, kt):
    if rng.random() < 0.85:
        return random_key(rng, kt)
    return rng.choice([None, -5, 3.5, "17", "zz", b"\x10", 2**63 - 1])


def random_query(rng, kt):
    cols = rng.choice(["k", "k, a, b", "*"])
    where, args = [], []
    shape = rng.randrange(5)
    if shape == 1:
        where.append(f"k {rng.choice(['=', '>', '>=', '<', '<='])} ?")
        args.append(random_operand(rng, kt))
    elif shape == 2:
        ops = [rng.choice([">", ">="]), rng.choice(["<", "<="])]
        rng.shuffle(ops)
        for op in ops:
            where.append(f"k {op} ?")
            args.append(random_operand(rng, kt))
    elif shape == 3:
        n = rng.randrange(1, 6)
        where.append(f"k IN ({', '.join('?' * n)})")
        args += [random_operand(rng, kt) for _ in range(n)]
    elif shape == 4:
        where.append("k BETWEEN ? AND ?")
        args += sorted([random_key(rng, kt), random_key(rng, kt)])
    if rng.random() < 0.2:
        where.append("a IS NOT NULL")
    sql = f"SELECT {cols} FROM {{t}}" + (" WHERE " + " AND ".join(where) if where else "")
    order = rng.choice(["", " ORDER BY k", " ORDER BY k DESC"])
    limit = rng.choice(["", "", " LIMIT 5", " LIMIT 3 OFFSET 2"]) if order else ""
    return sql + order + limit, args, bool(order)


def random_write(rng, kt, in_txn):
    """(sql for the lsm table, sql for the oracle, args)."""
    r = rng.random()
    k = random_key(rng, kt)
    if r < 0.45:
        return ("INSERT INTO {t} VALUES (?, ?, ?)", "INSERT OR REPLACE INTO {t} VALUES (?, ?, ?)",
                [k, random_value(rng), random_value(rng)])
    if r < 0.55:
        return ("INSERT OR IGNORE INTO {t} VALUES (?, ?, ?)",) * 2 + ([k, 1, 2],)
    if r < 0.7:
        lo, hi = sorted([k, random_key(rng, kt)])
        return ("UPDATE {t} SET b = ? WHERE k BETWEEN ? AND ?",) * 2 + (
            [random_value(rng), lo, hi],)
    if r < 0.8:
        return ("UPDATE {t} SET k = ? WHERE k = ?", "UPDATE OR REPLACE {t} SET k = ? WHERE k = ?",
                [random_key(rng, kt), k])
    if r < 0.9:
        return ("DELETE FROM {t} WHERE k = ?",) * 2 + ([k],)
    if kt == "UINT":
        hi = min(k + 37 * rng.randrange(4), 2**63 - 1)
    else:
        hi = k + (rng.choice(["1", "9"]) if kt == "TEXT" else rng.choice([b"1", b"9"]))
    return ("DELETE FROM {t} WHERE k > ? AND k < ?",) * 2 + ([k, hi],)


@pytest.mark.parametrize("kt", ["UINT", "TEXT", "BLOB"])
def test_random_against_oracle(ldb, kt):
    seed = int(os.environ.get("LSM_SEED", random.randrange(2**32)))
    print(f"LSM_SEED={seed} ({kt})")
    rng = random.Random(seed)
    ldb.execute(f"CREATE VIRTUAL TABLE v USING lsm1(v.lsm, k, {kt}, a, b, memtable_bytes=65536,"
                " block_bytes=512, file_bytes=65536, level1_bytes=131072, durability=off)")
    ldb.execute(f"CREATE TABLE o(k {kt} PRIMARY KEY, a, b) WITHOUT ROWID")
    compared = 0
    depth = 0  # 0 autocommit, 1 in BEGIN, 2+ inside savepoints
    for step in range(STEPS):
        r = rng.random()
        ctx = f"seed {seed} step {step}"
        if r < 0.04 and depth == 0:
            ldb.execute("BEGIN")
            depth = 1
        elif r < 0.07 and depth >= 1:
            ldb.execute(f"SAVEPOINT s{depth}")
            depth += 1
        elif r < 0.09 and depth >= 2:
            name = f"s{depth - 1}"  # the innermost savepoint
            action = rng.choice(["RELEASE", "ROLLBACK TO", "ROLLBACK TO + RELEASE"])
            if action.startswith("ROLLBACK"):
                ldb.execute(f"ROLLBACK TO {name}")
            if action.endswith("RELEASE"):
                ldb.execute(f"RELEASE {name}")
                depth -= 1
        elif r < 0.11 and depth >= 1:
            ldb.execute(rng.choice(["COMMIT", "ROLLBACK"]))
            depth = 0
        elif r < 0.12:
            ldb.execute("INSERT INTO v(lsm1_command) VALUES (?)", (rng.choice(["flush", "compact"]),))
        elif r < 0.6:
            mine, theirs, args = random_write(rng, kt, depth > 0)
            ldb.execute(mine.format(t="v"), args)
            ldb.execute(theirs.format(t="o"), args)
        else:
            sql, args, ordered = random_query(rng, kt)
            got = ldb.execute(sql.format(t="v"), args).fetchall()
            want = ldb.execute(sql.format(t="o"), args).fetchall()
            if not ordered:
                got, want = sorted(got, key=repr), sorted(want, key=repr)
            assert got == want, (ctx, sql, args)
            compared += len(got)
    if depth:
        ldb.execute("COMMIT")
    assert ldb.execute("SELECT * FROM v").fetchall() == ldb.execute("SELECT * FROM o").fetchall()
    ldb.execute("INSERT INTO v(lsm1_command) VALUES ('integrity-check')")
    assert compared > 5000  # the comparison was not vacuous
