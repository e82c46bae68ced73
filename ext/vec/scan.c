/*
** ext/vec: scoring the windows of a flat KNN scan, alone or with worker threads (see scan.h).
*/
#include "vec/scan.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

int vec_scan_within(const vec_scan_scorer *s, float d) {
    for (int i = 0; i < s->nbounds; i++) {
        double x = d, b = s->bounds[i];
        int ok = s->ops[i] == VEC_SCAN_LT   ? x < b
                 : s->ops[i] == VEC_SCAN_LE ? x <= b
                 : s->ops[i] == VEC_SCAN_GT ? x > b
                                            : x >= b;
        if (!ok)
            return 0;
    }
    return 1;
}

size_t vec_scan_score(const vec_scan_scorer *s, const vec_scan_job *j, vec_topk *heap) {
    float worst = vec_topk_threshold(heap);
    for (size_t i = 0; i < j->n; i++) {
        const unsigned char *vec = j->buf + s->rec * (size_t)(j->offsets[i] - j->first);
        float d = s->coarse ? vec_quant_estimate(s->coarse, vec) : s->kern(s->query, vec, s->dims);
        if (d > worst || (s->nbounds && !vec_scan_within(s, d)))
            continue;
        vec_topk_push(heap, d, j->rowids[i], j->chunk_id, j->offsets[i]);
        worst = vec_topk_threshold(heap);
    }
    return j->n;
}

vec_scan_job *vec_scan_job_new(size_t rec, int slots) {
    vec_scan_job *j = calloc(1, sizeof *j);
    if (j == NULL)
        return NULL;
    size_t n = slots > 0 ? (size_t)slots : 1;
    j->buf = malloc(rec * n + 1);
    j->offsets = malloc(n * sizeof *j->offsets);
    j->rowids = malloc(n * sizeof *j->rowids);
    if (j->buf == NULL || j->offsets == NULL || j->rowids == NULL) {
        vec_scan_job_free(j);
        return NULL;
    }
    return j;
}

void vec_scan_job_free(vec_scan_job *j) {
    if (j == NULL)
        return;
    free(j->buf);
    free(j->offsets);
    free(j->rowids);
    free(j);
}

/* ---- the pool ------------------------------------------------------------------------------ */

/* A job is EMPTY (the caller may fill it), FILLED (either side may claim it) or TAKEN (being
** scored). Only the caller turns EMPTY into FILLED, so an EMPTY job stays EMPTY until it does. */
enum { JOB_EMPTY, JOB_FILLED, JOB_TAKEN };

/* Each worker holds at most one job; the caller's share keeps a window being read while one
** waits for a worker. */
#define POOL_MAX_JOBS (2 * VEC_SCAN_MAX_THREADS)

/* Pauses a worker spins through before it sleeps: about as long as reading a window takes, so
** a worker keeping up with the caller is not put to sleep between windows. */
#define WORKER_SPINS 4096

typedef struct worker {
    struct vec_scan_pool *pool;
    pthread_t thread;
    vec_topk heap;
    int64_t scored;
} worker;

struct vec_scan_pool {
    const vec_scan_scorer *s;
    int nworkers, njobs;
    worker workers[VEC_SCAN_MAX_THREADS];
    vec_scan_job *jobs[POOL_MAX_JOBS];
    atomic_int state[POOL_MAX_JOBS];
    atomic_int finish;   /* the caller has read every window */
    atomic_int sleeping; /* workers waiting on wake */
    pthread_mutex_t mu;
    pthread_cond_t wake;
};

/* A filled job, now TAKEN by the caller of this function, or -1. */
static int claim(vec_scan_pool *p) {
    for (int i = 0; i < p->njobs; i++) {
        int filled = JOB_FILLED;
        if (atomic_load(&p->state[i]) == JOB_FILLED &&
            atomic_compare_exchange_strong(&p->state[i], &filled, JOB_TAKEN))
            return i;
    }
    return -1;
}

