/*
 * sftp_raw.c: a second SFTP channel per session that we speak ourselves,
 * for the extensions libssh2 1.10 cannot send: posix-rename@openssh.com
 * (a rename that replaces the target atomically; plain SFTP v3 rename
 * refuses an existing target on OpenSSH) and copy-data (a server-side
 * copy, OpenSSH >= 9.0). One request at a time, under the connection's
 * mutex; the server's VERSION tells which extensions exist.
 */
#include "sftp.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/log.h"
#include "sftp_int.h"

/* SFTP v3 packet types and flags (draft-ietf-secsh-filexfer-02). */
enum {
	RAW_INIT = 1,
	RAW_VERSION = 2,
	RAW_OPEN = 3,
	RAW_CLOSE = 4,
	RAW_FSTAT = 8,
	RAW_FSETSTAT = 10,
	RAW_STATUS = 101,
	RAW_HANDLE = 102,
	RAW_ATTRS = 105,
	RAW_EXTENDED = 200,
};
#define RAW_MAXPKT (256 * 1024) /* longest reply we accept */

/* A request being built; err is sticky (out of memory). */
struct raw_req {
	struct duet_buf b;
	int err;
};

/* A reply being parsed; bad once it ran short. */
struct raw_rd {
	const unsigned char *p;
	size_t n;
	int bad;
};

static void
raw_u32(struct raw_req *r, uint32_t v)
{
	unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
	    (unsigned char)(v >> 8), (unsigned char)v};
	if (r->err == 0)
		r->err = duet_buf_append(&r->b, x, 4);
}

static void
raw_u64(struct raw_req *r, uint64_t v)
{
	raw_u32(r, (uint32_t)(v >> 32));
	raw_u32(r, (uint32_t)v);
}

static void
raw_str(struct raw_req *r, const void *s, size_t n)
{
	raw_u32(r, (uint32_t)n);
	if (r->err == 0)
		r->err = duet_buf_append(&r->b, s, n);
}

/* Starts a packet: length placeholder, type, request id. */
static void
raw_begin(struct raw_req *r, struct sftp_conn *c, int type)
{
	unsigned char t = (unsigned char)type;
	duet_buf_reset(&r->b);
	r->err = 0;
	raw_u32(r, 0);
	if (r->err == 0)
		r->err = duet_buf_append(&r->b, &t, 1);
	if (type != RAW_INIT)
		raw_u32(r, c->raw_id++);
}

static uint32_t
raw_get32(struct raw_rd *d)
{
	uint32_t v;
	if (d->n < 4) {
		d->bad = 1;
		return 0;
	}
	v = (uint32_t)d->p[0] << 24 | (uint32_t)d->p[1] << 16 | (uint32_t)d->p[2] << 8 | d->p[3];
	d->p += 4;
	d->n -= 4;
	return v;
}

static const unsigned char *
raw_getstr(struct raw_rd *d, size_t *len)
{
	const unsigned char *s;
	*len = raw_get32(d);
	if (d->bad || *len > d->n) {
		d->bad = 1;
		*len = 0;
		return NULL;
	}
	s = d->p;
	d->p += *len;
	d->n -= *len;
	return s;
}

/* A failure of the raw channel itself: the session is suspect. */
static int
raw_lost(struct sftp_conn *c, const char *op, const char *rel)
{
	int rc = sftp_err(c, op, rel);
	if (rc != DUET_E_NET) {
		c->broken = 1;
		rc = sftp_errx(c->fs, DUET_E_NET, op, rel, "connection lost (SFTP channel closed)");
	}
	return rc;
}

static int
raw_send(struct sftp_conn *c, struct raw_req *r, const char *op, const char *rel)
{
	size_t len = r->b.len, off = 0;
	unsigned char *p = (unsigned char *)r->b.p;

	if (r->err != 0)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory for %s %s", op, rel);
	len -= 4;
	p[0] = (unsigned char)(len >> 24);
	p[1] = (unsigned char)(len >> 16);
	p[2] = (unsigned char)(len >> 8);
	p[3] = (unsigned char)len;
	while (off < r->b.len) {
		ssize_t w = libssh2_channel_write(c->raw, r->b.p + off, r->b.len - off);
		if (w < 0)
			return raw_lost(c, op, rel);
		off += (size_t)w;
	}
	return 0;
}

static int
raw_read_full(struct sftp_conn *c, void *buf, size_t n, const char *op, const char *rel)
{
	size_t off = 0;
	while (off < n) {
		ssize_t r = libssh2_channel_read(c->raw, (char *)buf + off, n - off);
		if (r <= 0)
			return raw_lost(c, op, rel);
		off += (size_t)r;
	}
	return 0;
}

