/*
 * cmd_check.c: check (are two trees the same?) and the sum commands
 * hashsum, md5sum and sha1sum, whose --checkfile is a check of a tree
 * against a SUM file. Both sides are listed, merged by path into items,
 * the items present on both sides are compared by --checkers threads
 * (size, then hash, bytes with --download), and the outcome is logged and
 * reported in path order, so the output does not depend on timing.
 */
#include "cli.h"
#include "cmds.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"

#define SUM_MAX_BYTES ((size_t)1 << 30) /* a SUM file larger than this is refused */

/* The report files, in the order of the flags. */
enum { R_COMBINED, R_MISSING_SRC, R_MISSING_DST, R_MATCH, R_DIFFER, R_ERROR, R_N };

/* One path of the merge and what the comparison found. */
struct chk_item {
	const struct duet_entry *s, *d; /* either may be NULL (missing) */
	char state;                     /* '=', '+', '-', '*', '!' as in --combined */
	const char *why;                /* static text for '*' */
	char *msg;                      /* error text for '!'; owned */
};

struct chk {
	struct cli_opts *o;
	struct duet_fs *src, *dst, *sumfs; /* owned; sumfs in SUM mode */
	struct duet_filter *filter;        /* owned */
	struct duet_listing sl, dl;        /* sl: the SUM file's records in SUM mode */
	struct chk_item *items;            /* owned */
	size_t n;
	int kind;       /* hash compared, -1 for sizes only */
	int sum_mode;   /* sl came from a SUM file */
	FILE *out[R_N]; /* report files or NULL */
	long matches, differ, missing_src, missing_dst, io_errors;
	char sdesc[4200], ddesc[4200];
};

/* ---- comparing one item ---- */