static int any_filled(vec_scan_pool *p) {
    for (int i = 0; i < p->njobs; i++)
        if (atomic_load(&p->state[i]) == JOB_FILLED)
            return 1;
    return 0;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    vec_scan_pool *p = w->pool;
    for (;;) {
        int i = claim(p);
        if (i >= 0) {
            w->scored += (int64_t)vec_scan_score(p->s, p->jobs[i], &w->heap);
            atomic_store(&p->state[i], JOB_EMPTY);
            continue;
        }
        if (atomic_load(&p->finish))
            return NULL;
        int spins = 0;
        while (spins < WORKER_SPINS && !any_filled(p) && !atomic_load(&p->finish)) {
            cpu_relax();
            spins++;
        }
        if (spins < WORKER_SPINS)
            continue;
        /* sleeping is raised before the last look, and the caller reads it after publishing a
        ** job (both sequentially consistent): one of them sees the other, so no job goes
        ** unnoticed while this worker sleeps */
        pthread_mutex_lock(&p->mu);
        atomic_fetch_add(&p->sleeping, 1);
        while (!any_filled(p) && !atomic_load(&p->finish))
            pthread_cond_wait(&p->wake, &p->mu);
        atomic_fetch_sub(&p->sleeping, 1);
        pthread_mutex_unlock(&p->mu);
    }
}

static void pool_free(vec_scan_pool *p) {
    for (int i = 0; i < p->njobs; i++)
        vec_scan_job_free(p->jobs[i]);
    for (int i = 0; i < VEC_SCAN_MAX_THREADS; i++)
        vec_topk_free(&p->workers[i].heap);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

vec_scan_pool *vec_scan_pool_start(const vec_scan_scorer *s, size_t k, int threads, int slots) {
    int want = threads - 1;
    if (want < 1)
        return NULL;
    if (want > VEC_SCAN_MAX_THREADS)
        want = VEC_SCAN_MAX_THREADS;
    vec_scan_pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->s = s;
    p->njobs = 2 * want + 2 <= POOL_MAX_JOBS ? 2 * want + 2 : POOL_MAX_JOBS;
    atomic_init(&p->finish, 0);
    atomic_init(&p->sleeping, 0);
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p);
        return NULL;
    }
    if (pthread_cond_init(&p->wake, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    for (int i = 0; i < p->njobs; i++) {
        atomic_init(&p->state[i], JOB_EMPTY);
        p->jobs[i] = vec_scan_job_new(s->rec, slots);
        if (p->jobs[i] == NULL) {
            pool_free(p);
            return NULL;
        }
    }
    /* workers take no signals: the host's handlers run on its own threads */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (int i = 0; i < want; i++) {
        worker *w = &p->workers[p->nworkers];
        w->pool = p;
        w->scored = 0;
        if (vec_topk_init(&w->heap, k) != 0)
            break;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            vec_topk_free(&w->heap);
            break;
        }
        p->nworkers++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (p->nworkers == 0) {
        pool_free(p);
        return NULL;
    }
    return p;
}

vec_scan_job *vec_scan_pool_acquire(vec_scan_pool *p, vec_topk *heap, int64_t *scored) {
    for (;;) {
        for (int i = 0; i < p->njobs; i++)
            if (atomic_load(&p->state[i]) == JOB_EMPTY)
                return p->jobs[i];
        /* every job filled or being scored: score one here rather than wait for a worker */
        int i = claim(p);
        if (i >= 0) {
            *scored += (int64_t)vec_scan_score(p->s, p->jobs[i], heap);
            atomic_store(&p->state[i], JOB_EMPTY);
            return p->jobs[i];
        }
        sched_yield(); /* only when the workers hold every job, which njobs > nworkers rules out */
    }
}

void vec_scan_pool_submit(vec_scan_pool *p, vec_scan_job *j) {
    for (int i = 0; i < p->njobs; i++)
        if (p->jobs[i] == j)
            atomic_store(&p->state[i], JOB_FILLED);
    if (atomic_load(&p->sleeping) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->mu);
    }
}

void vec_scan_pool_finish(vec_scan_pool *p, vec_topk *heap, int64_t *scored) {
    atomic_store(&p->finish, 1);
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i; (i = claim(p)) >= 0;) {
        *scored += (int64_t)vec_scan_score(p->s, p->jobs[i], heap);
        atomic_store(&p->state[i], JOB_EMPTY);
    }
    for (int w = 0; w < p->nworkers; w++) {
        worker *wk = &p->workers[w];
        pthread_join(wk->thread, NULL);
        *scored += wk->scored;
        for (size_t i = 0; i < wk->heap.n; i++) {
            const vec_topk_item *it = &wk->heap.items[i];
            vec_topk_push(heap, it->distance, it->rowid, it->chunk_id, it->offset);
        }
    }
    pool_free(p);
}
