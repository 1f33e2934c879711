/*
 * filter.c: rclone's filter rules. Rules live in six groups processed in
 * rclone's fixed order whatever the command-line order: --include,
 * --include-from, --exclude, --exclude-from, --filter, --filter-from; an
 * --include of either kind appends a rule excluding everything. Each
 * group keeps file rules (matched against "path") and directory rules
 * (matched against "path/", including those rclone derives from include
 * patterns). A "!" wipes every group processed before it and the rules
 * before it in its own group. Everything is compiled when added; queries
 * only read.
 */
#include "filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "buf.h"
#include "error.h"
#include "glob.h"
#include "log.h"

enum {
	FG_INCLUDE,
	FG_INCLUDE_FROM,
	FG_EXCLUDE,
	FG_EXCLUDE_FROM,
	FG_FILTER,
	FG_FILTER_FROM,
	FG_N
};

struct flt_rule {
	const struct duet_glob *g; /* borrowed from duet_filter.globs */
	int include;               /* 1: "+", 0: "-" */
};

struct flt_list {
	struct flt_rule *v; /* owned */
	size_t n, cap;
	size_t start;       /* rules before it were wiped by a "!" */
};

struct flt_group {
	struct flt_list file; /* matched against "path" */
	struct flt_list dir;  /* matched against "path/" */
};

/* A directory of the --files-from list: a prefix of one of its paths. */
struct flt_dir {
	const char *p; /* borrowed from files[] */
	size_t len;
};

struct duet_filter {
	struct flt_group grp[FG_N];
	int live;                  /* groups before it were wiped by a "!" */
	int implied;               /* an --include given: exclude the rest */
	struct duet_glob *all;     /* matches all, for the implied rule; owned */
	struct duet_glob **globs;  /* every compiled rule; owned */
	size_t nglobs, capglobs;
	int icase;                 /* --ignore-case for rules added from now */
	int warned;                /* include+exclude notice given */
	struct duet_filter_limits lim;
	int64_t mtime_from, mtime_to; /* ns: --max-age, --min-age bounds */
	char **ifp;                /* --exclude-if-present names, NULL-ended */
	size_t nifp;
	int files_from;            /* --files-from given (even if empty) */
	const char **files;        /* sorted unique, NULL-ended; arena strings */
	size_t nfiles, capfiles;
	struct flt_dir *dirs;      /* parents of files, sorted */
	size_t ndirs;
	struct duet_arena arena;   /* --files-from strings */
};

static const char *const flt_none[] = {NULL};

/* printf arguments for "%.*s%s": a pattern cut short for messages. */
#define FLT_SHOW(s) (strlen(s) > 200 ? 200 : (int)strlen(s)), (s), (strlen(s) > 200 ? "..." : "")

int
duet_filter_new(struct duet_filter **out)
{
	struct duet_filter *f = duet_calloc(1, sizeof(*f));
	*out = NULL;
	if (f == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory creating a filter");
	duet_arena_init(&f->arena);
	f->lim = (struct duet_filter_limits){-1, -1, -1, -1, -1, 0};
	*out = f;
	return 0;
}

void
duet_filter_free(struct duet_filter *f)
{
	if (f == NULL)
		return;
	for (int g = 0; g < FG_N; g++) {
		duet_free(f->grp[g].file.v);
		duet_free(f->grp[g].dir.v);
	}
	for (size_t i = 0; i < f->nglobs; i++)
		duet_glob_free(f->globs[i]);
	duet_free(f->globs);
	duet_glob_free(f->all);
	for (size_t i = 0; i < f->nifp; i++)
		duet_free(f->ifp[i]);
	duet_free(f->ifp);
	duet_free(f->files);
	duet_free(f->dirs);
	duet_arena_dispose(&f->arena);
	duet_free(f);
}

void
duet_filter_set_ignore_case(struct duet_filter *f, int on)
{
	f->icase = on != 0;
}

/* ---- rules ---- */

static size_t
flt_live_rules(const struct duet_filter *f)
{
	size_t n = 0;
	for (int g = f->live; g < FG_N; g++)
		n += f->grp[g].file.n - f->grp[g].file.start +
		    f->grp[g].dir.n - f->grp[g].dir.start;
	return n;
}

static int
flt_push(struct flt_list *l, const struct duet_glob *g, int include)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct flt_rule *v = duet_reallocarray(l->v, ncap, sizeof(*v));
		if (v == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory adding a filter rule");
		l->v = v;
		l->cap = ncap;
	}
	l->v[l->n].g = g;
	l->v[l->n].include = include;
	l->n++;
	return 0;
}

