/*
** lsm_recover: opening a database without changing it, and the activation that takes it over
** for writing (see lsm_internal.h).
**
** Replay applies the logs in sequence order (the older first) to a fresh memtable. A commit
** record applies at once; a prepare record waits for the decide record that follows it, and a
** prepare record that ends a log (the process stopped before deciding it) is decided by the
** coordinator through opt->resolve. A log is cut at its first bad record: a torn tail when
** nothing intact follows, LSM_CORRUPT when intact records do (salvage drops them instead).
**
** Nothing is written while opening. What the files hold beyond what counts (a torn tail, a log
** whose commits are all in tables, records after a gap, a prepared transaction's missing decide
** record, tables a crash left behind, commits in both logs) is noted and dealt with by
** activation.
*/
#include "lsm/lsm_file.h"
#include "lsm/lsm_format.h"
#include "lsm/lsm_internal.h"
#include "lsm/lsm_wal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- what is at the path ------------------------------------------------------------------- */

/* 1 when name is "<base>-<digits>.sst", with the number in *number. */
static int table_number(const char *name, const char *base, uint64_t *number) {
    size_t nb = strlen(base);
    if (strncmp(name, base, nb) != 0 || name[nb] != '-')
        return 0;
    const char *p = name + nb + 1, *q = p;
    uint64_t n = 0;
    while (*q >= '0' && *q <= '9' && q - p < 19)
        n = n * 10 + (uint64_t)(*q++ - '0');
    if (q == p || strcmp(q, ".sst") != 0)
        return 0;
    *number = n;
    return 1;
}

typedef struct evidence_scan {
    const char *path, *base;
    char found[300];
} evidence_scan;

/* Files that only a database leaves: a table, or a log that is not empty. */
static void find_evidence(void *arg, const char *name) {
    evidence_scan *s = arg;
    uint64_t number;
    if (s->found[0])
        return;
    size_t nb = strlen(s->base);
    int is_log = strncmp(name, s->base, nb) == 0 &&
                 (strcmp(name + nb, "-log") == 0 || strcmp(name + nb, "-log2") == 0);
    if (is_log) {
        char full[4200];
        uint64_t size = 0;
        snprintf(full, sizeof full, "%s%s", s->path, name + nb);
        if (lsm_file_size(full, &size) != LSM_OK || size == 0)
            return;
    } else if (!table_number(name, s->base, &number)) {
        return;
    }
    snprintf(s->found, sizeof s->found, "%s", name);
}

int lsm_store_check(lsm_engine *e, int create) {
    uint64_t size;
    int rc = lsm_file_size(e->path, &size);
    if (rc != LSM_NOTFOUND)
        return rc;
    char dir[4096];
    evidence_scan s = {e->path, NULL, ""};
    if (lsm_file_split(e->path, dir, sizeof dir, &s.base) == LSM_OK)
        lsm_file_list_dir(e->path, find_evidence, &s);
    if (s.found[0]) {
        lsm_file_set_errmsg("%s: the manifest is missing but %s is there: not opened as a new "
                            "database",
                            e->path, s.found);
        return LSM_CORRUPT;
    }
    if (!create) {
        lsm_file_set_errmsg("%s: no such lsm database (its manifest file does not exist)", e->path);
        return LSM_CANTOPEN;
    }
    return LSM_OK;
}

/* ---- replay -------------------------------------------------------------------------------- */

/* Private statuses of replay: the log goes on after a gap in the sequence numbers (the rest is
** dropped), or (salvage) a record that passed its checksum is malformed (the rest is dropped). */
#define REPLAY_GAP 1000
#define REPLAY_STOP 1001

typedef struct replay_state {
    lsm_engine *e;
    const slsm_options *opt; /* the resolver */
    int log;                 /* index of the log being replayed */
    int gap_ends;            /* a gap ends the log (the newer log) instead of being corruption */
    int salvage;             /* malformed records stop replay instead of failing it */
    int applied;             /* records past flushed_seq replayed from this log */
    uint64_t first;          /* first sequence number in the log (0 if none) */
    uint64_t cur, next;      /* offsets of the current record and of the one after it */
    uint64_t cut;            /* where a gap or a stop was found */
    /* a prepare record waiting for its decide record */
    int pending;
    const uint8_t *pend;
    size_t npend;
    uint64_t pend_seq, pend_coord, pend_start, pend_end;
    uint64_t unknown; /* salvage: prepared transactions nobody could decide */
} replay_state;

