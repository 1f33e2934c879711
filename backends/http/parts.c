/*
 * parts.c: the parallel part uploader (see parts.h). The writer fills one
 * buffer; a full buffer becomes a job in a queue that at most
 * `concurrency` workers drain. Buffers come back to a free list, so at
 * most concurrency + 1 of them exist. The first failure stops new parts
 * and is returned to the writer at its next call.
 */
#include "parts.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

struct pbuf {
	struct pbuf *next;
	unsigned index; /* part index of the bytes held */
	size_t len;
	unsigned char *data; /* part_size bytes */
};

struct duet_parts {
	struct duet_parts_opts o;
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* queue, free list, busy or fail changed */
	pthread_t *threads;
	int nthreads;            /* started */
	struct pbuf *cur;        /* the buffer being filled */
	struct pbuf *queue, *qtail; /* parts waiting for a worker */
	struct pbuf *free;       /* idle buffers */
	int nbufs;               /* buffers allocated */
	int busy;                /* parts being uploaded */
	int nqueued;             /* parts in the queue */
	int stop;                /* workers leave when the queue is empty */
	int fail;                /* first failure's code, 0 */
	char failmsg[1024];      /* its message, re-set on the writer's thread */
	int begun;               /* begin() was called */
	unsigned nparts;         /* parts dispatched */
	char **tags;             /* max_parts slots, allocated at begin */
	int64_t total;
};

static void
pbuf_free(struct pbuf *b)
{
	if (b != NULL) {
		duet_free(b->data);
		duet_free(b);
	}
}

static struct pbuf *
pbuf_new(size_t size)
{
	struct pbuf *b = duet_calloc(1, sizeof(*b));
	if (b != NULL && (b->data = duet_malloc(size)) == NULL) {
		duet_free(b);
		b = NULL;
	}
	return b;
}

static void *
parts_worker(void *arg)
{
	struct duet_parts *p = arg;
	struct pbuf *b;
	char *tag;
	int rc;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->queue == NULL && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->queue == NULL)
			break;
		b = p->queue;
		p->queue = b->next;
		p->nqueued--;
		if (p->queue == NULL)
			p->qtail = NULL;
		rc = 0;
		tag = NULL;
		if (p->fail == 0) {
			p->busy++;
			pthread_mutex_unlock(&p->mu);
			rc = p->o.put(p->o.ctx, b->index, b->data, b->len, &tag);
			pthread_mutex_lock(&p->mu);
			p->busy--;
		}
		if (rc != 0 && p->fail == 0) {
			p->fail = rc;
			snprintf(p->failmsg, sizeof(p->failmsg), "%s", duet_err_msg());
		}
		if (tag != NULL && rc == 0)
			p->tags[b->index] = tag;
		else
			duet_free(tag);
		b->next = p->free;
		p->free = b;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* The failure as the writer returns it (message set on its thread).
 * Called with mu held. */
static int
parts_failed(struct duet_parts *p)
{
	return duet_err_set(p->fail, "%s", p->failmsg);
}

