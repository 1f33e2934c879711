/*
 * lock.c: the per-pair run lock, kept in the `lock` database. Checking and
 * taking happen in one LMDB write transaction, and LMDB admits one writer
 * at a time across threads and processes, so two runs can never both see
 * the lock free. A lock is stale when it expired or when its holder was a
 * process on this host that no longer exists (pid gone, zombie, or the pid
 * now belongs to a process with another start time).
 */
#include "workdir.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/log.h"
#include "workdir_int.h"

#define WD_LOCK_FIXED 46 /* ver pid pstart token taken renewed expires hostlen */

static atomic_uint_fast64_t wd_token_seq;

/* Reads state and starttime (field 22) of /proc/PID/stat. 0 on success. */
static int
wd_proc_stat(int32_t pid, char *state, uint64_t *start)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may hold spaces and ')': the fields start after the last ')' */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %c", state) != 1)
		return -1;
	for (int field = 3; field <= 22; field++) {
		p = strchr(p + 1, ' ');
		if (p == NULL)
			return -1;
	}
	if (sscanf(p + 1, "%llu", &v) != 1)
		return -1;
	*start = v;
	return 0;
}

static void
wd_self(struct duet_lock_holder *h)
{
	char state;

	memset(h, 0, sizeof(*h));
	if (gethostname(h->host, sizeof(h->host) - 1) != 0)
		strcpy(h->host, "unknown");
	h->pid = (int32_t)getpid();
	if (wd_proc_stat(h->pid, &state, &h->pstart) != 0)
		h->pstart = 0;
}

/* 1 when holder h, a process of this host, is certainly gone. */
static int
wd_dead(const struct duet_lock_holder *h)
{
	char state;
	uint64_t start;

	if (h->pid <= 0)
		return 1;
	if (kill((pid_t)h->pid, 0) != 0 && errno == ESRCH)
		return 1;
	if (wd_proc_stat(h->pid, &state, &start) != 0)
		return 0; /* no /proc: kill said it exists */
	if (state == 'Z' || state == 'X')
		return 1;
	return h->pstart != 0 && start != h->pstart;
}

static void
wd_lock_encode(const struct duet_lock_holder *h, unsigned char *buf, size_t *n)
{
	size_t hl = strnlen(h->host, DUET_LOCK_HOSTMAX - 1);

	buf[0] = WD_VERSION_BYTE;
	wd_be32(buf + 1, (uint32_t)h->pid);
	wd_be64(buf + 5, h->pstart);
	wd_be64(buf + 13, h->token);
	wd_be64(buf + 21, (uint64_t)h->taken);
	wd_be64(buf + 29, (uint64_t)h->renewed);
	wd_be64(buf + 37, (uint64_t)h->expires);
	buf[45] = (unsigned char)hl;
	memcpy(buf + WD_LOCK_FIXED, h->host, hl);
	*n = WD_LOCK_FIXED + hl;
}

static int
wd_lock_decode(struct duet_workdir *w, const MDB_val *v, struct duet_lock_holder *h)
{
	const unsigned char *p = v->mv_data;

	memset(h, 0, sizeof(*h));
	if (v->mv_size < WD_LOCK_FIXED || p[0] != WD_VERSION_BYTE ||
	    v->mv_size != WD_LOCK_FIXED + (size_t)p[45])
		return duet_err_set(
		    DUET_E_CORRUPT,
		    "workdir file %s: bad lock record; move it away and run with --resync",
		    w->file);
	h->pid = (int32_t)wd_get32(p + 1);
	h->pstart = wd_get64(p + 5);
	h->token = wd_get64(p + 13);
	h->taken = (int64_t)wd_get64(p + 21);
	h->renewed = (int64_t)wd_get64(p + 29);
	h->expires = (int64_t)wd_get64(p + 37);
	memcpy(h->host, p + WD_LOCK_FIXED, p[45]);
	return 0;
}

static void
wd_fmt_time(int64_t ns, char *buf, size_t n)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;

	if (ns == 0 || gmtime_r(&s, &tm) == NULL)
		snprintf(buf, n, "never");
	else
		strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
wd_same_holder(const struct duet_lock_holder *a, const struct duet_lock_holder *b)
{
	return a->token == b->token && a->pid == b->pid && a->pstart == b->pstart &&
	       strcmp(a->host, b->host) == 0;
}

struct wd_lock_ctx {
	uint32_t id;
	int64_t max_lock;
	int op;                      /* 't'ake, 'r'enew, 'u'nlock */
	struct duet_lock_holder *me; /* ours */
	struct duet_lock_holder old; /* the stored holder before */
	int stale;                   /* 0, 'e'xpired, 'd'ead */
};

static int
wd_lock_read(struct duet_workdir_txn *t, struct wd_lock_ctx *c, MDB_val *k, int *found)
{
	MDB_val v;
	int rc = mdb_get(t->txn, t->w->lock, k, &v);

	memset(&c->old, 0, sizeof(c->old));
	*found = rc == 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return wd_terr(t, rc, "read lock");
	return wd_lock_decode(t->w, &v, &c->old);
}

static int
wd_lock_put(struct duet_workdir_txn *t, MDB_val *k, const struct duet_lock_holder *h)
{
	unsigned char buf[WD_LOCK_FIXED + DUET_LOCK_HOSTMAX];
	MDB_val v = {0, buf};
	int rc;

	wd_lock_encode(h, buf, &v.mv_size);
	rc = mdb_put(t->txn, t->w->lock, k, &v, 0);
	return rc ? wd_terr(t, rc, "write lock") : 0;
}