static int replay_op(void *arg, uint64_t seq, int type, const uint8_t *k, size_t nk,
                     const uint8_t *v, size_t nv) {
    lsm_engine *e = arg;
    if (seq <= e->flushed_seq)
        return LSM_OK;
    return lsm_skiplist_add(e->mem, k, nk, lsm_make_tag(seq, type), v, nv);
}

/* Applies the committed batch of the record starting at offset `start`. */
static int apply_batch(replay_state *st, const uint8_t *payload, size_t n, uint64_t start) {
    lsm_engine *e = st->e;
    int rc = LSM_OK;
    uint64_t seq = n >= 12 ? lsm_batch_payload_seq(payload) : 0;
    uint32_t count = n >= 12 ? lsm_batch_payload_count(payload) : 0;
    if (seq == 0 || seq > LSM_MAX_SEQ / 2 || count == 0) {
        lsm_file_set_errmsg("%s: malformed log record at offset %llu", e->log_path[st->log],
                            (unsigned long long)start);
        rc = LSM_CORRUPT;
    } else if (seq + count - 1 <= e->flushed_seq) {
        return LSM_OK;
    } else if (seq != e->last_seq + 1 &&
               (e->last_seq > e->flushed_seq || seq > e->flushed_seq + 1)) {
        /* the newer log after a gap: its older neighbour lost its tail in a power cut (under
        ** NORMAL durability), so what follows the gap was never durable as a prefix: drop it */
        if (st->gap_ends) {
            st->cut = start;
            return REPLAY_GAP;
        }
        lsm_file_set_errmsg("%s: log records out of sequence at offset %llu", e->log_path[st->log],
                            (unsigned long long)start);
        rc = LSM_CORRUPT;
    } else {
        rc = lsm_batch_walk(payload, n, 0, replay_op, e);
        if (rc == LSM_OK) {
            e->last_seq = seq + count - 1;
            st->applied++;
            return LSM_OK;
        }
        if (rc == LSM_CORRUPT)
            lsm_file_set_errmsg("%s: malformed log record at offset %llu", e->log_path[st->log],
                                (unsigned long long)start);
    }
    if (rc == LSM_CORRUPT && st->salvage) {
        st->cut = start;
        return REPLAY_STOP;
    }
    return rc;
}

/* The prepare record waiting has no decide record: its coordinator decides. */
static int decide_pending(replay_state *st) {
    lsm_engine *e = st->e;
    st->pending = 0;
    uint32_t count = lsm_batch_payload_count(st->pend);
    int outcome;
    if (count > 0 && st->pend_seq + count - 1 <= e->flushed_seq)
        outcome = 1; /* its commits are in tables already */
    else if (st->pend_coord == 0)
        outcome = 0;
    else if (st->opt && st->opt->resolve)
        outcome = st->opt->resolve(st->opt->resolve_arg, st->pend_coord, st->pend_seq);
    else
        outcome = -1;
    if (outcome < 0) {
        if (!st->salvage) {
            lsm_file_set_errmsg("%s: transaction %llu was prepared under coordinator %016llx, "
                                "which is not here to tell whether it committed",
                                e->log_path[st->log], (unsigned long long)st->pend_seq,
                                (unsigned long long)st->pend_coord);
            return LSM_CANTOPEN;
        }
        st->unknown++;
        outcome = 0;
    }
    e->decide_log = st->log;
    e->decide_at = st->pend_end;
    e->decide_seq = st->pend_seq;
    e->decide_coord = st->pend_coord;
    e->decide_outcome = outcome != 0;
    return outcome ? apply_batch(st, st->pend, st->npend, st->pend_start) : LSM_OK;
}