int
duet_parts_new(const struct duet_parts_opts *o, struct duet_parts **out)
{
	struct duet_parts *p;

	*out = NULL;
	if (o->part_size == 0 || o->max_parts == 0 || o->put == NULL)
		return duet_err_set(DUET_E_INVAL, "part uploader: zero part size or part count");
	if ((p = duet_calloc(1, sizeof(*p))) == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	p->o = *o;
	if (p->o.concurrency < 1)
		p->o.concurrency = 1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	*out = p;
	return 0;
}

/* Calls begin() and allocates the tag slots and the workers' handles. */
static int
parts_begin(struct duet_parts *p)
{
	int rc;

	if (p->o.begin != NULL && (rc = p->o.begin(p->o.ctx)) != 0)
		return rc;
	p->tags = duet_calloc(p->o.max_parts, sizeof(*p->tags));
	p->threads = duet_calloc((size_t)p->o.concurrency, sizeof(*p->threads));
	if (p->tags == NULL || p->threads == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	p->begun = 1;
	return 0;
}

/* Queues the current buffer and gets a fresh one for the writer, starting
 * a worker or waiting for a free buffer as needed. */
static int
parts_dispatch(struct duet_parts *p)
{
	struct pbuf *b = p->cur;
	int rc = 0;

	if (!p->begun && (rc = parts_begin(p)) != 0)
		return rc;
	pthread_mutex_lock(&p->mu);
	if (p->fail != 0) {
		rc = parts_failed(p);
		goto out;
	}
	b->index = p->nparts++;
	b->next = NULL;
	if (p->qtail != NULL)
		p->qtail->next = b;
	else
		p->queue = b;
	p->qtail = b;
	p->nqueued++;
	p->cur = NULL;
	pthread_cond_broadcast(&p->cv);
	/* Another worker when the idle ones cannot take every queued part. */
	if (p->nthreads < p->o.concurrency && p->busy + p->nqueued > p->nthreads &&
	    pthread_create(&p->threads[p->nthreads], NULL, parts_worker, p) == 0)
		p->nthreads++;
	if (p->nthreads == 0) {
		rc = duet_err_set(DUET_E_NOMEM, "part uploader: cannot start a thread");
		goto out;
	}
	/* A free buffer, a new one while under the cap, or wait. */
	while (p->free == NULL && p->nbufs >= p->o.concurrency + 1 && p->fail == 0)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->fail != 0) {
		rc = parts_failed(p);
		goto out;
	}
	if (p->free != NULL) {
		p->cur = p->free;
		p->free = p->cur->next;
		p->cur->len = 0;
	}
out:
	pthread_mutex_unlock(&p->mu);
	if (rc == 0 && p->cur == NULL) {
		if ((p->cur = pbuf_new(p->o.part_size)) == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory");
		p->nbufs++;
	}
	return rc;
}

int
duet_parts_write(struct duet_parts *p, const void *buf, size_t n)
{
	const unsigned char *s = buf;
	size_t k;
	int rc;

	if (p->fail != 0) {
		pthread_mutex_lock(&p->mu);
		rc = parts_failed(p);
		pthread_mutex_unlock(&p->mu);
		return rc;
	}
	if (p->cur == NULL) {
		if ((p->cur = pbuf_new(p->o.part_size)) == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory");
		p->nbufs++;
	}
	while (n > 0) {
		if (p->cur->len == p->o.part_size) {
			if (p->nparts + 1 >= p->o.max_parts)
				return duet_err_set(DUET_E_INVAL,
				    "too large: more than %u parts of %zu bytes", p->o.max_parts,
				    p->o.part_size);
			if ((rc = parts_dispatch(p)) != 0)
				return rc;
		}
		k = p->o.part_size - p->cur->len;
		if (k > n)
			k = n;
		memcpy(p->cur->data + p->cur->len, s, k);
		p->cur->len += k;
		s += k;
		n -= k;
		p->total += (int64_t)k;
	}
	return 0;
}

/* Lets the workers finish the queue and joins them. */
static void
parts_join(struct duet_parts *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->nthreads = 0;
}

int
duet_parts_finish(struct duet_parts *p, int *single, const void **data, size_t *n)
{
	int rc = 0;

	*single = 0;
	*data = NULL;
	*n = 0;
	if (!p->begun && p->fail == 0) {
		*single = 1;
		*data = p->cur != NULL ? p->cur->data : (const void *)"";
		*n = p->cur != NULL ? p->cur->len : 0;
		return 0;
	}
	if (p->cur != NULL && p->cur->len > 0 && p->fail == 0)
		rc = parts_dispatch(p);
	parts_join(p);
	if (rc == 0 && p->fail != 0)
		rc = parts_failed(p);
	return rc;
}

unsigned
duet_parts_count(const struct duet_parts *p)
{
	return p->nparts;
}

const char *
duet_parts_tag(const struct duet_parts *p, unsigned i)
{
	return p->tags != NULL && i < p->nparts ? p->tags[i] : NULL;
}

int64_t
duet_parts_total(const struct duet_parts *p)
{
	return p->total;
}

void
duet_parts_free(struct duet_parts *p)
{
	struct pbuf *b;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	if (p->fail == 0)
		p->fail = DUET_E_CANCELLED;
	pthread_mutex_unlock(&p->mu);
	parts_join(p);
	while ((b = p->queue) != NULL) {
		p->queue = b->next;
		pbuf_free(b);
	}
	while ((b = p->free) != NULL) {
		p->free = b->next;
		pbuf_free(b);
	}
	pbuf_free(p->cur);
	if (p->tags != NULL)
		for (unsigned i = 0; i < p->nparts; i++)
			duet_free(p->tags[i]);
	duet_free(p->tags);
	duet_free(p->threads);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	duet_free(p);
}