/* Reads up to n bytes, fewer only at the end. */
static ssize_t
chk_read_full(struct duet_rstream *s, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = s->ops->read(s, buf + got, n - got);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* --download: 1 when the bytes differ, 0 when equal, negative on error. */
static int
chk_bytes(struct chk *c, const char *path)
{
	struct duet_rstream *a = NULL, *b = NULL;
	char *ba = duet_malloc(65536), *bb = duet_malloc(65536);
	ssize_t na, nb;
	int rc = 0;

	if (ba == NULL || bb == NULL)
		rc = duet_err_set(DUET_E_NOMEM, "out of memory");
	if (rc == 0)
		rc = c->src->ops->open_read(c->src, path, 0, &a);
	if (rc == 0)
		rc = c->dst->ops->open_read(c->dst, path, 0, &b);
	while (rc == 0) {
		na = chk_read_full(a, ba, 65536);
		nb = chk_read_full(b, bb, 65536);
		if (na < 0 || nb < 0)
			rc = (int)(na < 0 ? na : nb);
		else if (na != nb || memcmp(ba, bb, (size_t)na) != 0)
			rc = 1;
		else if (na == 0)
			break;
	}
	if (a != NULL)
		a->ops->close(a);
	if (b != NULL)
		b->ops->close(b);
	duet_free(ba);
	duet_free(bb);
	return rc;
}

/* Compares by hash: 1 differ, 0 equal, negative on error. In SUM mode the
 * source digest is the SUM file's. */
static int
chk_hashes(struct chk *c, const struct chk_item *it)
{
	struct duet_hashes hs, hd;
	unsigned bit = DUET_HASH_BIT(c->kind);
	int rc;

	if (c->sum_mode)
		hs = *it->s->hashes;
	else if ((rc = cli_hash_path(c->src, it->s->path, bit, 0, &hs)) != 0)
		return rc;
	if ((rc = cli_hash_path(c->dst, it->d->path, bit, 0, &hd)) != 0)
		return rc;
	return !duet_hash_equal(&hs, &hd, (enum duet_hash_kind)c->kind);
}

static void
chk_one(void *ctx, size_t i)
{
	struct chk *c = ctx;
	struct chk_item *it = &c->items[i];
	int rc;

	if (it->s == NULL || it->d == NULL)
		return;
	if (!c->sum_mode && it->s->size >= 0 && it->d->size >= 0 && it->s->size != it->d->size) {
		it->state = '*';
		it->why = "sizes differ";
		return;
	}
	if (!c->sum_mode && (c->o->x.size_only || (c->kind < 0 && !c->o->download))) {
		it->state = '=';
		return;
	}
	rc = !c->sum_mode && c->o->download ? chk_bytes(c, it->s->path) : chk_hashes(c, it);
	if (rc < 0) {
		it->state = '!';
		it->msg = duet_strdup(duet_err_msg());
	} else {
		it->state = rc ? '*' : '=';
		it->why = c->sum_mode ? "files differ" : c->o->download ? "contents differ" : NULL;
	}
}

/* ---- merging, reporting ---- */

static int
chk_merge(struct chk *c)
{
	size_t i = 0, j = 0;

	c->items = duet_calloc(c->sl.n + c->dl.n + 1, sizeof(*c->items));
	if (c->items == NULL) {
		fprintf(stderr, "Error: out of memory\n");
		return EXIT_FATAL;
	}
	while (i < c->sl.n || j < c->dl.n) {
		struct chk_item *it = &c->items[c->n++];
		int cmp = i == c->sl.n   ? 1
		          : j == c->dl.n ? -1
		                         : duet_path_cmp(c->sl.v[i].path, c->dl.v[j].path);
		if (cmp <= 0)
			it->s = &c->sl.v[i++];
		if (cmp >= 0)
			it->d = &c->dl.v[j++];
		it->state = it->d == NULL ? '+' : it->s == NULL ? '-' : 0;
		if (it->state == '-' && c->o->one_way && !c->sum_mode)
			c->n--;
	}
	return 0;
}

static void
chk_report(struct chk *c, int which, char sym, const char *path)
{
	if (c->out[which] != NULL)
		fprintf(c->out[which], "%s\n", path);
	if (c->out[R_COMBINED] != NULL)
		fprintf(c->out[R_COMBINED], "%c %s\n", sym, path);
}

/* Logs and reports every item in path order; counts. */
static void
chk_emit(struct chk *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct chk_item *it = &c->items[i];
		const char *path = it->s ? it->s->path : it->d->path;
		switch (it->state) {
		case '+':
			duet_logo(DUET_LOG_ERROR, path, "file not in %s", c->ddesc);
			chk_report(c, R_MISSING_DST, '+', path);
			c->missing_dst++;
			break;
		case '-':
			if (c->sum_mode)
				duet_logo(DUET_LOG_ERROR, path, "sum not found");
			else
				duet_logo(DUET_LOG_ERROR, path, "file not in %s", c->sdesc);
			chk_report(c, R_MISSING_SRC, '-', path);
			c->missing_src++;
			break;
		case '*':
			if (it->why != NULL)
				duet_logo(DUET_LOG_ERROR, path, "%s", it->why);
			else
				duet_logo(DUET_LOG_ERROR, path, "%s differ",
				          duet_hash_name((enum duet_hash_kind)c->kind));
			chk_report(c, R_DIFFER, '*', path);
			c->differ++;
			break;
		case '!':
			duet_logo(DUET_LOG_ERROR, path, "%s", it->msg ? it->msg : "out of memory");
			chk_report(c, R_ERROR, '!', path);
			c->io_errors++;
			break;
		default:
			duet_logo(DUET_LOG_DEBUG, path, "OK");
			chk_report(c, R_MATCH, '=', path);
			c->matches++;
			break;
		}
	}
}