static int replay_record(void *arg, int type, const uint8_t *payload, size_t n) {
    replay_state *st = arg;
    if (type == LSM_REC_END)
        return st->pending ? decide_pending(st) : LSM_OK;
    st->cur = st->next;
    st->next += LSM_WAL_HEADER + n;
    if (st->pending) {
        int decides = type == LSM_REC_DECIDE && lsm_get_fixed64(payload) == st->pend_seq &&
                      lsm_get_fixed64(payload + 8) == st->pend_coord;
        if (decides) {
            st->pending = 0;
            if (payload[16] != 1)
                return LSM_OK;
            return apply_batch(st, st->pend, st->npend, st->pend_start);
        }
        int rc = decide_pending(st);
        if (rc)
            return rc;
    }
    if (type == LSM_REC_COMMIT)
        return apply_batch(st, payload, n, st->cur);
    if (type == LSM_REC_PREPARE) {
        st->pending = 1;
        st->pend = payload;
        st->npend = n - LSM_WAL_COORD_BYTES;
        st->pend_seq = lsm_batch_payload_seq(payload);
        st->pend_coord = lsm_get_fixed64(payload + st->npend);
        st->pend_start = st->cur;
        st->pend_end = st->next;
    }
    return LSM_OK; /* a decide record without its prepare record decides nothing */
}

static int first_seq_only(void *arg, int type, const uint8_t *payload, size_t n) {
    replay_state *st = arg;
    if (type == LSM_REC_DECIDE || type == LSM_REC_END)
        return LSM_OK;
    if (n >= 12)
        st->first = lsm_batch_payload_seq(payload);
    return REPLAY_GAP; /* stop after the first record */
}

typedef struct record_count {
    uint64_t from, at, count;
} record_count;

static int count_record(void *arg, int type, const uint8_t *payload, size_t n) {
    (void)payload;
    record_count *c = arg;
    if (type == LSM_REC_END)
        return LSM_OK;
    if (c->at >= c->from)
        c->count++;
    c->at += LSM_WAL_HEADER + n;
    return LSM_OK;
}

/* Intact records of a log starting at offset `from` or later (those after damage included). */
static uint64_t count_records(const char *path, uint64_t from) {
    record_count c = {from, 0, 0};
    lsm_wal_scan scan;
    if (lsm_wal_replay(path, count_record, &c, &scan) != LSM_OK)
        return c.count;
    return c.count + scan.records_after;
}

static void salvage_note(slsm_salvage_report *rep, const char *path, uint64_t at,
                         const char *what) {
    if (rep->damage[0] == 0)
        snprintf(rep->damage, sizeof rep->damage, "%s: %s at offset %llu", path, what,
                 (unsigned long long)at);
}