/* Reads one packet into in (type byte first). */
static int
raw_recv(struct sftp_conn *c, struct duet_buf *in, const char *op, const char *rel)
{
	unsigned char h[4];
	uint32_t len;
	int rc;

	if ((rc = raw_read_full(c, h, 4, op, rel)) != 0)
		return rc;
	len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	if (len == 0 || len > RAW_MAXPKT) {
		c->broken = 1;
		return sftp_errx(c->fs, DUET_E_NET, op, rel, "bad SFTP packet from the server");
	}
	duet_buf_reset(in);
	if ((rc = duet_buf_reserve(in, len)) != 0)
		return rc;
	if ((rc = raw_read_full(c, in->p, len, op, rel)) != 0)
		return rc;
	in->len = len;
	return 0;
}

/* Sends r and reads its reply into in, positioned after type and id in
 * *d. A STATUS reply: 0 for OK when want is RAW_STATUS, else the mapped
 * error. Another reply must be of type want. */
static int
raw_call(struct sftp_conn *c, struct raw_req *r, int want, struct duet_buf *in,
    struct raw_rd *d, const char *op, const char *rel)
{
	uint32_t id = c->raw_id - 1, st;
	const char *why;
	int type, rc;

	if ((rc = raw_send(c, r, op, rel)) != 0 || (rc = raw_recv(c, in, op, rel)) != 0)
		return rc;
	d->p = (const unsigned char *)in->p + 1;
	d->n = in->len - 1;
	d->bad = 0;
	type = (unsigned char)in->p[0];
	if (raw_get32(d) != id || d->bad) {
		c->broken = 1;
		return sftp_errx(c->fs, DUET_E_NET, op, rel, "SFTP reply out of order");
	}
	if (type == RAW_STATUS) {
		st = raw_get32(d);
		if (st == 0 && want == RAW_STATUS)
			return 0;
		rc = sftp_map_status(st, &why);
		return sftp_errx(c->fs, rc != 0 ? rc : DUET_E_IO, op, rel, why);
	}
	if (type != want)
		return sftp_errx(c->fs, DUET_E_IO, op, rel, "unexpected SFTP reply");
	return 0;
}

int
sftp_raw_start(struct sftp_conn *c)
{
	struct raw_req r = {DUET_BUF_INIT, 0};
	struct duet_buf in = DUET_BUF_INIT;
	struct raw_rd d;
	unsigned ext = 0;
	int rc = 0;

	if (c->raw != NULL)
		return 0;
	if (c->raw_failed)
		return duet_err_set(DUET_E_UNSUPPORTED, "sftp: %s: no second SFTP channel",
		    c->fs->o.host);
	c->raw = libssh2_channel_open_session(c->ses);
	if (c->raw == NULL || libssh2_channel_subsystem(c->raw, "sftp") != 0) {
		rc = sftp_err(c, "open an SFTP channel on", "");
		if (!c->broken) {
			c->raw_failed = 1;
			rc = DUET_E_UNSUPPORTED;
		}
		goto out;
	}
	raw_begin(&r, c, RAW_INIT);
	raw_u32(&r, 3);
	if ((rc = raw_send(c, &r, "start SFTP on", "")) != 0 ||
	    (rc = raw_recv(c, &in, "start SFTP on", "")) != 0)
		goto out;
	d = (struct raw_rd){(const unsigned char *)in.p + 1, in.len - 1, 0};
	(void)raw_get32(&d); /* version */
	while (!d.bad && d.n > 0) {
		size_t nl, vl;
		const unsigned char *name = raw_getstr(&d, &nl);
		(void)raw_getstr(&d, &vl);
		if (d.bad)
			break;
		if (nl == 24 && memcmp(name, "posix-rename@openssh.com", 24) == 0)
			ext |= SFTP_EXT_POSIX_RENAME;
		else if (nl == 9 && memcmp(name, "copy-data", 9) == 0)
			ext |= SFTP_EXT_COPY_DATA;
	}
	if (in.p[0] != RAW_VERSION) {
		c->raw_failed = 1;
		rc = duet_err_set(DUET_E_UNSUPPORTED, "sftp: %s: bad SFTP version reply",
		    c->fs->o.host);
		goto out;
	}
	atomic_store(&c->fs->ext, ext);
	c->raw_id = 1;
out:
	if (rc != 0)
		sftp_raw_stop(c);
	duet_buf_dispose(&r.b);
	duet_buf_dispose(&in);
	return rc;
}

void
sftp_raw_stop(struct sftp_conn *c)
{
	if (c->raw != NULL)
		libssh2_channel_free(c->raw);
	c->raw = NULL;
}