/* The summary NOTICEs and the exit code. */
static int
chk_summary(struct chk *c)
{
	long diffs = c->differ + c->missing_src + c->missing_dst;

	if (c->missing_dst > 0)
		duet_log(DUET_LOG_NOTICE, "%s: %ld files missing", c->ddesc, c->missing_dst);
	if (c->missing_src > 0 && c->sum_mode)
		duet_log(DUET_LOG_NOTICE, "%ld hashes missing", c->missing_src);
	else if (c->missing_src > 0)
		duet_log(DUET_LOG_NOTICE, "%s: %ld files missing", c->sdesc, c->missing_src);
	duet_log(DUET_LOG_NOTICE, "%s: %ld differences found", c->ddesc, diffs);
	if (diffs + c->io_errors > 0)
		duet_log(DUET_LOG_NOTICE, "%s: %ld errors while checking", c->ddesc,
		         diffs + c->io_errors);
	if (c->matches > 0)
		duet_log(DUET_LOG_NOTICE, "%s: %ld matching files", c->ddesc, c->matches);
	if (c->sl.errors + c->dl.errors > 0) {
		fprintf(stderr, "Error: %ld director%s could not be read\n",
		        c->sl.errors + c->dl.errors,
		        c->sl.errors + c->dl.errors == 1 ? "y" : "ies");
		return EXIT_ERROR;
	}
	if (diffs > 0)
		fprintf(stderr, "Error: %ld differences found\n", diffs);
	else if (c->io_errors > 0)
		fprintf(stderr, "Error: %ld errors while checking\n", c->io_errors);
	return diffs + c->io_errors > 0 ? EXIT_ERROR : EXIT_OK;
}

static int
chk_open_reports(struct chk *c)
{
	const char *names[R_N];
	const struct cli_opts *o = c->o;

	names[R_COMBINED] = o->combined;
	names[R_MISSING_SRC] = o->missing_on_src;
	names[R_MISSING_DST] = o->missing_on_dst;
	names[R_MATCH] = o->match;
	names[R_DIFFER] = o->differ;
	names[R_ERROR] = o->error_file;
	for (int i = 0; i < R_N; i++) {
		if (names[i] == NULL)
			continue;
		c->out[i] = strcmp(names[i], "-") == 0 ? stdout : fopen(names[i], "w");
		if (c->out[i] == NULL) {
			fprintf(stderr, "Error: %s: %s\n", names[i], strerror(errno));
			return EXIT_ERROR;
		}
	}
	return 0;
}

static int
chk_close_reports(struct chk *c)
{
	int bad = 0;
	for (int i = 0; i < R_N; i++) {
		if (c->out[i] == NULL)
			continue;
		bad |= fflush(c->out[i]) != 0 || ferror(c->out[i]);
		if (c->out[i] != stdout)
			bad |= fclose(c->out[i]) != 0;
		c->out[i] = NULL;
	}
	if (bad)
		fprintf(stderr, "Error: writing a report file failed\n");
	return bad ? EXIT_ERROR : 0;
}

static void
chk_dispose(struct chk *c)
{
	for (size_t i = 0; i < c->n; i++)
		duet_free(c->items[i].msg);
	duet_free(c->items);
	chk_close_reports(c);
	duet_listing_dispose(&c->sl);
	duet_listing_dispose(&c->dl);
	duet_fs_close(c->src);
	duet_fs_close(c->dst);
	duet_fs_close(c->sumfs);
	duet_filter_free(c->filter);
}

/* Compares, logs, reports and sums up (both listings are ready). */
static int
chk_finish(struct chk *c)
{
	int ec, ec2;
	if ((ec = chk_open_reports(c)) != 0 || (ec = chk_merge(c)) != 0)
		return ec;
	cli_for_each(c->n, c->o->x.checkers, chk_one, c);
	chk_emit(c);
	ec = chk_summary(c);
	ec2 = chk_close_reports(c);
	return ec ? ec : ec2;
}

/* Lists the destination; a missing root lists nothing. When the source
 * named a file, only that name is looked up. */