int lsm_engine_recover(lsm_engine *e, const slsm_options *opt, int salvage,
                       slsm_salvage_report *rep) {
    e->decide_log = -1;
    int rc = lsm_manifest_read(e->path, e->path, &e->current, &e->next_file, &e->flushed_seq);
    if (rc == LSM_NOTFOUND) {
        if (e->read_only || opt->must_exist) {
            lsm_file_set_errmsg("%s: no such lsm database (its manifest file does not exist)",
                                e->path);
            return LSM_CANTOPEN;
        }
        e->current = lsm_tableset_new();
        e->next_file = 1;
        e->flushed_seq = 0;
        if (e->current == NULL)
            return LSM_NOMEM;
        int published;
        rc = lsm_manifest_write(e->path, e->tmp_path, e->current, 1 + LSM_FILE_RESERVE, 0,
                                e->opt.durability != SLSM_DURABILITY_OFF, &published);
        if (rc)
            return rc;
        e->reserved_to = 1 + LSM_FILE_RESERVE;
        e->orphan_below = 1;
    } else if (rc) {
        return rc;
    } else {
        e->reserved_to = e->orphan_below = e->next_file;
    }
    e->last_seq = e->flushed_seq;
    e->mem = lsm_skiplist_new();
    if (e->mem == NULL)
        return LSM_NOMEM;
    /* which log is older: the one whose first record has the smaller sequence number */
    replay_state peek[2] = {{0}, {0}};
    for (int i = 0; i < 2; i++) {
        lsm_wal_scan scan;
        rc = lsm_wal_replay(e->log_path[i], first_seq_only, &peek[i], &scan);
        if (rc != LSM_OK && rc != REPLAY_GAP)
            return rc;
    }
    int older = peek[1].first && (peek[0].first == 0 || peek[1].first < peek[0].first) ? 1 : 0;
    int applied[2] = {0, 0}, stopped = 0;
    for (int k = 0; k < 2; k++) {
        int i = k == 0 ? older : 1 - older;
        lsm_wal_scan scan;
        if (stopped) {
            /* salvage: the older log was damaged, and everything in this one came after */
            rc = lsm_file_size(e->log_path[i], &scan.size);
            if (rc == LSM_NOTFOUND)
                scan.size = 0;
            else if (rc)
                return rc;
            rep->dropped_bytes += scan.size;
            rep->dropped_records += count_records(e->log_path[i], 0);
            e->log_found[i] = scan.size;
            e->log_keep[i] = 0;
            continue;
        }
        replay_state st = {.e = e, .opt = opt, .log = i, .gap_ends = k == 1, .salvage = salvage};
        rc = lsm_wal_replay(e->log_path[i], replay_record, &st, &scan);
        if (rc == REPLAY_GAP) {
            rc = LSM_OK;
            scan.valid_end = st.cut;
            scan.damage = 0;
        } else if (rc == REPLAY_STOP) {
            /* salvage: a malformed record; it and everything after it go */
            rc = LSM_OK;
            salvage_note(rep, e->log_path[i], st.cut, "malformed record");
            rep->dropped_bytes += scan.size - st.cut;
            rep->dropped_records += count_records(e->log_path[i], st.cut);
            scan.valid_end = st.cut;
            scan.damage = 0;
            stopped = 1;
        }
        if (rc)
            return rc;
        if (scan.damage == 2 && !salvage) {
            lsm_file_set_errmsg("%s: damaged record at offset %llu, followed by %llu intact "
                                "records (salvage keeps the commits before it)",
                                e->log_path[i], (unsigned long long)scan.valid_end,
                                (unsigned long long)scan.records_after);
            return LSM_CORRUPT;
        }
        if (salvage && scan.damage) {
            /* a torn tail is dropped as at any open; after damage, everything later goes */
            salvage_note(rep, e->log_path[i], scan.valid_end,
                         scan.damage == 2 ? "damaged record" : "torn tail");
            rep->dropped_bytes += scan.size - scan.valid_end;
            rep->dropped_records += scan.records_after;
            stopped = scan.damage == 2;
        }
        if (salvage)
            rep->dropped_records += st.unknown;
        applied[i] = st.applied;
        e->log_found[i] = scan.size;
        e->log_keep[i] = st.applied ? scan.valid_end : 0;
    }
    if (applied[older] && applied[1 - older]) {
        /* both logs hold unflushed commits: the older log's become the immutable memtable, to
        ** be written to a table at activation (the next switch would reuse that log) */
        e->imm = e->mem;
        e->imm_seq = e->last_seq;
        e->imm_log = older;
        e->mem = lsm_skiplist_new();
        if (e->mem == NULL)
            return LSM_NOMEM;
        /* imm holds the newer log's commits too: writing it covers both logs */
        e->imm_both_logs = 1;
    }
    /* commits go on in the log holding unflushed ones (the first if none does) */
    e->cur_log = applied[1] && !applied[0] ? 1 : 0;
    for (int i = 0; i < 2; i++)
        e->log_size[i] = e->log_keep[i];
    if (salvage)
        rep->last_seq = e->last_seq;
    return LSM_OK;
}

/* ---- activation ---------------------------------------------------------------------------- */

int lsm_engine_log_append(lsm_engine *e, int log, const uint8_t *rec, size_t n, int sync) {
    int rc = lsm_file_write(e->log_fd[log], e->log_path[log], rec, n);
    if (rc == LSM_OK && sync)
        rc = lsm_file_sync(e->log_fd[log], e->log_path[log]);
    if (rc == LSM_OK) {
        e->log_size[log] += n;
        return LSM_OK;
    }
    char msg[512];
    snprintf(msg, sizeof msg, "%s", lsm_file_errmsg());
    /* take the partial record back out, so the log stays a sequence of whole records */
    if (lsm_file_truncate(e->log_fd[log], e->log_path[log], (off_t)e->log_size[log]) != LSM_OK &&
        e->sticky_rc == LSM_OK) {
        e->sticky_rc = rc;
        snprintf(e->sticky_msg, sizeof e->sticky_msg, "%s", msg);
    }
    lsm_file_set_errmsg("%s", msg);
    return rc;
}

int lsm_engine_log_decide(lsm_engine *e, int log, uint64_t seq, uint64_t coord, int outcome,
                          int sync) {
    uint8_t rec[LSM_WAL_HEADER + LSM_WAL_DECIDE_PAYLOAD];
    uint8_t *payload = rec + LSM_WAL_HEADER;
    lsm_put_fixed64(payload, seq);
    lsm_put_fixed64(payload + 8, coord);
    payload[16] = (uint8_t)(outcome != 0);
    lsm_wal_header(rec, LSM_REC_DECIDE, payload, LSM_WAL_DECIDE_PAYLOAD);
    return lsm_engine_log_append(e, log, rec, sizeof rec, sync);
}