int
sftp_raw_posix_rename(struct sftp_conn *c, const char *src, const char *dst, const char *rel)
{
	struct raw_req r = {DUET_BUF_INIT, 0};
	struct duet_buf in = DUET_BUF_INIT;
	struct raw_rd d;
	int rc;

	if ((rc = sftp_raw_start(c)) != 0)
		return rc;
	raw_begin(&r, c, RAW_EXTENDED);
	raw_str(&r, "posix-rename@openssh.com", 24);
	raw_str(&r, src, strlen(src));
	raw_str(&r, dst, strlen(dst));
	rc = raw_call(c, &r, RAW_STATUS, &in, &d, "rename onto", rel);
	duet_buf_dispose(&r.b);
	duet_buf_dispose(&in);
	return rc;
}

/* --- copy-data --- */

struct raw_h {
	char h[256]; /* handle string */
	size_t len;  /* 0: none */
};

static int
raw_open(struct sftp_conn *c, const char *path, uint32_t flags, struct raw_h *h,
    const char *rel)
{
	struct raw_req r = {DUET_BUF_INIT, 0};
	struct duet_buf in = DUET_BUF_INIT;
	const unsigned char *s;
	struct raw_rd d;
	int rc;

	raw_begin(&r, c, RAW_OPEN);
	raw_str(&r, path, strlen(path));
	raw_u32(&r, flags);
	raw_u32(&r, LIBSSH2_SFTP_ATTR_PERMISSIONS);
	raw_u32(&r, 0666);
	if ((rc = raw_call(c, &r, RAW_HANDLE, &in, &d, "open", rel)) == 0) {
		s = raw_getstr(&d, &h->len);
		if (d.bad || h->len == 0 || h->len > sizeof(h->h))
			rc = sftp_errx(c->fs, DUET_E_IO, "open", rel, "bad handle from the server");
		else
			memcpy(h->h, s, h->len);
	}
	duet_buf_dispose(&r.b);
	duet_buf_dispose(&in);
	return rc;
}

/* A request on one handle answered by a STATUS (close, fsetstat mtime). */
static int
raw_handle_op(struct sftp_conn *c, int type, struct raw_h *h, int64_t mtime, const char *rel)
{
	struct raw_req r = {DUET_BUF_INIT, 0};
	struct duet_buf in = DUET_BUF_INIT;
	struct raw_rd d;
	int rc;

	raw_begin(&r, c, type);
	raw_str(&r, h->h, h->len);
	if (type == RAW_FSETSTAT) {
		uint32_t s = (uint32_t)(mtime / 1000000000 - (mtime % 1000000000 < 0));
		raw_u32(&r, LIBSSH2_SFTP_ATTR_ACMODTIME);
		raw_u32(&r, s);
		raw_u32(&r, s);
	}
	rc = raw_call(c, &r, RAW_STATUS, &in, &d,
	    type == RAW_CLOSE ? "close" : "set modification time", rel);
	if (type == RAW_CLOSE)
		h->len = 0;
	duet_buf_dispose(&r.b);
	duet_buf_dispose(&in);
	return rc;
}

/* mtime (ns) and type of an open handle. */
static int
raw_fstat(struct sftp_conn *c, struct raw_h *h, int64_t *mtime, int *isdir, const char *rel)
{
	struct raw_req r = {DUET_BUF_INIT, 0};
	struct duet_buf in = DUET_BUF_INIT;
	struct raw_rd d;
	uint32_t fl, perm = 0;
	int rc;

	*mtime = 0;
	raw_begin(&r, c, RAW_FSTAT);
	raw_str(&r, h->h, h->len);
	if ((rc = raw_call(c, &r, RAW_ATTRS, &in, &d, "stat", rel)) == 0) {
		fl = raw_get32(&d);
		if (fl & LIBSSH2_SFTP_ATTR_SIZE) {
			(void)raw_get32(&d);
			(void)raw_get32(&d);
		}
		if (fl & LIBSSH2_SFTP_ATTR_UIDGID) {
			(void)raw_get32(&d);
			(void)raw_get32(&d);
		}
		if (fl & LIBSSH2_SFTP_ATTR_PERMISSIONS)
			perm = raw_get32(&d);
		if (fl & LIBSSH2_SFTP_ATTR_ACMODTIME) {
			(void)raw_get32(&d);
			*mtime = (int64_t)raw_get32(&d) * 1000000000;
		}
		if (d.bad)
			rc = sftp_errx(c->fs, DUET_E_IO, "stat", rel, "bad attributes from the server");
	}
	*isdir = LIBSSH2_SFTP_S_ISDIR(perm);
	duet_buf_dispose(&r.b);
	duet_buf_dispose(&in);
	return rc;
}