static int
chk_list_dst(struct chk *c)
{
	struct duet_entry e;
	const char *one = c->sum_mode ? NULL : c->src->file;
	int rc;

	if (c->dst->file != NULL && c->sum_mode)
		return cli_list(c->o, c->dst, c->filter, 0, c->o->limits.max_depth, &c->dl);
	if (c->dst->file != NULL) {
		fprintf(stderr, "Error: %s is a file, not a directory\n", c->dst->name);
		return EXIT_ERROR;
	}
	memset(&e, 0, sizeof(e));
	e.path = one ? one : "";
	rc = c->dst->ops->stat(c->dst, e.path, &e);
	if (rc == DUET_E_NOTFOUND)
		return 0;
	if (rc != 0) {
		fprintf(stderr, "Error: %s\n", duet_err_msg());
		return cli_exit_code(rc);
	}
	if (one == NULL)
		return cli_list(c->o, c->dst, c->filter, 0, c->o->limits.max_depth, &c->dl);
	e.pathlen = (uint32_t)strlen(one);
	if (e.type == DUET_T_FILE && duet_listing_add(&c->dl, &e) != 0)
		return EXIT_FATAL;
	return 0;
}

static void
chk_pick_hash(struct chk *c)
{
	c->kind = duet_hash_first(c->src->hashes & c->dst->hashes);
	if (c->o->x.size_only || c->o->download)
		return;
	if (c->kind < 0)
		duet_log(DUET_LOG_NOTICE,
		         "%s and %s have no hash type in common: comparing sizes only", c->sdesc,
		         c->ddesc);
	else
		duet_log(DUET_LOG_INFO, "Using %s for hash comparisons",
		         duet_hash_name((enum duet_hash_kind)c->kind));
}

static int sum_load(struct chk *c, const char *sumspec);

/* check -C/--checkfile HASH SUMFILE dst, hashsum -C SUMFILE: the tree of
 * spec against the SUM file. */
static int
chk_run_sum(struct cli_opts *o, int kind, const char *sumspec, const char *spec, int to_stdout)
{
	struct chk c;
	int ec;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.kind = kind;
	c.sum_mode = 1;
	duet_listing_init(&c.sl);
	duet_listing_init(&c.dl);
	if (to_stdout && o->combined == NULL)
		o->combined = "-";
	if ((ec = cli_build_filter(o, &c.filter)) == 0 && (ec = cli_open(o, spec, &c.dst)) == 0 &&
	    (ec = sum_load(&c, sumspec)) == 0) {
		cli_fs_desc(c.dst, c.ddesc, sizeof(c.ddesc));
		cli_fs_desc(c.dst, c.sdesc, sizeof(c.sdesc));
		if (!(c.dst->hashes & DUET_HASH_BIT(kind))) {
			fprintf(stderr, "Error: %s has no %s hashes\n", c.dst->name,
			        duet_hash_name((enum duet_hash_kind)kind));
			ec = EXIT_ERROR;
		} else if ((ec = chk_list_dst(&c)) == 0) {
			ec = chk_finish(&c);
		}
	}
	chk_dispose(&c);
	return ec;
}

int
cmd_check(struct cli_opts *o)
{
	struct chk c;
	int ec, kind;

	if (o->checkfile != NULL) {
		if ((kind = duet_hash_parse(o->checkfile)) < 0) {
			fprintf(stderr, "Error: unknown hash type \"%s\"\n", o->checkfile);
			return EXIT_ERROR;
		}
		return chk_run_sum(o, kind, o->args[0], o->args[1], 0);
	}
	memset(&c, 0, sizeof(c));
	c.o = o;
	duet_listing_init(&c.sl);
	duet_listing_init(&c.dl);
	if ((ec = cli_build_filter(o, &c.filter)) == 0 &&
	    (ec = cli_open(o, o->args[0], &c.src)) == 0 &&
	    (ec = cli_open(o, o->args[1], &c.dst)) == 0) {
		cli_fs_desc(c.src, c.sdesc, sizeof(c.sdesc));
		cli_fs_desc(c.dst, c.ddesc, sizeof(c.ddesc));
		ec = cli_list(o, c.src, c.filter, 0, o->limits.max_depth, &c.sl);
		if (ec == 0)
			ec = chk_list_dst(&c);
		if (ec == 0) {
			chk_pick_hash(&c);
			ec = chk_finish(&c);
		}
	}
	chk_dispose(&c);
	return ec;
}

