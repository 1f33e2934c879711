/*
 * hashes.c: listing hashes for --compare checksum (rclone §1.16): the hash
 * kind both sides share (md5 first), or md5 read from the content with
 * --download-hash where a backend has none; every file of both current
 * listings is hashed, by several threads.
 */
#include "run_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"

int
brun_hash_kind(const struct duet_bisync_opts *o, const struct duet_fs *fs1, const struct duet_fs *fs2)
{
	unsigned common = fs1->hashes & fs2->hashes;
	if (!o->conflict.compare_checksum || o->ignore_listing_checksum)
		return -1;
	if (o->no_slow_hash && ((fs1->caps | fs2->caps) & DUET_CAP_SLOW_HASH))
		return -1;
	if (common != 0)
		return duet_hash_first(common);
	return o->download_hash ? DUET_HASH_MD5 : -1;
}

struct bhash {
	struct duet_fs *fs;
	struct duet_listing *l;
	enum duet_hash_kind kind;
	atomic_size_t next;
	atomic_int rc;
	pthread_mutex_t mu; /* the listing's arena */
};

/* The digest of one file: the backend's, or the bytes read and hashed. */
static int
bhash_one(struct bhash *h, const char *path, struct duet_hashes *out)
{
	struct duet_rstream *rs = NULL;
	struct duet_hasher *hs = NULL;
	char buf[65536];
	ssize_t r;
	int rc;

	memset(out, 0, sizeof(*out));
	if (h->fs->ops->hash != NULL && (h->fs->hashes & DUET_HASH_BIT(h->kind)))
		return h->fs->ops->hash(h->fs, path, h->kind, out);
	if ((rc = h->fs->ops->open_read(h->fs, path, 0, &rs)) != 0)
		return rc;
	if ((rc = duet_hasher_new(DUET_HASH_BIT(h->kind), &hs)) == 0) {
		while ((r = rs->ops->read(rs, buf, sizeof(buf))) > 0)
			duet_hasher_update(hs, buf, (size_t)r);
		rc = r < 0 ? (int)r : 0;
		if (rc == 0)
			duet_hasher_final(hs, out);
	}
	duet_hasher_free(hs);
	rs->ops->close(rs);
	return rc;
}

static void *
bhash_worker(void *arg)
{
	struct bhash *h = arg;
	struct duet_hashes d;
	size_t i;

	while (atomic_load(&h->rc) == 0 && (i = atomic_fetch_add(&h->next, 1)) < h->l->n) {
		struct duet_entry *e = &h->l->v[i];
		struct duet_hashes *keep;
		int rc;
		if (e->type != DUET_T_FILE)
			continue;
		if ((rc = bhash_one(h, e->path, &d)) != 0) {
			duet_logo(DUET_LOG_ERROR, e->path, "cannot hash: %s", duet_err_msg());
			atomic_store(&h->rc, rc);
			break;
		}
		pthread_mutex_lock(&h->mu);
		keep = duet_arena_alloc(&h->l->arenas[0], sizeof(*keep));
		pthread_mutex_unlock(&h->mu);
		if (keep == NULL) {
			atomic_store(&h->rc, duet_err_set(DUET_E_NOMEM, "out of memory"));
			break;
		}
		*keep = d;
		e->hashes = keep;
	}
	return NULL;
}

static int
bhash_listing(struct duet_fs *fs, struct duet_listing *l, enum duet_hash_kind kind, int threads)
{
	struct bhash h;
	pthread_t tid[16];
	int n = 0;

	if (l->n == 0 || l->narenas == 0)
		return 0;
	memset(&h, 0, sizeof(h));
	h.fs = fs;
	h.l = l;
	h.kind = kind;
	pthread_mutex_init(&h.mu, NULL);
	if (threads > 16)
		threads = 16;
	for (; n < threads - 1; n++)
		if (pthread_create(&tid[n], NULL, bhash_worker, &h) != 0)
			break;
	bhash_worker(&h);
	for (int i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&h.mu);
	return atomic_load(&h.rc);
}

int
brun_hash_listings(struct brun *b)
{
	int threads = b->o->x.checkers > 0 ? b->o->x.checkers : 8, rc;
	if (b->hash_kind < 0)
		return 0;
	rc = bhash_listing(b->fs1, &b->cur1, (enum duet_hash_kind)b->hash_kind, threads);
	if (rc == 0)
		rc = bhash_listing(b->fs2, &b->cur2, (enum duet_hash_kind)b->hash_kind, threads);
	if (rc != 0)
		duet_log(DUET_LOG_ERROR, "There were errors while building listings. Aborting as it "
		    "is too dangerous to continue.");
	return rc;
}