static int
raw_copy_data(struct sftp_conn *c, struct raw_h *from, struct raw_h *to, const char *rel)
{
	struct raw_req r = {DUET_BUF_INIT, 0};
	struct duet_buf in = DUET_BUF_INIT;
	struct raw_rd d;
	int rc;

	raw_begin(&r, c, RAW_EXTENDED);
	raw_str(&r, "copy-data", 9);
	raw_str(&r, from->h, from->len);
	raw_u64(&r, 0);
	raw_u64(&r, 0); /* length 0: to the end of the file */
	raw_str(&r, to->h, to->len);
	raw_u64(&r, 0);
	rc = raw_call(c, &r, RAW_STATUS, &in, &d, "copy to", rel);
	duet_buf_dispose(&r.b);
	duet_buf_dispose(&in);
	return rc;
}

struct raw_copy_arg {
	const char *src, *dst;
	char *sp, *dp, *tp; /* remote paths: source, target, temp; owned */
};

/* The temp file next to the target, its parents made when missing. */
static int
raw_copy_target(struct sftp_conn *c, struct raw_copy_arg *x, struct raw_h *to)
{
	const uint32_t fl = LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL |
	    LIBSSH2_FXF_TRUNC;
	const char *slash = strrchr(x->dst, '/');
	char *parent;
	int rc = raw_open(c, x->tp, fl, to, x->dst);

	if (rc != DUET_E_NOTFOUND)
		return rc;
	if ((parent = duet_strndup(x->dst, slash ? (size_t)(slash - x->dst) : 0)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory copying %s", x->src);
	rc = sftp_mkdir_c(c, parent);
	duet_free(parent);
	return rc != 0 ? rc : raw_open(c, x->tp, fl, to, x->dst);
}

static int
raw_copy_fn(struct sftp_conn *c, void *arg)
{
	struct raw_copy_arg *x = arg;
	struct raw_h from = {"", 0}, to = {"", 0};
	int64_t mtime;
	int rc, isdir, made = 0;

	if ((rc = sftp_raw_start(c)) != 0 ||
	    (rc = raw_open(c, x->sp, LIBSSH2_FXF_READ, &from, x->src)) != 0 ||
	    (rc = raw_fstat(c, &from, &mtime, &isdir, x->src)) != 0)
		goto out;
	if (isdir) {
		rc = sftp_errx(c->fs, DUET_E_ISDIR, "copy", x->src, "is a directory");
		goto out;
	}
	if ((rc = raw_copy_target(c, x, &to)) != 0)
		goto out;
	made = 1;
	if ((rc = raw_copy_data(c, &from, &to, x->dst)) != 0 ||
	    (mtime != 0 && c->fs->o.set_modtime &&
	        (rc = raw_handle_op(c, RAW_FSETSTAT, &to, mtime, x->dst)) != 0) ||
	    (rc = raw_handle_op(c, RAW_CLOSE, &to, 0, x->dst)) != 0)
		goto out;
	if ((rc = sftp_replace_c(c, x->tp, x->dp, x->dst)) == 0)
		made = 0;
out:
	if (to.len > 0 && !c->broken)
		(void)raw_handle_op(c, RAW_CLOSE, &to, 0, x->dst);
	if (from.len > 0 && !c->broken)
		(void)raw_handle_op(c, RAW_CLOSE, &from, 0, x->src);
	if (made && !c->broken)
		(void)libssh2_sftp_unlink_ex(c->sftp, x->tp, (unsigned)strlen(x->tp));
	return rc;
}

int
sftp_op_copy(struct duet_fs *dfs, const char *src, const char *dst)
{
	struct sftp_fs *fs = (struct sftp_fs *)dfs;
	struct raw_copy_arg x = {src, dst, NULL, NULL, NULL};
	const char *base;
	char tmp[300];
	size_t dl;
	int rc;

	if ((rc = sftp_rpath(fs, src, &x.sp)) != 0 || (rc = sftp_rpath(fs, dst, &x.dp)) != 0)
		goto out;
	base = strrchr(x.dp, '/');
	dl = base != NULL ? (size_t)(base - x.dp + 1) : 0;
	sftp_tmpname(fs, base != NULL ? base + 1 : x.dp, tmp, sizeof(tmp));
	if ((x.tp = duet_malloc(dl + strlen(tmp) + 1)) == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "sftp: out of memory copying %s", src);
		goto out;
	}
	memcpy(x.tp, x.dp, dl);
	memcpy(x.tp + dl, tmp, strlen(tmp) + 1);
	rc = sftp_run(fs, "copy", src, raw_copy_fn, &x);
out:
	duet_free(x.sp);
	duet_free(x.dp);
	duet_free(x.tp);
	return rc;
}
