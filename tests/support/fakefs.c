/*
 * fakefs.c: the in-memory test backend of fakefs.h. The tree is a linked
 * list of nodes, each a file or an explicit directory named by its full
 * path; directories are also implied by the paths below them (the only
 * kind there is without DUET_CAP_DIRS). Linear scans are fine at test
 * sizes. One mutex guards the nodes and counters; list() copies a
 * directory's children before calling back, so callbacks may re-enter.
 */
#include "fakefs.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/remote.h"

struct fake_node {
	struct fake_node *next;
	char *path;          /* full path from the root; owned */
	unsigned char *data; /* file bytes; owned; NULL for dirs and 0 bytes */
	size_t len;          /* file bytes */
	int64_t mtime;       /* ns */
	int type;            /* DUET_T_FILE or DUET_T_DIR */
};

struct fakefs {
	struct duet_fs fs;                   /* first: fs->ops is &ops */
	struct duet_backend ops;             /* this fs's table, per caps */
	pthread_mutex_t mu;                  /* guards everything below */
	struct fake_node *head;              /* the tree, in no order */
	int64_t now;                         /* fixed clock, or 0 */
	long calls[DUET_FAKEFS_OP_COUNT];    /* calls per op */
	long fail_at[DUET_FAKEFS_OP_COUNT];  /* calls[op] value that fails; 0 none */
	int fail_code[DUET_FAKEFS_OP_COUNT]; /* code of that failure */
	size_t batch;                        /* remove_batch's limit; 0 off */
	size_t batch_seen;                   /* most paths of one call */
	int64_t hint_mtime;                  /* the last write stream's hint */
	struct duet_hashes hint;
};

struct fake_rstream {
	struct duet_rstream s;
	struct fakefs *ff;
	char *path;          /* for messages; owned */
	unsigned char *data; /* a copy taken at open; owned */
	size_t len, pos;
};

struct fake_wstream {
	struct duet_wstream s;
	struct fakefs *ff;
	char *path;          /* final name; owned */
	int64_t size;        /* announced size or -1 */
	struct duet_buf buf; /* data so far, invisible until commit */
	int err;             /* first failure; the stream then only aborts */
};

static const char *const fake_op_names[DUET_FAKEFS_OP_COUNT] = {
	"list", "stat", "open_read", "read", "open_write", "write", "commit",
	"mkdir", "rmdir", "remove", "move", "copy", "set_mtime", "hash",
	"move_from", "remove_batch", "any",
};

static void fake_close(struct duet_fs *fs);

static struct fakefs *
fake_of(struct duet_fs *fs)
{
	assert(fs->ops->close == fake_close);
	return (struct fakefs *)fs;
}

static int
fake_caseins(const struct fakefs *ff)
{
	return (ff->fs.caps & DUET_CAP_CASEINS) != 0;
}

/* Is p (NUL-terminated) equal to the first n bytes of q? */
static int
fake_eq(const struct fakefs *ff, const char *p, const char *q, size_t n)
{
	if (strlen(p) != n)
		return 0;
	return fake_caseins(ff) ? strncasecmp(p, q, n) == 0 : memcmp(p, q, n) == 0;
}

/* The part of path below dir (dir is n bytes), or NULL when path is not
 * strictly under dir. */
static const char *
fake_under(const struct fakefs *ff, const char *path, const char *dir, size_t n)
{
	if (n == 0)
		return path[0] != '\0' ? path : NULL;
	if (strlen(path) <= n + 1 || path[n] != '/')
		return NULL;
	if (fake_caseins(ff) ? strncasecmp(path, dir, n) != 0 : memcmp(path, dir, n) != 0)
		return NULL;
	return path + n + 1;
}

/* The kind of the first n bytes of path: 0 (nothing), DUET_T_FILE or
 * DUET_T_DIR; *node gets the explicit node, if any. */
static int
fake_lookup(const struct fakefs *ff, const char *path, size_t n, struct fake_node **node)
{
	struct fake_node *p;
	int implied = n == 0;

	if (node != NULL)
		*node = NULL;
	for (p = ff->head; p != NULL; p = p->next) {
		if (fake_eq(ff, p->path, path, n)) {
			if (node != NULL)
				*node = p;
			return p->type;
		}
		if (!implied && fake_under(ff, p->path, path, n) != NULL)
			implied = 1;
	}
	return implied ? DUET_T_DIR : 0;
}

static int
fake_path_valid(const char *path)
{
	const char *s = path, *e;
	if (*path == '\0')
		return 1;
	for (;;) {
		e = strchr(s, '/');
		if (duet_name_check(s, e != NULL ? (size_t)(e - s) : strlen(s)) != 0)
			return 0;
		if (e == NULL)
			return 1;
		s = e + 1;
	}
}

static int
fake_check_path(struct fakefs *ff, const char *op, const char *path)
{
	if (!fake_path_valid(path))
		return duet_err_set(DUET_E_BADNAME, "%s: %s \"%s\": invalid path",
		    ff->fs.name, op, path);
	return 0;
}