static int file_is_live(const lsm_tableset *v, uint64_t number) {
    for (int l = 0; l < LSM_LEVELS; l++)
        for (int i = 0; i < v->n[l]; i++)
            if (v->files[l][i]->number == number)
                return 1;
    return 0;
}

typedef struct orphan_scan {
    lsm_engine *e;
    const char *base;
} orphan_scan;

static void remove_orphan(void *arg, const char *name) {
    orphan_scan *s = arg;
    uint64_t number;
    if (!table_number(name, s->base, &number) || number >= s->e->orphan_below ||
        file_is_live(s->e->current, number))
        return;
    char *path = lsm_table_path(s->e->path, number);
    if (path)
        lsm_file_remove(path);
    free(path);
}

void lsm_engine_remove_orphans(lsm_engine *e) {
    char dir[4096];
    orphan_scan s = {e, NULL};
    if (lsm_file_split(e->path, dir, sizeof dir, &s.base) == LSM_OK)
        lsm_file_list_dir(e->path, remove_orphan, &s);
}

int lsm_engine_activate_owned(lsm_engine *e) {
    if (e->active)
        return LSM_OK;
    if (e->read_only) {
        lsm_file_set_errmsg("%s is open read-only", e->path);
        return LSM_READONLY;
    }
    int rc = LSM_OK;
    for (int i = 0; i < 2 && rc == LSM_OK; i++)
        if (e->log_fd[i] < 0)
            rc = lsm_file_open(e->log_path[i], O_WRONLY | O_CREAT, &e->log_fd[i]);
    /* appends must follow valid records: cut each log to what counts */
    for (int i = 0; i < 2 && rc == LSM_OK; i++) {
        if (e->log_found[i] != e->log_keep[i]) {
            rc = lsm_file_truncate(e->log_fd[i], e->log_path[i], (off_t)e->log_keep[i]);
            if (rc == LSM_OK)
                e->log_found[i] = e->log_keep[i];
        } else {
            rc = lsm_file_seek(e->log_fd[i], e->log_path[i], (off_t)e->log_keep[i]);
        }
        e->log_size[i] = e->log_keep[i];
    }
    if (rc)
        return rc;
    /* a prepared transaction the coordinator decided: record the outcome after it, before any
    ** later record could be taken for a commit of the same coordinator */
    int d = e->decide_log;
    if (d >= 0 && e->decide_at == e->log_keep[d]) {
        rc = lsm_engine_log_decide(e, d, e->decide_seq, e->decide_coord, e->decide_outcome,
                                   e->opt.durability == SLSM_DURABILITY_FULL);
        if (rc)
            return rc;
        e->log_keep[d] = e->log_found[d] = e->log_size[d];
    }
    e->decide_log = -1;
    if (!e->orphans_done) {
        lsm_engine_remove_orphans(e);
        e->orphans_done = 1;
    }
    if (e->imm) {
        rc = lsm_engine_flush_imm(e);
        if (rc)
            return rc;
    }
    if (e->imm_both_logs) {
        /* the newer log's commits were in that table too */
        int other = 1 - e->imm_log;
        rc = lsm_file_truncate(e->log_fd[other], e->log_path[other], 0);
        if (rc)
            return rc;
        e->log_size[other] = e->log_keep[other] = e->log_found[other] = 0;
        e->imm_both_logs = 0;
    }
    e->active = 1;
    if (e->opt.background)
        lsm_bg_start(e); /* without a thread the writer does the work inline */
    return LSM_OK;
}

int lsm_engine_activate(lsm_engine *e) {
    if (e->active)
        return LSM_OK;
    lsm_work_begin(e);
    int rc = lsm_engine_activate_owned(e);
    lsm_work_end(e);
    return rc;
}

void lsm_engine_read_done(lsm_engine *e) {
    if (!e->want_active)
        return;
    e->want_active = 0;
    if (!e->active && !e->read_only && e->sticky_rc == LSM_OK)
        lsm_engine_activate(e); /* a failure only leaves the compaction for later */
}