static int
wd_lock_busy(struct duet_workdir_txn *t, struct wd_lock_ctx *c)
{
	char taken[32], exp[32];

	wd_fmt_time(c->old.taken, taken, sizeof(taken));
	wd_fmt_time(c->old.expires, exp, sizeof(exp));
	return duet_err_set(DUET_E_EXIST,
	                    "workdir %s: pair %u is locked by pid %ld on %s since %s (expires %s); "
	                    "another run is in progress",
	                    t->w->dir, (unsigned)c->id, (long)c->old.pid, c->old.host, taken, exp);
}

static int
wd_lock_fn(struct duet_workdir_txn *t, void *ctx)
{
	struct wd_lock_ctx *c = ctx;
	unsigned char key[4];
	MDB_val k = {sizeof(key), key};
	int64_t now = wd_now();
	int found, rc;

	wd_be32(key, c->id);
	c->stale = 0;
	if ((rc = wd_lock_read(t, c, &k, &found)) != 0)
		return rc;
	if (c->op == 'u') {
		if (!found)
			return 0;
		if (!wd_same_holder(&c->old, c->me))
			return duet_err_set(
			    DUET_E_PERM,
			    "workdir %s: lock of pair %u is held by pid %ld on %s, not by us",
			    t->w->dir, (unsigned)c->id, (long)c->old.pid, c->old.host);
		rc = mdb_del(t->txn, t->w->lock, &k, NULL);
		return rc ? wd_terr(t, rc, "delete lock") : 0;
	}
	if (c->op == 'r') {
		if (!found || !wd_same_holder(&c->old, c->me))
			return duet_err_set(DUET_E_PERM,
			                    "workdir %s: lock of pair %u is no longer ours",
			                    t->w->dir, (unsigned)c->id);
	} else if (found) {
		if (c->old.expires != 0 && c->old.expires <= now)
			c->stale = 'e';
		else if (strcmp(c->old.host, c->me->host) == 0 && wd_dead(&c->old))
			c->stale = 'd';
		else
			return wd_lock_busy(t, c);
	}
	if (c->op == 't') {
		c->me->token =
		    (uint64_t)now * 0x9E3779B97F4A7C15ull + atomic_fetch_add(&wd_token_seq, 1);
		c->me->taken = now;
	}
	c->me->renewed = now;
	c->me->expires = c->max_lock > 0 ? now + c->max_lock : 0;
	return wd_lock_put(t, &k, c->me);
}

static void
wd_lock_notice(struct duet_workdir *w, const struct wd_lock_ctx *c)
{
	char taken[32], exp[32];

	wd_fmt_time(c->old.taken, taken, sizeof(taken));
	wd_fmt_time(c->old.expires, exp, sizeof(exp));
	if (c->stale == 'e')
		duet_log(
		    DUET_LOG_NOTICE,
		    "workdir %s: lock of pair %u (pid %ld on %s) expired at %s; taking it over",
		    w->dir, (unsigned)c->id, (long)c->old.pid, c->old.host, exp);
	else
		duet_log(DUET_LOG_NOTICE,
		         "workdir %s: lock of pair %u was held by pid %ld on %s (taken %s), "
		         "which is no longer running; taking it over",
		         w->dir, (unsigned)c->id, (long)c->old.pid, c->old.host, taken);
}

int
duet_workdir_lock_take(struct duet_workdir *w, uint32_t id, int64_t max_lock_ns,
                       struct duet_lock_holder *me, struct duet_lock_holder *held_by)
{
	struct wd_lock_ctx c = {.id = id, .max_lock = max_lock_ns, .op = 't', .me = me};
	int rc;

	wd_self(me);
	rc = duet_workdir_write(w, wd_lock_fn, &c);
	if (held_by != NULL) {
		if (rc == 0 && !c.stale)
			memset(held_by, 0, sizeof(*held_by));
		else
			*held_by = c.old;
	}
	if (rc == 0 && c.stale)
		wd_lock_notice(w, &c);
	if (rc != 0) {
		char host[DUET_LOCK_HOSTMAX];
		memcpy(host, me->host, sizeof(host));
		memset(me, 0, sizeof(*me));
		memcpy(me->host, host, sizeof(host));
	}
	return rc;
}

int
duet_workdir_lock_renew(struct duet_workdir *w, uint32_t id, int64_t max_lock_ns,
                        struct duet_lock_holder *me)
{
	struct duet_lock_holder copy = *me;
	struct wd_lock_ctx c = {.id = id, .max_lock = max_lock_ns, .op = 'r', .me = &copy};
	int rc = duet_workdir_write(w, wd_lock_fn, &c);

	if (rc == 0)
		*me = copy;
	return rc;
}

int
duet_workdir_lock_release(struct duet_workdir *w, uint32_t id, const struct duet_lock_holder *me)
{
	struct duet_lock_holder copy = *me;
	struct wd_lock_ctx c = {.id = id, .op = 'u', .me = &copy};

	return duet_workdir_write(w, wd_lock_fn, &c);
}

int
duet_workdir_lock_get(struct duet_workdir *w, uint32_t id, struct duet_lock_holder *out)
{
	struct duet_workdir_txn *t;
	struct wd_lock_ctx c = {.id = id};
	unsigned char key[4];
	MDB_val k = {sizeof(key), key};
	int rc, found = 0;

	memset(out, 0, sizeof(*out));
	wd_be32(key, id);
	if ((rc = duet_workdir_txn_begin(w, 1, &t)) != 0)
		return rc;
	rc = wd_lock_read(t, &c, &k, &found);
	duet_workdir_txn_abort(t);
	if (rc == 0 && !found)
		rc = duet_err_set(DUET_E_NOTFOUND, "workdir: pair %u is not locked", (unsigned)id);
	if (rc == 0)
		*out = c.old;
	return rc;
}