static int
fake_hit(struct fakefs *ff, enum duet_fakefs_op op)
{
	int code;
	if (ff->fail_at[op] == 0 || ff->calls[op] != ff->fail_at[op])
		return 0;
	code = ff->fail_code[op];
	ff->fail_at[op] = 0;
	return code;
}

/* Counts a call of op on path (lock held), applies injected failures and
 * checks the path. */
static int
fake_enter(struct fakefs *ff, enum duet_fakefs_op op, const char *path)
{
	int code, any;
	ff->calls[op]++;
	ff->calls[DUET_FAKEFS_ANY]++;
	code = fake_hit(ff, op);
	any = fake_hit(ff, DUET_FAKEFS_ANY);
	if (code == 0)
		code = any;
	if (code != 0)
		return duet_err_set(code, "%s: %s %s: injected failure", ff->fs.name,
		    fake_op_names[op], path);
	return fake_check_path(ff, fake_op_names[op], path);
}

static int64_t
fake_trunc(const struct fakefs *ff, int64_t t)
{
	int64_t p = ff->fs.precision, r;
	if (p <= 1)
		return t;
	r = t % p;
	if (r < 0)
		r += p;
	return t - r;
}

static int64_t
fake_now(const struct fakefs *ff)
{
	struct timespec ts;
	if (ff->now != 0)
		return fake_trunc(ff, ff->now);
	clock_gettime(CLOCK_REALTIME, &ts);
	return fake_trunc(ff, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

static struct fake_node *
fake_node_new(const char *path, size_t n, int type, int64_t mtime)
{
	struct fake_node *p = duet_calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->path = duet_strndup(path, n);
	if (p->path == NULL) {
		duet_free(p);
		return NULL;
	}
	p->type = type;
	p->mtime = mtime;
	return p;
}

static void
fake_node_free(struct fake_node *p)
{
	if (p == NULL)
		return;
	duet_free(p->path);
	duet_free(p->data);
	duet_free(p);
}

static void
fake_chain_free(struct fake_node *p)
{
	struct fake_node *next;
	for (; p != NULL; p = next) {
		next = p->next;
		fake_node_free(p);
	}
}

static void
fake_link(struct fakefs *ff, struct fake_node *chain)
{
	struct fake_node *last;
	if (chain == NULL)
		return;
	for (last = chain; last->next != NULL; last = last->next)
		;
	last->next = ff->head;
	ff->head = chain;
}

static void
fake_unlink(struct fakefs *ff, struct fake_node *node)
{
	struct fake_node **pp;
	for (pp = &ff->head; *pp != node; pp = &(*pp)->next)
		assert(*pp != NULL);
	*pp = node->next;
}

/*
 * Plans the directories a store at path needs: every proper prefix of
 * path (and path itself when `self`) must be a directory. Fails with
 * DUET_E_NOTDIR when one is a file; otherwise *chain gets new nodes for
 * the missing ones (none without DUET_CAP_DIRS), not linked yet.
 */
static int
fake_plan_dirs(struct fakefs *ff, const char *op, const char *path, int self,
    struct fake_node **chain)
{
	size_t n, len = strlen(path);
	struct fake_node *p;
	int t;

	*chain = NULL;
	for (n = 1; n <= len; n++) {
		if (n < len ? path[n] != '/' : !self)
			continue;
		t = fake_lookup(ff, path, n, NULL);
		if (t == DUET_T_FILE) {
			fake_chain_free(*chain);
			*chain = NULL;
			return duet_err_set(DUET_E_NOTDIR, "%s: %s %s: %.*s is a file",
			    ff->fs.name, op, path, (int)n, path);
		}
		if (t == DUET_T_DIR || (ff->fs.caps & DUET_CAP_DIRS) == 0)
			continue;
		p = fake_node_new(path, n, DUET_T_DIR, fake_now(ff));
		if (p == NULL) {
			fake_chain_free(*chain);
			*chain = NULL;
			return duet_err_set(DUET_E_NOMEM, "%s: %s %s: out of memory",
			    ff->fs.name, op, path);
		}
		p->next = *chain;
		*chain = p;
	}
	return 0;
}

/* Stores a file (lock held), taking data on success only; `raw` skips
 * making (and checking) the parents. */
static int
fake_store(struct fakefs *ff, const char *op, const char *path, unsigned char *data,
    size_t len, int64_t mtime, int raw)
{
	struct fake_node *node, *dirs = NULL, *file;
	int t, rc;

	t = fake_lookup(ff, path, strlen(path), &node);
	if (t == DUET_T_DIR)
		return duet_err_set(DUET_E_ISDIR, "%s: %s %s: is a directory",
		    ff->fs.name, op, path);
	mtime = mtime != 0 ? fake_trunc(ff, mtime) : fake_now(ff);
	if (node != NULL) {
		duet_free(node->data);
		node->data = data;
		node->len = len;
		node->mtime = mtime;
		return 0;
	}
	rc = raw ? 0 : fake_plan_dirs(ff, op, path, 0, &dirs);
	if (rc != 0)
		return rc;
	file = fake_node_new(path, strlen(path), DUET_T_FILE, mtime);
	if (file == NULL) {
		fake_chain_free(dirs);
		return duet_err_set(DUET_E_NOMEM, "%s: %s %s: out of memory",
		    ff->fs.name, op, path);
	}
	file->data = data;
	file->len = len;
	fake_link(ff, dirs);
	fake_link(ff, file);
	return 0;
}

/* --- list and stat --- */

struct fake_item {
	char *path;      /* dir + "/" + name; owned */
	size_t nameoff;  /* where the name starts in path */
	int64_t size, mtime;
	int type;
};

struct fake_items {
	struct fake_item *v;
	size_t n, cap;
};

static void
fake_items_free(struct fake_items *it)
{
	size_t i;
	for (i = 0; i < it->n; i++)
		duet_free(it->v[i].path);
	duet_free(it->v);
}

/* Adds child `name` (n bytes) of dir, merging a directory seen before. */
static int
fake_items_add(struct fakefs *ff, struct fake_items *it, const char *dir,
    const char *name, size_t n, const struct fake_node *node)
{
	struct fake_item *x;
	size_t i, dl = strlen(dir), off = dl == 0 ? 0 : dl + 1;
	int type = node != NULL ? node->type : DUET_T_DIR;

	for (i = 0; type == DUET_T_DIR && i < it->n; i++) {
		x = &it->v[i];
		if (x->type == DUET_T_DIR && fake_eq(ff, x->path + x->nameoff, name, n)) {
			if (node != NULL)
				x->mtime = node->mtime;
			return 0;
		}
	}
	if (it->n == it->cap) {
		size_t cap = it->cap != 0 ? 2 * it->cap : 16;
		x = duet_reallocarray(it->v, cap, sizeof(*x));
		if (x == NULL)
			return DUET_E_NOMEM;
		it->v = x;
		it->cap = cap;
	}
	x = &it->v[it->n];
	x->path = duet_malloc(off + n + 1);
	if (x->path == NULL)
		return DUET_E_NOMEM;
	if (dl != 0) {
		memcpy(x->path, dir, dl);
		x->path[dl] = '/';
	}
	memcpy(x->path + off, name, n);
	x->path[off + n] = '\0';
	x->nameoff = off;
	x->type = type;
	x->size = type == DUET_T_FILE ? (int64_t)node->len : -1;
	x->mtime = node != NULL ? node->mtime : 0;
	it->n++;
	return 0;
}

/* Copies dir's direct children into *it (lock held). */
static int
fake_collect(struct fakefs *ff, const char *dir, struct fake_items *it)
{
	const struct fake_node *p;
	const char *rest, *slash;
	size_t dl = strlen(dir);
	int t, rc;

	t = fake_lookup(ff, dir, dl, NULL);
	if (t == 0)
		return duet_err_set(DUET_E_NOTFOUND, "%s: list %s: directory not found",
		    ff->fs.name, dir);
	if (t == DUET_T_FILE)
		return duet_err_set(DUET_E_NOTDIR, "%s: list %s: not a directory",
		    ff->fs.name, dir);
	for (p = ff->head; p != NULL; p = p->next) {
		rest = fake_under(ff, p->path, dir, dl);
		if (rest == NULL)
			continue;
		slash = strchr(rest, '/');
		if (slash == NULL)
			rc = fake_items_add(ff, it, dir, rest, strlen(rest), p);
		else
			rc = fake_items_add(ff, it, dir, rest, (size_t)(slash - rest), NULL);
		if (rc != 0)
			return duet_err_set(rc, "%s: list %s: out of memory", ff->fs.name, dir);
	}
	return 0;
}

static int
fake_list(struct duet_fs *fs, const char *dir, duet_list_fn fn, void *ctx)
{
	struct fakefs *ff = fake_of(fs);
	struct fake_items it = {NULL, 0, 0};
	struct duet_entry e;
	struct fake_item *x;
	size_t i;
	int rc, bad = 0;

	pthread_mutex_lock(&ff->mu);
	rc = fake_enter(ff, DUET_FAKEFS_LIST, dir);
	if (rc == 0)
		rc = fake_collect(ff, dir, &it);
	pthread_mutex_unlock(&ff->mu);
	for (i = 0; rc == 0 && i < it.n; i++) {
		x = &it.v[i];
		if (duet_name_check(x->path + x->nameoff, strlen(x->path + x->nameoff)) != 0) {
			duet_logo(DUET_LOG_ERROR, x->path, "%s: list %s: skipping invalid name: %s",
			    fs->name, dir, duet_err_msg());
			bad = 1;
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.path = x->path;
		e.pathlen = (uint32_t)strlen(x->path);
		e.size = x->size;
		e.mtime = x->mtime;
		e.type = (uint8_t)x->type;
		rc = fn(ctx, &e);
	}
	if (rc == 0 && bad)
		rc = duet_err_set(DUET_E_BADNAME, "%s: list %s: invalid names skipped",
		    fs->name, dir);
	fake_items_free(&it);
	return rc;
}

static int
fake_stat(struct duet_fs *fs, const char *path, struct duet_entry *e)
{
	struct fakefs *ff = fake_of(fs);
	struct fake_node *node;
	int rc, t;

	pthread_mutex_lock(&ff->mu);
	rc = fake_enter(ff, DUET_FAKEFS_STAT, path);
	if (rc != 0)
		goto out;
	t = fake_lookup(ff, path, strlen(path), &node);
	if (t == 0) {
		rc = duet_err_set(DUET_E_NOTFOUND, "%s: stat %s: not found", fs->name, path);
		goto out;
	}
	e->type = (uint8_t)t;
	e->size = t == DUET_T_FILE ? (int64_t)node->len : -1;
	e->mtime = node != NULL ? node->mtime : 0;
	e->hashes = NULL;
	e->flags = 0;
out:
	pthread_mutex_unlock(&ff->mu);
	return rc;
}

/* --- streams --- */

static ssize_t
fake_read(struct duet_rstream *s, void *buf, size_t n)
{
	struct fake_rstream *rs = (struct fake_rstream *)s;
	int rc;

	pthread_mutex_lock(&rs->ff->mu);
	rc = fake_enter(rs->ff, DUET_FAKEFS_READ, rs->path);
	pthread_mutex_unlock(&rs->ff->mu);
	if (rc != 0)
		return rc;
	if (n > rs->len - rs->pos)
		n = rs->len - rs->pos;
	if (n > 0)
		memcpy(buf, rs->data + rs->pos, n);
	rs->pos += n;
	return (ssize_t)n;
}

static void
fake_rclose(struct duet_rstream *s)
{
	struct fake_rstream *rs = (struct fake_rstream *)s;
	if (rs == NULL)
		return;
	duet_free(rs->path);
	duet_free(rs->data);
	duet_free(rs);
}

static const struct duet_rstream_ops fake_rops = {fake_read, fake_rclose};

static int
fake_open_read(struct duet_fs *fs, const char *path, int64_t offset,
    struct duet_rstream **out)
{
	struct fakefs *ff = fake_of(fs);
	struct fake_rstream *rs = NULL;
	struct fake_node *node;
	int rc, t;

	*out = NULL;
	pthread_mutex_lock(&ff->mu);
	rc = fake_enter(ff, DUET_FAKEFS_OPEN_READ, path);
	if (rc != 0)
		goto out;
	t = fake_lookup(ff, path, strlen(path), &node);
	if (t != DUET_T_FILE) {
		rc = duet_err_set(t == 0 ? DUET_E_NOTFOUND : DUET_E_ISDIR,
		    "%s: open %s: %s", fs->name, path, t == 0 ? "not found" : "is a directory");
		goto out;
	}
	if (offset < 0) {
		rc = duet_err_set(DUET_E_INVAL, "%s: open %s: negative offset", fs->name, path);
		goto out;
	}
	rs = duet_calloc(1, sizeof(*rs));
	if (rs == NULL || (rs->path = duet_strdup(path)) == NULL ||
	    (rs->data = duet_malloc(node->len)) == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "%s: open %s: out of memory", fs->name, path);
		goto out;
	}
	if (node->len > 0)
		memcpy(rs->data, node->data, node->len);
	rs->len = node->len;
	rs->pos = (uint64_t)offset < node->len ? (size_t)offset : node->len;
	rs->ff = ff;
	rs->s.ops = &fake_rops;
	rs->s.fd = -1;
	rs->s.size = (int64_t)node->len;
out:
	pthread_mutex_unlock(&ff->mu);
	if (rc != 0 && rs != NULL)
		fake_rclose(&rs->s);
	else if (rc == 0)
		*out = &rs->s;
	return rc;
}

static void
fake_wfree(struct fake_wstream *ws)
{
	duet_free(ws->path);
	duet_buf_dispose(&ws->buf);
	duet_free(ws);
}

static int
fake_write(struct duet_wstream *s, const void *buf, size_t n)
{
	struct fake_wstream *ws = (struct fake_wstream *)s;
	int rc;

	if (ws->err != 0)
		return duet_err_set(ws->err, "%s: write %s: stream failed before",
		    ws->ff->fs.name, ws->path);
	pthread_mutex_lock(&ws->ff->mu);
	rc = fake_enter(ws->ff, DUET_FAKEFS_WRITE, ws->path);
	pthread_mutex_unlock(&ws->ff->mu);
	if (rc == 0 && duet_buf_append(&ws->buf, buf, n) != 0)
		rc = duet_err_set(DUET_E_NOMEM, "%s: write %s: out of memory",
		    ws->ff->fs.name, ws->path);
	ws->err = rc;
	return rc;
}

static int
fake_commit(struct duet_wstream *s, int64_t mtime)
{
	struct fake_wstream *ws = (struct fake_wstream *)s;
	struct fakefs *ff = ws->ff;
	size_t len = ws->buf.len;
	int rc;

	pthread_mutex_lock(&ff->mu);
	rc = fake_enter(ff, DUET_FAKEFS_COMMIT, ws->path);
	if (rc != 0)
		goto out;
	if (ws->err != 0) {
		rc = duet_err_set(ws->err, "%s: commit %s: a write failed before",
		    ff->fs.name, ws->path);
		goto out;
	}
	if (ws->size >= 0 && (uint64_t)ws->size != len) {
		rc = duet_err_set(DUET_E_IO, "%s: commit %s: %zu bytes written, %lld announced",
		    ff->fs.name, ws->path, len, (long long)ws->size);
		goto out;
	}
	rc = fake_store(ff, "commit", ws->path, (unsigned char *)ws->buf.p, len, mtime, 0);
	if (rc == 0)
		ws->buf = (struct duet_buf)DUET_BUF_INIT;
out:
	pthread_mutex_unlock(&ff->mu);
	fake_wfree(ws);
	return rc;
}

static void
fake_abort(struct duet_wstream *s)
{
	if (s != NULL)
		fake_wfree((struct fake_wstream *)s);
}

/* Records what the caller announced (duet_fakefs_last_hint). */
static int
fake_hint(struct duet_wstream *s, int64_t mtime, const struct duet_hashes *h)
{
	struct fakefs *ff = ((struct fake_wstream *)s)->ff;
	pthread_mutex_lock(&ff->mu);
	ff->hint_mtime = mtime;
	memset(&ff->hint, 0, sizeof(ff->hint));
	if (h != NULL)
		ff->hint = *h;
	pthread_mutex_unlock(&ff->mu);
	return 0;
}

static const struct duet_wstream_ops fake_wops = {
	.write = fake_write,
	.commit = fake_commit,
	.abort = fake_abort,
	.hint = fake_hint,
};

static int
fake_open_write(struct duet_fs *fs, const char *path, int64_t size,
    struct duet_wstream **out)
{
	struct fakefs *ff = fake_of(fs);
	struct fake_wstream *ws = NULL;
	struct fake_node *dirs = NULL;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&ff->mu);
	rc = fake_enter(ff, DUET_FAKEFS_OPEN_WRITE, path);
	if (rc != 0)
		goto out;
	/* Fail early on what commit would refuse; commit checks again. */
	if (fake_lookup(ff, path, strlen(path), NULL) == DUET_T_DIR) {
		rc = duet_err_set(DUET_E_ISDIR, "%s: open_write %s: is a directory",
		    fs->name, path);
		goto out;
	}
	rc = fake_plan_dirs(ff, "open_write", path, 0, &dirs);
	fake_chain_free(dirs);
	if (rc != 0)
		goto out;
	ws = duet_calloc(1, sizeof(*ws));
	if (ws == NULL || (ws->path = duet_strdup(path)) == NULL) {
		duet_free(ws);
		rc = duet_err_set(DUET_E_NOMEM, "%s: open_write %s: out of memory",
		    fs->name, path);
		goto out;
	}
	ws->s.ops = &fake_wops;
	ws->s.fd = -1;
	ws->ff = ff;
	ws->size = size;
	*out = &ws->s;
out:
	pthread_mutex_unlock(&ff->mu);
	return rc;
}

/* --- directories and files --- */

static int
fake_mkdir(struct duet_fs *fs, const char *dir)
{
	struct fakefs *ff = fake_of(fs);
	struct fake_node *dirs = NULL;
	int rc;

	pthread_mutex_lock(&ff->mu);
	rc = fake_enter(ff, DUET_FAKEFS_MKDIR, dir);
	if (rc == 0)
		rc = fake_plan_dirs(ff, "mkdir", dir, 1, &dirs);
	fake_link(ff, dirs);
	pthread_mutex_unlock(&ff->mu);
	return rc;
}

static int
fake_has_children(struct fakefs *ff, const char *dir)
{
	const struct fake_node *p;
	for (p = ff->head; p != NULL; p = p->next)
		if (fake_under(ff, p->path, dir, strlen(dir)) != NULL)
			return 1;
	return 0;
}

static int
fake_rmdir(struct duet_fs *fs, const char *dir)
{
	struct fakefs *ff = fake_of(fs);
	struct fake_node *node;
	int rc, t;

	pthread_mutex_lock(&ff->mu);
	rc = fake_enter(ff, DUET_FAKEFS_RMDIR, dir);
	if (rc != 0)
		goto out;
	t = fake_lookup(ff, dir, strlen(dir), &node);
	if (t == 0 && (fs->caps & DUET_CAP_DIRS) != 0)
		rc = duet_err_set(DUET_E_NOTFOUND, "%s: rmdir %s: not found", fs->name, dir);
	else if (t == DUET_T_FILE)
		rc = duet_err_set(DUET_E_NOTDIR, "%s: rmdir %s: not a directory",
		    fs->name, dir);
	else if (fake_has_children(ff, dir))
		rc = duet_err_set(DUET_E_NOTEMPTY, "%s: rmdir %s: directory not empty",
		    fs->name, dir);
	else if (node != NULL) {
		fake_unlink(ff, node);
		fake_node_free(node);
	}
out:
	pthread_mutex_unlock(&ff->mu);
	return rc;
}

/* The file at path (lock held), or an error naming op. */
static int
fake_file(struct fakefs *ff, const char *op, const char *path, struct fake_node **node)
{
	int t = fake_lookup(ff, path, strlen(path), node);
	if (t == 0)
		return duet_err_set(DUET_E_NOTFOUND, "%s: %s %s: not found", ff->fs.name,
		    op, path);
	if (t == DUET_T_DIR)
		return duet_err_set(DUET_E_ISDIR, "%s: %s %s: is a directory", ff->fs.name,
		    op, path);
	return 0;
}

static int
fake_remove(struct duet_fs *fs, const char *path)
{
	struct fakefs *ff = fake_of(fs);
	struct fake_node *node;
	int rc;

	pthread_mutex_lock(&ff->mu);
	rc = fake_enter(ff, DUET_FAKEFS_REMOVE, path);
	if (rc == 0)
		rc = fake_file(ff, "remove", path, &node);
	if (rc == 0) {
		fake_unlink(ff, node);
		fake_node_free(node);
	}
	pthread_mutex_unlock(&ff->mu);
	return rc;
}

static int
fake_remove_batch(struct duet_fs *fs, const char *const *paths, size_t n, int *codes)
{
	struct fakefs *ff = fake_of(fs);
	int rc;

	pthread_mutex_lock(&ff->mu);
	rc = fake_enter(ff, DUET_FAKEFS_REMOVE_BATCH, "");
	if (rc == 0 && n > ff->batch)
		rc = duet_err_set(DUET_E_INVAL, "%s: remove_batch of %zu paths: more than %zu",
		    ff->fs.name, n, ff->batch);
	if (n > ff->batch_seen)
		ff->batch_seen = n;
	pthread_mutex_unlock(&ff->mu);
	for (size_t i = 0; i < n; i++) {
		codes[i] = rc != 0 ? rc : fake_remove(fs, paths[i]);
		if (codes[i] == DUET_E_NOTFOUND)
			codes[i] = 0;
	}
	return rc;
}

void
duet_fakefs_set_batch(struct duet_fs *fs, size_t max)
{
	struct fakefs *ff = fake_of(fs);
	ff->batch = max;
	ff->ops.remove_batch = max > 0 ? fake_remove_batch : NULL;
}

int64_t
duet_fakefs_last_hint(struct duet_fs *fs, struct duet_hashes *h)
{
	struct fakefs *ff = fake_of(fs);
	int64_t t;
	pthread_mutex_lock(&ff->mu);
	t = ff->hint_mtime;
	if (h != NULL)
		*h = ff->hint;
	pthread_mutex_unlock(&ff->mu);
	return t;
}

size_t
duet_fakefs_batch_max(struct duet_fs *fs)
{
	return fake_of(fs)->batch_seen;
}

/* Checks a move/copy from file src to dst (lock held): *s gets the source
 * node, *d the file at dst or NULL. */
static int
fake_pair(struct fakefs *ff, const char *op, const char *src, const char *dst,
    struct fake_node **s, struct fake_node **d)
{
	int rc = fake_check_path(ff, op, dst);
	if (rc == 0)
		rc = fake_file(ff, op, src, s);
	if (rc == 0 && fake_lookup(ff, dst, strlen(dst), d) == DUET_T_DIR)
		rc = duet_err_set(DUET_E_ISDIR, "%s: %s %s to %s: destination is a directory",
		    ff->fs.name, op, src, dst);
	return rc;
}

/* Renames file src to dst (lock held), replacing a file at dst. */
static int
fake_do_move(struct fakefs *ff, const char *op, const char *src, const char *dst)
{
	struct fake_node *s, *d, *dirs = NULL;
	char *name;
	int rc;

	rc = fake_pair(ff, op, src, dst, &s, &d);
	if (rc != 0 || (d == s && strcmp(s->path, dst) == 0))
		return rc;
	if (d != NULL && d != s) {
		duet_free(d->data);
		d->data = s->data;
		d->len = s->len;
		d->mtime = s->mtime;
		s->data = NULL;
		fake_unlink(ff, s);
		fake_node_free(s);
		return 0;
	}
	/* A new name, or the same one in another case. */
	rc = fake_plan_dirs(ff, op, dst, 0, &dirs);
	if (rc != 0)
		return rc;
	name = duet_strdup(dst);
	if (name == NULL) {
		fake_chain_free(dirs);
		return duet_err_set(DUET_E_NOMEM, "%s: %s %s: out of memory", ff->fs.name,
		    op, src);
	}
	fake_link(ff, dirs);
	duet_free(s->path);
	s->path = name;
	return 0;
}

/* Copies file src to dst (lock held), replacing a file at dst; the copy
 * keeps the source's mtime. */
static int
fake_do_copy(struct fakefs *ff, const char *src, const char *dst)
{
	struct fake_node *s, *d, *dirs = NULL, *n = NULL;
	unsigned char *data = NULL;
	int rc;

	rc = fake_pair(ff, "copy", src, dst, &s, &d);
	if (rc != 0 || d == s)
		return rc;
	if (d == NULL) {
		rc = fake_plan_dirs(ff, "copy", dst, 0, &dirs);
		if (rc != 0)
			return rc;
		n = fake_node_new(dst, strlen(dst), DUET_T_FILE, 0);
	}
	if ((d == NULL && n == NULL) || (s->len > 0 && (data = duet_malloc(s->len)) == NULL)) {
		fake_chain_free(dirs);
		fake_node_free(n);
		return duet_err_set(DUET_E_NOMEM, "%s: copy %s: out of memory", ff->fs.name,
		    src);
	}
	if (s->len > 0)
		memcpy(data, s->data, s->len);
	if (d == NULL) {
		fake_link(ff, dirs);
		fake_link(ff, n);
		d = n;
	}
	duet_free(d->data);
	d->data = data;
	d->len = s->len;
	d->mtime = s->mtime;
	return 0;
}

static int
fake_move(struct duet_fs *fs, const char *src, const char *dst)
{
	struct fakefs *ff = fake_of(fs);
	int rc;

	pthread_mutex_lock(&ff->mu);
	rc = fake_enter(ff, DUET_FAKEFS_MOVE, src);
	if (rc == 0)
		rc = fake_do_move(ff, "move", src, dst);
	pthread_mutex_unlock(&ff->mu);
	return rc;
}

static int
fake_move_from(struct duet_fs *fs, struct duet_fs *src_fs, const char *src,
    const char *dst)
{
	struct fakefs *ff = fake_of(fs);
	int rc;

	pthread_mutex_lock(&ff->mu);
	rc = fake_enter(ff, DUET_FAKEFS_MOVE_FROM, src);
	if (rc == 0 && src_fs != fs)
		rc = duet_err_set(DUET_E_XDEV, "%s: move %s from %s: another tree",
		    fs->name, src, src_fs->name);
	else if (rc == 0)
		rc = fake_do_move(ff, "move_from", src, dst);
	pthread_mutex_unlock(&ff->mu);
	return rc;
}

static int
fake_copy(struct duet_fs *fs, const char *src, const char *dst)
{
	struct fakefs *ff = fake_of(fs);
	int rc;

	pthread_mutex_lock(&ff->mu);
	rc = fake_enter(ff, DUET_FAKEFS_COPY, src);
	if (rc == 0)
		rc = fake_do_copy(ff, src, dst);
	pthread_mutex_unlock(&ff->mu);
	return rc;
}

static int
fake_set_mtime(struct duet_fs *fs, const char *path, int64_t mtime)
{
	struct fakefs *ff = fake_of(fs);
	struct fake_node *node;
	int rc;

	pthread_mutex_lock(&ff->mu);
	rc = fake_enter(ff, DUET_FAKEFS_SET_MTIME, path);
	if (rc != 0)
		goto out;
	if (fake_lookup(ff, path, strlen(path), &node) == 0)
		rc = duet_err_set(DUET_E_NOTFOUND, "%s: set_mtime %s: not found", fs->name,
		    path);
	else if (node != NULL)
		node->mtime = fake_trunc(ff, mtime);
out:
	pthread_mutex_unlock(&ff->mu);
	return rc;
}

static int
fake_hash(struct duet_fs *fs, const char *path, enum duet_hash_kind k,
    struct duet_hashes *out)
{
	struct fakefs *ff = fake_of(fs);
	struct duet_hasher *h = NULL;
	struct fake_node *node;
	int rc;

	pthread_mutex_lock(&ff->mu);
	rc = fake_enter(ff, DUET_FAKEFS_HASH, path);
	if (rc != 0)
		goto out;
	if ((fs->hashes & DUET_HASH_BIT(k)) == 0) {
		rc = duet_err_set(DUET_E_UNSUPPORTED, "%s: hash %s: no %s here", fs->name,
		    path, duet_hash_name(k));
		goto out;
	}
	rc = fake_file(ff, "hash", path, &node);
	if (rc == 0)
		rc = duet_hasher_new(DUET_HASH_BIT(k), &h);
	if (rc != 0)
		goto out;
	duet_hasher_update(h, node->data, node->len);
	duet_hasher_final(h, out);
out:
	pthread_mutex_unlock(&ff->mu);
	duet_hasher_free(h);
	return rc;
}

/* --- the fs object --- */

static int
fake_open(const struct duet_remote *r, const struct duet_fs_opts *o,
    struct duet_fs **out)
{
	(void)o;
	return duet_fakefs_new(r->spec, out);
}

static void
fake_close(struct duet_fs *fs)
{
	struct fakefs *ff;
	if (fs == NULL)
		return;
	ff = fake_of(fs);
	fake_chain_free(ff->head);
	pthread_mutex_destroy(&ff->mu);
	duet_fs_dispose(fs);
	duet_free(ff);
}

const struct duet_backend duet_fakefs_backend = {
	.name = "fake",
	.open = fake_open,
	.close = fake_close,
	.list = fake_list,
	.stat = fake_stat,
	.open_read = fake_open_read,
	.open_write = fake_open_write,
	.mkdir = fake_mkdir,
	.rmdir = fake_rmdir,
	.remove = fake_remove,
	.move = fake_move,
	.copy = fake_copy,
	.set_mtime = fake_set_mtime,
	.move_from = fake_move_from,
	.hash = fake_hash,
};

int
duet_fakefs_new(const char *name, struct duet_fs **out)
{
	struct fakefs *ff;
	char canon[64];
	int rc;

	*out = NULL;
	ff = duet_calloc(1, sizeof(*ff));
	if (ff == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory opening %s", name);
	ff->ops = duet_fakefs_backend;
	rc = duet_fs_init(&ff->fs, &ff->ops, name, "");
	if (rc != 0) {
		duet_free(ff);
		return rc;
	}
	snprintf(canon, sizeof(canon), "fake:%p", (void *)ff);
	ff->fs.canon = duet_strdup(canon);
	if (ff->fs.canon == NULL) {
		duet_fs_dispose(&ff->fs);
		duet_free(ff);
		return duet_err_set(DUET_E_NOMEM, "out of memory opening %s", name);
	}
	pthread_mutex_init(&ff->mu, NULL);
	duet_fakefs_set_caps(&ff->fs, DUET_FAKEFS_DEFAULT_CAPS);
	ff->fs.hashes = DUET_HASH_BIT(DUET_HASH_MD5);
	*out = &ff->fs;
	return 0;
}

void
duet_fakefs_set_caps(struct duet_fs *fs, unsigned caps)
{
	struct fakefs *ff = fake_of(fs);
	fs->caps = caps;
	ff->ops.move = (caps & DUET_CAP_MOVE) != 0 ? fake_move : NULL;
	ff->ops.move_from = (caps & DUET_CAP_MOVE) != 0 ? fake_move_from : NULL;
	ff->ops.copy = (caps & DUET_CAP_COPY) != 0 ? fake_copy : NULL;
	ff->ops.set_mtime = (caps & DUET_CAP_SETMTIME) != 0 ? fake_set_mtime : NULL;
}

void
duet_fakefs_set_precision(struct duet_fs *fs, int64_t ns)
{
	assert(ns >= 1);
	fake_of(fs)->fs.precision = ns;
}

void
duet_fakefs_set_hashes(struct duet_fs *fs, unsigned mask)
{
	assert((mask & ~DUET_HASH_ALL) == 0);
	fake_of(fs)->fs.hashes = mask;
}

void
duet_fakefs_set_now(struct duet_fs *fs, int64_t ns)
{
	fake_of(fs)->now = ns;
}

static int
fake_put(struct duet_fs *fs, const char *path, const void *data, size_t len,
    int64_t mtime, int check)
{
	struct fakefs *ff = fake_of(fs);
	unsigned char *copy;
	int rc;

	copy = duet_malloc(len);
	if (copy == NULL)
		return duet_err_set(DUET_E_NOMEM, "%s: put %s: out of memory", fs->name, path);
	if (len > 0)
		memcpy(copy, data, len);
	pthread_mutex_lock(&ff->mu);
	rc = check ? fake_check_path(ff, "put", path) : 0;
	if (rc == 0)
		rc = fake_store(ff, "put", path, copy, len, mtime, !check);
	pthread_mutex_unlock(&ff->mu);
	if (rc != 0)
		duet_free(copy);
	return rc;
}

int
duet_fakefs_put(struct duet_fs *fs, const char *path, const void *data, size_t len,
    int64_t mtime)
{
	return fake_put(fs, path, data, len, mtime, 1);
}

int
duet_fakefs_put_raw(struct duet_fs *fs, const char *path, const void *data,
    size_t len, int64_t mtime)
{
	return fake_put(fs, path, data, len, mtime, 0);
}

int
duet_fakefs_get(struct duet_fs *fs, const char *path, void **data, size_t *len,
    int64_t *mtime)
{
	struct fakefs *ff = fake_of(fs);
	struct fake_node *node;
	int rc;

	*data = NULL;
	pthread_mutex_lock(&ff->mu);
	rc = fake_file(ff, "get", path, &node);
	if (rc == 0 && (*data = duet_malloc(node->len)) == NULL)
		rc = duet_err_set(DUET_E_NOMEM, "%s: get %s: out of memory", fs->name, path);
	if (rc == 0) {
		if (node->len > 0)
			memcpy(*data, node->data, node->len);
		if (len != NULL)
			*len = node->len;
		if (mtime != NULL)
			*mtime = node->mtime;
	}
	pthread_mutex_unlock(&ff->mu);
	return rc;
}

void
duet_fakefs_fail(struct duet_fs *fs, enum duet_fakefs_op op, long nth, int code)
{
	struct fakefs *ff = fake_of(fs);
	assert((unsigned)op < DUET_FAKEFS_OP_COUNT);
	assert(nth <= 0 || code < 0);
	pthread_mutex_lock(&ff->mu);
	ff->fail_at[op] = nth > 0 ? ff->calls[op] + nth : 0;
	ff->fail_code[op] = code;
	pthread_mutex_unlock(&ff->mu);
}

long
duet_fakefs_calls(struct duet_fs *fs, enum duet_fakefs_op op)
{
	struct fakefs *ff = fake_of(fs);
	long n;
	assert((unsigned)op < DUET_FAKEFS_OP_COUNT);
	pthread_mutex_lock(&ff->mu);
	n = ff->calls[op];
	pthread_mutex_unlock(&ff->mu);
	return n;
}