/* Compiles glob (written by the user as pat) and keeps it in f->globs. */
static int
flt_compile(struct duet_filter *f, const char *glob, const char *pat, const char *origin,
    struct duet_glob **out)
{
	char why[160];
	int rc;

	if (f->nglobs == f->capglobs) {
		size_t ncap = f->capglobs ? f->capglobs * 2 : 16;
		struct duet_glob **v = duet_reallocarray(f->globs, ncap, sizeof(*v));
		if (v == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory adding a filter rule");
		f->globs = v;
		f->capglobs = ncap;
	}
	rc = duet_glob_compile(glob, f->icase ? DUET_GLOB_ICASE : 0, out, why, sizeof(why));
	if (rc == DUET_E_INVAL)
		return duet_err_set(DUET_E_USAGE, "%s: bad filter pattern \"%.*s%s\": %s", origin,
		    FLT_SHOW(pat), why);
	if (rc == 0)
		f->globs[f->nglobs++] = *out;
	return rc;
}

/* rclone cannot split patterns with {{regexp}}, nested braces, or a '/'
 * or "**" inside braces into directories. */
static int
flt_too_hard(const char *s)
{
	if (strstr(s, "{{") != NULL || strstr(s, "}}") != NULL)
		return 1;
	for (const char *p = s; (p = strchr(p, '{')) != NULL; p++) {
		const char *q = p + 1 + strcspn(p + 1, "{}");
		if (*q == '{')
			return 1;
		for (const char *c = p + 1; *q == '}' && c < q; c++)
			if (*c == '/' || (c[0] == '*' && c[1] == '*'))
				return 1;
	}
	return 0;
}

static int
flt_dir_rule(struct duet_filter *f, int grp, int include, const char *dglob, const char *pat,
    const char *origin)
{
	struct duet_glob *g;
	int rc;
	if (strcmp(dglob, "/") == 0) /* the root is always walked */
		return 0;
	rc = flt_compile(f, dglob, pat, origin, &g);
	return rc == 0 ? flt_push(&f->grp[grp].dir, g, include) : rc;
}

/* Last index of "**" (or of '/' when two is 0) in s[0..n), or -1. */
static long
flt_last(const char *s, size_t n, int two)
{
	for (size_t i = n; i-- > 0;)
		if (two ? (i + 1 < n && s[i] == '*' && s[i + 1] == '*') : s[i] == '/')
			return (long)i;
	return -1;
}

/*
 * The directory rules rclone derives from a file pattern: cutting it at
 * each last '/' or "**" in turn gives the directories the pattern can
 * match below ("/a/b/x*.jpg" gives "/a/b/" and "/a/"), or "everything"
 * when it cannot tell.
 */
static int
flt_dir_globs(struct duet_filter *f, int grp, int include, const char *glob, const char *pat,
    const char *origin)
{
	struct duet_buf cur = DUET_BUF_INIT, nb = DUET_BUF_INIT, last = DUET_BUF_INIT;
	int rc = 0, emitted = 0;
	size_t n;

	if (flt_too_hard(glob))
		return flt_dir_rule(f, grp, include, "/**", pat, origin);
	for (const char *p = glob; *p != '\0' && rc == 0; p++)
		if (!(*p == '/' && cur.len > 0 && cur.p[cur.len - 1] == '/'))
			rc = duet_buf_putc(&cur, *p);
	for (n = cur.len; rc == 0;) {
		long i = flt_last(cur.p, n, 0), j = flt_last(cur.p, n, 1);
		int dstar = j > i;
		if (dstar)
			i = j;
		if (i < 0) {
			if (!emitted)
				rc = flt_dir_rule(f, grp, include, "/**", pat, origin);
			break;
		}
		n = (size_t)i;
		duet_buf_reset(&nb);
		if (n > 0)
			rc = duet_buf_append(&nb, cur.p, n);
		if (rc == 0)
			rc = duet_buf_puts(&nb, dstar ? "**/" : "/");
		if (rc != 0 || (emitted && strcmp(nb.p, last.p) == 0))
			continue;
		emitted = 1;
		rc = flt_dir_rule(f, grp, include, nb.p, pat, origin);
		duet_buf_reset(&last);
		if (rc == 0)
			rc = duet_buf_puts(&last, nb.p);
	}
	if (rc == DUET_E_INVAL) /* from duet_buf: a pattern past its cap */
		rc = duet_err_set(DUET_E_NOMEM, "%s: filter pattern too long", origin);
	duet_buf_dispose(&cur);
	duet_buf_dispose(&nb);
	duet_buf_dispose(&last);
	return rc;
}

/* rclone's Filter.Add: one include or exclude pattern into group grp. */
static int
flt_add_glob(struct duet_filter *f, int grp, int include, const char *pat, const char *origin)
{
	size_t len = strlen(pat);
	int is_dir = len > 0 && pat[len - 1] == '/', is_file = !is_dir, rc = 0;
	char *tmp = NULL;
	const char *glob = pat;
	struct duet_glob *g;

	if (is_dir && !include) { /* excluding "d/" excludes "d/" + "**" */
		tmp = duet_malloc(len + 3);
		if (tmp == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory adding a filter rule");
		memcpy(tmp, pat, len);
		memcpy(tmp + len, "**", 3);
		glob = tmp;
	}
	if (strstr(glob, "**") != NULL)
		is_dir = is_file = 1;
	rc = flt_compile(f, glob, pat, origin, &g);
	if (rc == 0 && is_file) {
		rc = flt_push(&f->grp[grp].file, g, include);
		if (rc == 0 && (include || strcmp(glob, "*") == 0))
			rc = flt_dir_globs(f, grp, include, glob, pat, origin);
	}
	if (rc == 0 && is_dir)
		rc = flt_push(&f->grp[grp].dir, g, include);
	duet_free(tmp);
	return rc;
}

/* "!": forget everything processed before this point. */
static void
flt_clear(struct duet_filter *f, int grp)
{
	if (grp > f->live)
		f->live = grp;
	f->grp[grp].file.start = f->grp[grp].file.n;
	f->grp[grp].dir.start = f->grp[grp].dir.n;
}

static int
flt_files_from_conflict(void)
{
	return duet_err_set(DUET_E_USAGE, "--files-from overrides all other filters: use it "
	    "alone or with --files-from-raw");
}

/* A "+ PATTERN", "- PATTERN" or "!" line of --filter / --filter-from. */
static int
flt_add_rule(struct duet_filter *f, int grp, const char *rule, const char *origin)
{
	if (strcmp(rule, "!") == 0) {
		flt_clear(f, grp);
		return 0;
	}
	if (f->files_from)
		return flt_files_from_conflict();
	if ((rule[0] == '+' || rule[0] == '-') && rule[1] == ' ')
		return flt_add_glob(f, grp, rule[0] == '+', rule + 2, origin);
	return duet_err_set(DUET_E_USAGE, "%s: malformed filter rule \"%.*s%s\" (want "
	    "\"+ PATTERN\", \"- PATTERN\" or \"!\")", origin, FLT_SHOW(rule));
}

/* Notes the implied exclude of includes, and rclone's mixing warning. */
static int
flt_kind_seen(struct duet_filter *f, enum duet_filter_kind kind)
{
	char why[64];
	int rc = 0;

	if (kind == DUET_FILTER_INCLUDE && f->all == NULL) {
		rc = duet_glob_compile("/**", 0, &f->all, why, sizeof(why));
		if (rc != 0)
			return rc;
	}
	if (kind == DUET_FILTER_INCLUDE)
		f->implied = 1;
	if (!f->warned && f->implied && (f->grp[FG_EXCLUDE].file.n > 0 ||
	    f->grp[FG_EXCLUDE].dir.n > 0 || f->grp[FG_EXCLUDE_FROM].file.n > 0 ||
	    f->grp[FG_EXCLUDE_FROM].dir.n > 0)) {
		f->warned = 1;
		duet_log(DUET_LOG_NOTICE, "using --filter is recommended instead of both --include "
		    "and --exclude: includes are always applied first");
	}
	return rc;
}

int
duet_filter_add(struct duet_filter *f, enum duet_filter_kind kind, const char *pattern,
    const char *origin)
{
	int rc;
	switch (kind) {
	case DUET_FILTER_INCLUDE:
	case DUET_FILTER_EXCLUDE:
		if (f->files_from)
			return flt_files_from_conflict();
		rc = flt_add_glob(f, kind == DUET_FILTER_INCLUDE ? FG_INCLUDE : FG_EXCLUDE,
		    kind == DUET_FILTER_INCLUDE, pattern, origin ? origin
		    : kind == DUET_FILTER_INCLUDE ? "--include" : "--exclude");
		return rc == 0 ? flt_kind_seen(f, kind) : rc;
	case DUET_FILTER_RULE:
		return flt_add_rule(f, FG_FILTER, pattern, origin ? origin : "--filter");
	}
	return duet_err_set(DUET_E_INVAL, "bad filter kind %d", (int)kind);
}

/* ---- reading files ---- */

/* Length of a Unicode space (Go's unicode.IsSpace) at s, or 0. */
static size_t
flt_space(const unsigned char *s, size_t n)
{
	if (n >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
		return 1;
	if (n >= 2 && s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0))
		return 2;
	if (n < 3)
		return 0;
	if ((s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80) ||
	    (s[0] == 0xE2 && s[1] == 0x80 && ((s[2] >= 0x80 && s[2] <= 0x8A) || s[2] == 0xA8 ||
	    s[2] == 0xA9 || s[2] == 0xAF)) || (s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F) ||
	    (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80))
		return 3;
	return 0;
}

/* Go's strings.TrimSpace, in place. */
static void
flt_trim(char **s, size_t *n)
{
	const unsigned char *p = (const unsigned char *)*s;
	size_t k;
	while (*n > 0 && (k = flt_space(p, *n)) > 0)
		p += k, *n -= k;
	for (;;) {
		for (k = 1; k <= 3 && k <= *n; k++)
			if (flt_space(p + *n - k, k) == k)
				break;
		if (k > 3 || k > *n)
			break;
		*n -= k;
	}
	*s = (char *)p;
	(*s)[*n] = '\0';
}

struct flt_reader {
	struct duet_filter *f;
	const char *path;
	int sep;      /* '\n' or '\0' */
	int raw;      /* 1: lines as they are (no trimming, no comments) */
	int (*fn)(struct flt_reader *r, char *line, size_t len, const char *where);
	int grp;      /* for rule files */
	int include;  /* for --include-from / --exclude-from */
	unsigned long lineno;
};

static int
flt_line(struct flt_reader *r, char *line, size_t len)
{
	char where[512];

	r->lineno++;
	if (r->sep == '\n' && len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	if (!r->raw) {
		flt_trim(&line, &len);
		if (len == 0 || line[0] == '#' || line[0] == ';')
			return 0;
	}
	snprintf(where, sizeof(where), "%s:%lu", r->path, r->lineno);
	if (strlen(line) != len)
		return duet_err_set(DUET_E_USAGE, "%s: NUL byte in line", where);
	return r->fn(r, line, len, where);
}

/* Calls r->fn for each line (record) of r->path; "-" is standard input. */
static int
flt_read(struct flt_reader *r)
{
	struct duet_buf b = DUET_BUF_INIT;
	char chunk[16384];
	size_t got, done = 0;
	int rc = 0, is_stdin = strcmp(r->path, "-") == 0;
	FILE *fp = is_stdin ? stdin : fopen(r->path, "rb");

	if (fp == NULL)
		return duet_err_errno(errno, "cannot read %s", r->path);
	while (rc == 0 && (got = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		char *e;
		if (duet_buf_append(&b, chunk, got) != 0)
			rc = duet_err_set(DUET_E_NOMEM, "out of memory reading %s", r->path);
		while (rc == 0 && (e = memchr(b.p + done, r->sep, b.len - done)) != NULL) {
			rc = flt_line(r, b.p + done, (size_t)(e - (b.p + done)));
			done = (size_t)(e - b.p) + 1;
		}
		if (rc == 0 && done > 0) {
			memmove(b.p, b.p + done, b.len - done);
			b.len -= done;
			done = 0;
		}
	}
	if (rc == 0 && ferror(fp))
		rc = duet_err_set(DUET_E_IO, "error reading %s", r->path);
	if (rc == 0 && b.len > 0) {
		if (duet_buf_putc(&b, '\0') != 0)
			rc = duet_err_set(DUET_E_NOMEM, "out of memory reading %s", r->path);
		else
			rc = flt_line(r, b.p, b.len - 1);
	}
	if (!is_stdin)
		fclose(fp);
	duet_buf_dispose(&b);
	return rc;
}

static int
flt_rule_line(struct flt_reader *r, char *line, size_t len, const char *where)
{
	(void)len;
	if (r->grp == FG_FILTER_FROM)
		return flt_add_rule(r->f, r->grp, line, where);
	return flt_add_glob(r->f, r->grp, r->include, line, where);
}

int
duet_filter_add_file(struct duet_filter *f, enum duet_filter_kind kind, const char *path)
{
	struct flt_reader r = {f, path, '\n', 0, flt_rule_line, 0, 0, 0};
	int rc;

	if (f->files_from)
		return flt_files_from_conflict();
	switch (kind) {
	case DUET_FILTER_INCLUDE:
		r.grp = FG_INCLUDE_FROM, r.include = 1;
		break;
	case DUET_FILTER_EXCLUDE:
		r.grp = FG_EXCLUDE_FROM;
		break;
	case DUET_FILTER_RULE:
		r.grp = FG_FILTER_FROM;
		break;
	default:
		return duet_err_set(DUET_E_INVAL, "bad filter kind %d", (int)kind);
	}
	rc = flt_read(&r);
	return rc == 0 && kind != DUET_FILTER_RULE ? flt_kind_seen(f, kind) : rc;
}

/* ---- --files-from ---- */

static int
flt_file_line(struct flt_reader *r, char *line, size_t len, const char *where)
{
	struct duet_filter *f = r->f;
	char *s;

	(void)where;
	while (len > 0 && line[len - 1] == '/')
		len--;
	while (len > 0 && line[0] == '/')
		line++, len--;
	if (len == 0)
		return 0;
	if (f->nfiles + 1 >= f->capfiles) {
		size_t ncap = f->capfiles < 32 ? 64 : f->capfiles * 2;
		const char **v = duet_reallocarray(f->files, ncap, sizeof(*v));
		if (v == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory reading %s", r->path);
		f->files = v;
		f->capfiles = ncap;
	}
	s = duet_arena_strndup(&f->arena, line, len);
	if (s == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory reading %s", r->path);
	f->files[f->nfiles++] = s;
	f->files[f->nfiles] = NULL;
	return 0;
}

static int
flt_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
flt_cmp_dir(const void *a, const void *b)
{
	const struct flt_dir *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* Sorts and dedups the files, then lists each parent directory once
 * (paths sharing a directory are adjacent once sorted). */
static int
flt_files_index(struct duet_filter *f)
{
	size_t n = 0, nd = 0;
	struct flt_dir *d;

	if (f->nfiles == 0)
		return 0;
	qsort(f->files, f->nfiles, sizeof(*f->files), flt_cmp_str);
	for (size_t i = 0; i < f->nfiles; i++)
		if (n == 0 || strcmp(f->files[n - 1], f->files[i]) != 0)
			f->files[n++] = f->files[i];
	f->nfiles = n;
	f->files[n] = NULL;
	for (size_t i = 0; i < n; i++)
		for (const char *s = f->files[i]; (s = strchr(s, '/')) != NULL; s++)
			nd++;
	d = duet_reallocarray(NULL, nd + 1, sizeof(*d));
	if (d == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory indexing --files-from");
	nd = 0;
	for (size_t i = 0; i < n; i++) {
		const char *p = f->files[i], *prev = i > 0 ? f->files[i - 1] : NULL;
		for (const char *s = p; (s = strchr(s, '/')) != NULL; s++) {
			size_t len = (size_t)(s - p);
			if (prev == NULL || strncmp(prev, p, len) != 0 || prev[len] != '/')
				d[nd++] = (struct flt_dir){p, len};
		}
	}
	qsort(d, nd, sizeof(*d), flt_cmp_dir);
	duet_free(f->dirs);
	f->dirs = d;
	f->ndirs = nd;
	return 0;
}

static int
flt_others_active(const struct duet_filter *f)
{
	return flt_live_rules(f) > 0 || f->implied || f->nifp > 0 || f->lim.min_size >= 0 ||
	    f->lim.max_size >= 0 || f->lim.min_age >= 0 || f->lim.max_age >= 0;
}

int
duet_filter_add_files_from(struct duet_filter *f, const char *path, int raw)
{
	struct flt_reader r = {f, path, raw == 2 ? '\0' : '\n', raw != 0, flt_file_line, 0, 0, 0};
	int rc;

	if (flt_others_active(f))
		return flt_files_from_conflict();
	if (f->files == NULL) {
		f->files = duet_calloc(1, sizeof(*f->files));
		if (f->files == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory reading %s", path);
		f->capfiles = 1;
	}
	f->files_from = 1;
	rc = flt_read(&r);
	return rc == 0 ? flt_files_index(f) : rc;
}

/* ---- other filters ---- */

int
duet_filter_add_exclude_if_present(struct duet_filter *f, const char *name)
{
	const char *slash = strchr(name, '/');
	char **v;

	if (f->files_from)
		return flt_files_from_conflict();
	if (name[0] == '\0' || name[0] == '/' || (slash != NULL && slash[1] != '\0'))
		return duet_err_set(DUET_E_USAGE, "--exclude-if-present \"%s\": want a file name "
		    "(or a directory name ending in '/')", name);
	v = duet_reallocarray(f->ifp, f->nifp + 2, sizeof(*v));
	if (v == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory adding --exclude-if-present");
	f->ifp = v;
	v[f->nifp] = duet_strdup(name);
	if (v[f->nifp] == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory adding --exclude-if-present");
	v[++f->nifp] = NULL;
	return 0;
}

/* a - b, saturating at INT64_MIN. */
static int64_t
flt_sub(int64_t a, int64_t b)
{
	return b > 0 && a < INT64_MIN + b ? INT64_MIN : a - b;
}

int
duet_filter_set_limits(struct duet_filter *f, const struct duet_filter_limits *l)
{
	struct duet_filter_limits n = *l;

	n.min_size = n.min_size < 0 ? -1 : n.min_size;
	n.max_size = n.max_size < 0 ? -1 : n.max_size;
	n.min_age = n.min_age < 0 ? -1 : n.min_age;
	n.max_age = n.max_age < 0 ? -1 : n.max_age;
	n.max_depth = n.max_depth < 0 ? -1 : n.max_depth;
	if (n.min_age >= 0 && n.max_age >= 0 && n.min_age > n.max_age)
		return duet_err_set(DUET_E_USAGE, "--min-age can't be larger than --max-age");
	if (f->files_from && (n.min_size >= 0 || n.max_size >= 0 || n.min_age >= 0 ||
	    n.max_age >= 0))
		return flt_files_from_conflict();
	f->lim = n;
	f->mtime_from = flt_sub(n.now, n.max_age);
	f->mtime_to = flt_sub(n.now, n.min_age);
	return 0;
}

/* ---- queries ---- */

int
duet_filter_active(const struct duet_filter *f)
{
	return f->files_from || f->lim.max_depth >= 0 || flt_others_active(f);
}

/* First matching rule decides; no match includes. */
static int
flt_match(const struct duet_filter *f, int dir, const char *p, size_t len)
{
	for (int g = f->live; g < FG_N; g++) {
		const struct flt_list *l = dir ? &f->grp[g].dir : &f->grp[g].file;
		for (size_t i = l->start; i < l->n; i++)
			if (duet_glob_match(l->v[i].g, p, len, dir))
				return l->v[i].include;
	}
	return !(f->implied && duet_glob_match(f->all, p, len, dir));
}

/* --max-depth: components of p at most the limit (0 acts as 1, as in
 * rclone's sync, which always lists the top level). */
static int
flt_depth_ok(const struct duet_filter *f, const char *p, size_t len)
{
	size_t depth = 1, max = f->lim.max_depth > 0 ? (size_t)f->lim.max_depth : 1;
	if (f->lim.max_depth < 0)
		return 1;
	for (size_t i = 0; i < len && depth <= max; i++)
		depth += p[i] == '/';
	return depth <= max;
}

int
duet_filter_file(const struct duet_filter *f, const char *path, int64_t size, int64_t mtime)
{
	size_t len = strlen(path);

	if (!flt_depth_ok(f, path, len))
		return 0;
	if (f->files_from)
		return f->nfiles > 0 && bsearch(&path, f->files, f->nfiles, sizeof(*f->files),
		    flt_cmp_str) != NULL;
	if (f->lim.max_age >= 0 && mtime < f->mtime_from)
		return 0;
	if (f->lim.min_age >= 0 && mtime > f->mtime_to)
		return 0;
	if (f->lim.min_size >= 0 && size < f->lim.min_size)
		return 0;
	if (f->lim.max_size >= 0 && size > f->lim.max_size)
		return 0;
	return flt_match(f, 0, path, len);
}

int
duet_filter_dir(const struct duet_filter *f, const char *path)
{
	struct flt_dir key;
	size_t len;

	while (*path == '/')
		path++;
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	if (len == 0)
		return 1;
	if (!flt_depth_ok(f, path, len))
		return 0;
	if (f->files_from) {
		key = (struct flt_dir){path, len};
		return f->ndirs > 0 &&
		    bsearch(&key, f->dirs, f->ndirs, sizeof(*f->dirs), flt_cmp_dir) != NULL;
	}
	return flt_match(f, 1, path, len);
}

const char *const *
duet_filter_if_present(const struct duet_filter *f)
{
	return f->nifp > 0 ? (const char *const *)f->ifp : flt_none;
}

const char *const *
duet_filter_files_from(const struct duet_filter *f)
{
	return f->files_from ? f->files : NULL;
}