/* ---- SUM files ---- */

static int
b64_val(int ch)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *p = ch != 0 ? strchr(a, ch) : NULL;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return p != NULL ? (int)(p - a) : -1;
}

/* Base64 (URL or standard alphabet, padding optional) of exactly want bytes. */
static int
b64_decode(const char *s, size_t len, unsigned char *out, size_t want)
{
	size_t n = 0;
	unsigned acc = 0;
	int bits = 0;
	while (len > 0 && s[len - 1] == '=')
		len--;
	for (size_t i = 0; i < len; i++) {
		int v = b64_val((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == want)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n == want ? 0 : -1;
}

/*
 * One SUM line: "DIGEST  path" or "DIGEST *path". 0 ok, -1 malformed. A
 * digest that is not one of the kind (wrong length, not hex) leaves h
 * empty, so the file is reported as different, as rclone does.
 */
static int
sum_line(struct chk *c, char *line, struct duet_hashes *h, const char **path)
{
	enum duet_hash_kind k = (enum duet_hash_kind)c->kind;
	char *sp = strchr(line, ' ');

	if (sp == NULL || sp == line || (sp[1] != ' ' && sp[1] != '*') || sp[2] == '\0')
		return -1;
	*sp = '\0';
	memset(h, 0, sizeof(*h));
	if (!c->o->base64)
		(void)duet_hash_from_hex(h, k, line);
	else if (b64_decode(line, strlen(line), h->v[k], duet_hash_size(k)) == 0)
		h->mask = DUET_HASH_BIT(k);
	if (!c->o->base64 && strlen(line) != 2 * duet_hash_size(k))
		h->mask = 0;
	*path = sp + 2;
	return 0;
}

/* Parses text (NUL-terminated, modified in place) into c->sl. */
static int
sum_parse(struct chk *c, char *text, const char *name)
{
	struct duet_hashes h;
	struct duet_entry e;
	long lineno = 0;
	char *line, *next;
	size_t w = 0;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		size_t len;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++; /* rclone numbers the lines from 0: so do the messages */
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		memset(&e, 0, sizeof(e));
		if (sum_line(c, line, &h, &e.path) != 0) {
			duet_logo(DUET_LOG_NOTICE, name, "improperly formatted checksum line %ld",
			          lineno - 1);
			continue;
		}
		e.pathlen = (uint32_t)strlen(e.path);
		e.size = -1;
		e.mtime = lineno; /* a SUM record has no time: keep its line */
		e.type = DUET_T_FILE;
		e.hashes = &h;
		if (duet_listing_add(&c->sl, &e) != 0)
			return EXIT_FATAL;
	}
	duet_listing_sort(&c->sl);
	for (size_t i = 0; i < c->sl.n; i++) { /* the first line of a path wins */
		struct duet_entry *prev = w > 0 ? &c->sl.v[w - 1] : NULL;
		if (prev == NULL || strcmp(prev->path, c->sl.v[i].path) != 0) {
			c->sl.v[w++] = c->sl.v[i];
			continue;
		}
		duet_logo(DUET_LOG_NOTICE, name, "duplicate file on checksum line %" PRId64,
		          (prev->mtime > c->sl.v[i].mtime ? prev->mtime : c->sl.v[i].mtime) - 1);
		if (c->sl.v[i].mtime < prev->mtime)
			*prev = c->sl.v[i];
	}
	c->sl.n = w;
	return 0;
}

/* Reads the SUM file named by sumspec (a file of any remote). */
static int
sum_load(struct chk *c, const char *sumspec)
{
	struct duet_rstream *s = NULL;
	char *text = NULL;
	size_t len = 0, cap = 0;
	ssize_t n = 1;
	int ec, rc = 0;

	if ((ec = cli_open(c->o, sumspec, &c->sumfs)) != 0)
		return ec;
	if (c->sumfs->file == NULL) {
		fprintf(stderr, "Error: not a SUM file: %s\n", sumspec);
		return EXIT_ERROR;
	}
	if ((rc = c->sumfs->ops->open_read(c->sumfs, c->sumfs->file, 0, &s)) != 0)
		goto out;
	while (n > 0) {
		if (cap - len < 65537) {
			char *t =
			    cap > SUM_MAX_BYTES ? NULL : duet_realloc(text, cap + 65537 + cap / 2);
			if (t == NULL) {
				rc = duet_err_set(DUET_E_NOMEM, "%s: too large or out of memory",
				                  sumspec);
				goto out;
			}
			text = t;
			cap += 65537 + cap / 2;
		}
		if ((n = s->ops->read(s, text + len, cap - len - 1)) < 0)
			rc = (int)n;
		else
			len += (size_t)n;
	}
	if (rc == 0) {
		text[len] = '\0';
		ec = sum_parse(c, text, sumspec);
	}
out:
	if (s != NULL)
		s->ops->close(s);
	duet_free(text);
	if (rc != 0) {
		fprintf(stderr, "Error: %s\n", duet_err_msg());
		return cli_exit_code(rc);
	}
	return ec;
}

/* ---- hashsum, md5sum, sha1sum ---- */

static void
hs_list_kinds(FILE *fp)
{
	fprintf(fp, "Supported hashes are:\n");
	for (int k = 0; k < DUET_HASH_COUNT; k++)
		fprintf(fp, "  * %s\n", duet_hash_name((enum duet_hash_kind)k));
}

/* The digest of kind k in h as text: hex, or URL-safe base64 with padding. */
static void
hs_text(const struct duet_hashes *h, enum duet_hash_kind k, int b64, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = duet_hash_size(k), o = 0;
	const unsigned char *p = h->v[k];

	if (!b64) {
		duet_hash_hex(h, k, out);
		return;
	}
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
		             (i + 2 < n ? p[i + 2] : 0);
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = '\0';
}

struct hs {
	struct duet_fs *fs;
	const struct duet_listing *l;
	struct duet_hashes *h; /* per entry; mask 0 on failure */
	int kind;
	int download;
};

static void
hs_one(void *ctx, size_t i)
{
	struct hs *s = ctx;
	const char *path = s->l->v[i].path;
	if (cli_hash_path(s->fs, path, DUET_HASH_BIT(s->kind), s->download, &s->h[i]) != 0) {
		duet_logo(DUET_LOG_ERROR, path, "Failed to read %s: %s",
		          duet_hash_name((enum duet_hash_kind)s->kind), duet_err_msg());
		s->h[i].mask = 0;
	}
}

/* Prints "DIGEST  path" for every file of the tree, sorted by path. */
static int
hs_tree(struct cli_opts *o, int kind, const char *spec, FILE *out)
{
	struct duet_filter *f = NULL;
	struct duet_listing l;
	struct hs s;
	char text[2 * DUET_HASH_MAXLEN + 1];
	int ec, width = (int)(o->base64 ? 4 * ((duet_hash_size(kind) + 2) / 3)
	                                : 2 * duet_hash_size(kind));
	long errors = 0;
	int can;

	memset(&s, 0, sizeof(s));
	duet_listing_init(&l);
	if ((ec = cli_build_filter(o, &f)) != 0 || (ec = cli_open(o, spec, &s.fs)) != 0 ||
	    (ec = cli_list(o, s.fs, f, 0, o->limits.max_depth, &l)) != 0)
		goto out;
	s.l = &l;
	s.kind = kind;
	s.download = o->download;
	if (l.n > 0 && (s.h = duet_calloc(l.n, sizeof(*s.h))) == NULL) {
		fprintf(stderr, "Error: out of memory\n");
		ec = EXIT_FATAL;
		goto out;
	}
	/* --download hashes the bytes, whatever the backend offers. */
	can = o->download || (s.fs->hashes & DUET_HASH_BIT(kind));
	if (can)
		cli_for_each(l.n, o->x.checkers, hs_one, &s);
	for (size_t i = 0; i < l.n; i++) {
		if (s.h[i].mask & DUET_HASH_BIT(kind))
			hs_text(&s.h[i], (enum duet_hash_kind)kind, o->base64, text);
		else
			snprintf(text, sizeof(text), "%s", can ? "ERROR" : "UNSUPPORTED");
		errors += !(s.h[i].mask & DUET_HASH_BIT(kind));
		fprintf(out, "%*s  %s\n", width, text, l.v[i].path);
	}
	if (errors > 0 || l.errors > 0) {
		fprintf(stderr, "Error: %ld file(s) or directories could not be hashed\n",
		        errors + l.errors);
		ec = EXIT_ERROR;
	}
out:
	duet_free(s.h);
	duet_listing_dispose(&l);
	duet_fs_close(s.fs);
	duet_filter_free(f);
	return ec;
}

/* hashsum KIND [remote], with stdin when remote is absent or "-" (and
 * stdin is not a terminal). */
static int
hs_run(struct cli_opts *o, int kind, const char *spec)
{
	struct duet_hashes h;
	char text[2 * DUET_HASH_MAXLEN + 1];
	FILE *out = stdout;
	int ec = 0, rc;

	if (o->checkfile != NULL) {
		if (spec == NULL) {
			fprintf(stderr, "Error: --checkfile needs a remote:path to check\n");
			return EXIT_USAGE;
		}
		return chk_run_sum(o, kind, o->checkfile, spec, 1);
	}
	if (o->output_file != NULL && (out = fopen(o->output_file, "w")) == NULL) {
		fprintf(stderr, "Error: --output-file %s: %s\n", o->output_file, strerror(errno));
		return EXIT_ERROR;
	}
	if (spec == NULL || (strcmp(spec, "-") == 0 && !isatty(STDIN_FILENO))) {
		if ((rc = duet_hash_fd(STDIN_FILENO, DUET_HASH_BIT(kind), &h)) != 0) {
			fprintf(stderr, "Error: %s\n", duet_err_msg());
			ec = cli_exit_code(rc);
		} else {
			hs_text(&h, (enum duet_hash_kind)kind, o->base64, text);
			fprintf(out, "%s  -\n", text);
		}
	} else {
		ec = hs_tree(o, kind, spec, out);
	}
	if ((fflush(out) != 0 || ferror(out)) && ec == 0) {
		fprintf(stderr, "Error: writing the sums failed\n");
		ec = EXIT_ERROR;
	}
	if (out != stdout)
		fclose(out);
	return ec;
}

int
cmd_hashsum(struct cli_opts *o)
{
	int kind;
	if (o->nargs == 0) {
		hs_list_kinds(stdout);
		return EXIT_OK;
	}
	if ((kind = duet_hash_parse(o->args[0])) < 0) {
		fprintf(stderr, "Error: unknown hash type \"%s\"\n", o->args[0]);
		hs_list_kinds(stderr);
		return EXIT_ERROR;
	}
	return hs_run(o, kind, o->nargs > 1 ? o->args[1] : NULL);
}

int
cmd_md5sum(struct cli_opts *o)
{
	return hs_run(o, DUET_HASH_MD5, o->nargs > 0 ? o->args[0] : NULL);
}

int
cmd_sha1sum(struct cli_opts *o)
{
	return hs_run(o, DUET_HASH_SHA1, o->nargs > 0 ? o->args[0] : NULL);
}
