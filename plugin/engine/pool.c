/* A small fork-join pool for contexts whose host lends no parallel-for. The
 * calling thread takes part; workers sleep on a condition variable between
 * runs (no spinning) and are joined by oz_pool_destroy, so nothing outlives
 * the context (docs/ABI.md, "Unloading"). */
#include "engine/engine.h"

#include <pthread.h>
#include <stdlib.h>

struct oz_pool {
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    pthread_t *threads;
    uint32_t n_threads;
    uint64_t generation; /* bumped per run so workers see new work */
    uint32_t n_tasks, next, running;
    omnizip_task_fn fn;
    void *arg;
    int quit;
};

/* Takes tasks until none are left; called with mu held, returns with it held. */
static void drain(struct oz_pool *p)
{
    while (p->next < p->n_tasks) {
        uint32_t i = p->next++;
        omnizip_task_fn fn = p->fn;
        void *arg = p->arg;
        pthread_mutex_unlock(&p->mu);
        fn(arg, i);
        pthread_mutex_lock(&p->mu);
    }
}

static void *worker(void *arg)
{
    struct oz_pool *p = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->generation == seen)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit)
            break;
        seen = p->generation;
        p->running++;
        drain(p);
        if (--p->running == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

omnizip_status oz_pool_create(struct oz_pool **out, uint32_t threads)
{
    struct oz_pool *p = calloc(1, sizeof *p);
    if (!p)
        return OMNIZIP_E_NOMEM;
    p->threads = calloc(threads ? threads : 1, sizeof *p->threads);
    if (!p->threads || pthread_mutex_init(&p->mu, NULL)) {
        free(p->threads);
        free(p);
        return OMNIZIP_E_NOMEM;
    }
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    for (; p->n_threads < threads; p->n_threads++)
        if (pthread_create(&p->threads[p->n_threads], NULL, worker, p))
            break; /* fewer workers still work: the caller runs the rest */
    *out = p;
    return OMNIZIP_OK;
}

void oz_pool_run(struct oz_pool *p, uint32_t n, omnizip_task_fn fn, void *arg)
{
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->n_tasks = n;
    p->next = 0;
    p->generation++;
    pthread_cond_broadcast(&p->go);
    p->running++;
    drain(p);
    p->running--;
    while (p->running > 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void oz_pool_destroy(struct oz_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (uint32_t i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
}
