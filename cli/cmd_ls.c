/*
 * cmd_ls.c: the listing commands ls, lsl, lsd, lsf, lsjson and size, in
 * rclone's output formats byte for byte. Each lists the tree once through
 * cli_list (filters applied, a root that names a file lists that file),
 * puts the entries in the order rclone prints them (level by level, each
 * directory's entries by name) and formats them on stdout. Times are local.
 */
#include "cli.h"
#include "cmds.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"

/* One listing command's state. */
struct ls_run {
	struct cli_opts *o;
	struct duet_fs *fs;          /* owned */
	struct duet_filter *filter;  /* owned */
	struct duet_listing l;       /* owns the entries */
	const struct duet_entry **v; /* l's entries in print order; owned */
	size_t n;
	struct duet_hashes *h;   /* per v[i] when hashes are wanted; owned */
	unsigned hmask;          /* kinds to compute into h */
	atomic_long hash_errors; /* files whose hash failed */
};

/*
 * Lists the tree of spec: the root named a file lists that file; a missing
 * root is exit code 3 (message printed). Directory entries are included
 * when dirs is set; depth as duet_walk_opts.max_depth. Returns 0 or an
 * exit code.
 */
int
cli_list(const struct cli_opts *o, struct duet_fs *fs, const struct duet_filter *f, int dirs,
         int depth, struct duet_listing *out)
{
	struct duet_walk_opts wo;
	struct duet_entry e;
	int rc;

	if (fs->file != NULL) {
		memset(&e, 0, sizeof(e));
		e.path = fs->file;
		e.pathlen = (uint32_t)strlen(fs->file);
		rc = fs->ops->stat(fs, fs->file, &e);
		if (rc == 0 && (f == NULL || !duet_filter_active(f) ||
		                duet_filter_file(f, e.path, e.size, e.mtime)))
			rc = duet_listing_add(out, &e);
	} else {
		cli_walk_opts(o, f, &wo);
		wo.dirs = dirs;
		wo.max_depth = depth;
		rc = duet_walk(fs, "", &wo, out);
		if (rc == 0 && out->root_missing) {
			fprintf(stderr, "Error: directory not found: %s\n", fs->name);
			return EXIT_DIR_NOT_FOUND;
		}
	}
	if (rc == 0)
		return 0;
	fprintf(stderr, "Error: %s\n", duet_err_msg());
	return rc == DUET_E_NOTFOUND ? EXIT_DIR_NOT_FOUND : cli_exit_code(rc);
}

/* rclone's order: shallower first; then segment by segment, where the end
 * of a segment sorts before any byte. */
static int
ls_depth(const char *p)
{
	int d = 0;
	for (; *p != '\0'; p++)
		d += *p == '/';
	return d;
}

static int
ls_order_cmp(const void *a, const void *b)
{
	const char *x = (*(const struct duet_entry *const *)a)->path;
	const char *y = (*(const struct duet_entry *const *)b)->path;
	int dx = ls_depth(x), dy = ls_depth(y);

	if (dx != dy)
		return dx < dy ? -1 : 1;
	for (;; x++, y++) {
		int cx = *x == '/' ? 1 : *x == '\0' ? 0 : (unsigned char)*x + 1;
		int cy = *y == '/' ? 1 : *y == '\0' ? 0 : (unsigned char)*y + 1;
		if (cx != cy)
			return cx < cy ? -1 : 1;
		if (cx == 0)
			return 0;
	}
}

/* Sorts v in the order rclone prints a listing. */
void
cli_order(const struct duet_entry **v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), ls_order_cmp);
}

/* Opens the root, lists it and orders the entries. Exit code or 0. */
static int
ls_begin(struct ls_run *r, struct cli_opts *o, int dirs, int depth)
{
	int ec;

	memset(r, 0, sizeof(*r));
	r->o = o;
	atomic_init(&r->hash_errors, 0);
	duet_listing_init(&r->l);
	if ((ec = cli_build_filter(o, &r->filter)) != 0)
		return ec;
	if ((ec = cli_open(o, o->args[0], &r->fs)) != 0)
		return ec;
	if ((ec = cli_list(o, r->fs, r->filter, dirs, depth, &r->l)) != 0)
		return ec;
	if (r->l.n > 0 && (r->v = duet_calloc(r->l.n, sizeof(*r->v))) == NULL) {
		fprintf(stderr, "Error: out of memory\n");
		return EXIT_FATAL;
	}
	for (size_t i = 0; i < r->l.n; i++)
		r->v[r->n++] = &r->l.v[i];
	cli_order(r->v, r->n);
	return 0;
}

/* Frees r; the exit code: ec, else 1 when a directory or hash could not be
 * read or stdout failed. */
static int
ls_end(struct ls_run *r, int ec)
{
	if (ec == 0 && r->l.errors > 0) {
		fprintf(stderr, "Error: %ld director%s could not be read\n", r->l.errors,
		        r->l.errors == 1 ? "y" : "ies");
		ec = EXIT_ERROR;
	}
	if (ec == 0 && atomic_load(&r->hash_errors) > 0) {
		fprintf(stderr, "Error: %ld file(s) could not be hashed\n",
		        (long)atomic_load(&r->hash_errors));
		ec = EXIT_ERROR;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "Error: writing the listing to stdout failed\n");
		ec = ec ? ec : EXIT_ERROR;
	}
	duet_free(r->h);
	duet_free(r->v);
	duet_listing_dispose(&r->l);
	duet_fs_close(r->fs);
	duet_filter_free(r->filter);
	return ec;
}

/* The --max-depth of lsd, lsf and lsjson: 1 unless -R or --max-depth. */
static int
ls_depth_opt(const struct cli_opts *o)
{
	if (o->limits.max_depth >= 0)
		return o->limits.max_depth;
	return o->recursive ? -1 : 1;
}

static void
ls_split_ns(int64_t ns, time_t *sec, long *frac)
{
	int64_t s = ns / 1000000000, f = ns % 1000000000;
	if (f < 0) {
		f += 1000000000;
		s--;
	}
	*sec = (time_t)s;
	*frac = (long)f;
}

/* "2006-01-02 15:04:05" in local time, with ".000000000" when nanos. */
static void
ls_time(int64_t ns, int nanos, char *out, size_t len)
{
	struct tm tm;
	time_t sec;
	long frac;
	size_t n;

	ls_split_ns(ns, &sec, &frac);
	localtime_r(&sec, &tm);
	n = strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
	if (nanos && n < len)
		snprintf(out + n, len - n, ".%09ld", frac);
}

/* RFC 3339 with nine fraction digits and the local offset ("Z" for 0). */
static void
ls_time_rfc3339(int64_t ns, char *out, size_t len)
{
	char z[8];
	struct tm tm;
	time_t sec;
	long frac;
	size_t n;

	ls_split_ns(ns, &sec, &frac);
	localtime_r(&sec, &tm);
	n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (strftime(z, sizeof(z), "%z", &tm) != 5 || strcmp(z + 1, "0000") == 0)
		snprintf(out + n, len - n, ".%09ldZ", frac);
	else
		snprintf(out + n, len - n, ".%09ld%.3s:%.2s", frac, z, z + 3);
}

/* ---- ls, lsl, lsd ---- */

static int
ls_files(struct cli_opts *o, int with_time)
{
	struct ls_run r;
	char tbuf[64];
	int ec = ls_begin(&r, o, 0, o->limits.max_depth);

	for (size_t i = 0; ec == 0 && i < r.n; i++) {
		const struct duet_entry *e = r.v[i];
		if (e->type != DUET_T_FILE)
			continue;
		if (with_time) {
			ls_time(e->mtime, 1, tbuf, sizeof(tbuf));
			printf("%9" PRId64 " %s %s\n", e->size, tbuf, e->path);
		} else {
			printf("%9" PRId64 " %s\n", e->size, e->path);
		}
	}
	return ls_end(&r, ec);
}

int
cmd_ls(struct cli_opts *o)
{
	return ls_files(o, 0);
}

int
cmd_lsl(struct cli_opts *o)
{
	return ls_files(o, 1);
}

int
cmd_lsd(struct cli_opts *o)
{
	struct ls_run r;
	char tbuf[64];
	int ec = ls_begin(&r, o, 1, ls_depth_opt(o));

	for (size_t i = 0; ec == 0 && i < r.n; i++) {
		const struct duet_entry *e = r.v[i];
		if (e->type != DUET_T_DIR)
			continue;
		ls_time(e->mtime, 0, tbuf, sizeof(tbuf));
		printf("%12d %s %9d %s\n", -1, tbuf, -1, e->path);
	}
	return ls_end(&r, ec);
}

/* ---- MIME types, hashes ---- */

static const struct {
	const char *ext;
	const char *type;
} ls_mime[] = {
    {"7z", "application/x-7z-compressed"},
    {"avi", "video/x-msvideo"},
    {"avif", "image/avif"},
    {"bmp", "image/bmp"},
    {"bz2", "application/x-bzip"},
    {"c", "text/x-csrc; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"deb", "application/vnd.debian.binary-package"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"epub", "application/epub+zip"},
    {"flac", "audio/flac"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"h", "text/x-chdr; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"html", "text/html; charset=utf-8"},
    {"iso", "application/x-cd-image"},
    {"jar", "application/x-java-archive"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"log", "text/x-log; charset=utf-8"},
    {"m4a", "audio/mp4"},
    {"md", "text/markdown; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"mkv", "video/x-matroska"},
    {"mov", "video/quicktime"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"ogg", "audio/ogg"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"py", "text/x-python; charset=utf-8"},
    {"rar", "application/vnd.rar"},
    {"rtf", "application/rtf"},
    {"sh", "application/x-shellscript"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"txt", "text/plain; charset=utf-8"},
    {"wasm", "application/wasm"},
    {"wav", "audio/x-wav"},
    {"webm", "video/webm"},
    {"webp", "image/webp"},
    {"xls", "application/vnd.ms-excel"},
    {"xml", "text/xml; charset=utf-8"},
    {"xz", "application/x-xz"},
    {"yaml", "application/x-yaml"},
    {"yml", "application/x-yaml"},
    {"zip", "application/zip"},
};

/* MIME type from the extension (case-insensitive), as rclone guesses it. */
static const char *
ls_mimetype(const struct duet_entry *e)
{
	const char *base, *dot;
	if (e->type == DUET_T_DIR)
		return "inode/directory";
	base = strrchr(e->path, '/');
	dot = strrchr(base ? base : e->path, '.');
	if (dot != NULL)
		for (size_t i = 0; i < sizeof(ls_mime) / sizeof(ls_mime[0]); i++)
			if (strcasecmp(dot + 1, ls_mime[i].ext) == 0)
				return ls_mime[i].type;
	return "application/octet-stream";
}

static void
ls_hash_one(void *ctx, size_t i)
{
	struct ls_run *r = ctx;
	const struct duet_entry *e = r->v[i];
	if (e->type != DUET_T_FILE)
		return;
	if (cli_hash_path(r->fs, e->path, r->hmask, 0, &r->h[i]) != 0) {
		duet_logo(DUET_LOG_ERROR, e->path, "failed to hash: %s", duet_err_msg());
		r->h[i].mask = 0;
		atomic_fetch_add(&r->hash_errors, 1);
	}
}

/* Computes r->hmask for every file, --checkers at a time. Exit code or 0. */
static int
ls_hash_all(struct ls_run *r)
{
	if (r->hmask == 0 || r->n == 0)
		return 0;
	r->h = duet_calloc(r->n, sizeof(*r->h));
	if (r->h == NULL) {
		fprintf(stderr, "Error: out of memory\n");
		return EXIT_FATAL;
	}
	cli_for_each(r->n, r->o->x.checkers, ls_hash_one, r);
	return 0;
}

/* Parses a hash name given to `flag`; -1 with the message printed. */
static int
ls_hash_kind(const char *name, const char *flag)
{
	int k = duet_hash_parse(name);
	if (k < 0)
		fprintf(stderr,
		        "Error: invalid argument \"%s\" for \"%s\" flag: unknown hash "
		        "type \"%s\" (duet knows md5, sha1, sha256, xxh3, xxh128)\n",
		        name, flag, name);
	return k;
}

/* ---- lsf ---- */

/* Writes one lsf field; CSV quotes it as Go's encoding/csv would. */
static void
lsf_field(const char *s, int csv, char sep)
{
	int quote = 0;
	if (csv && s[0] != '\0')
		quote = strchr(s, sep) != NULL || strpbrk(s, "\"\r\n") != NULL || s[0] == ' ' ||
		        s[0] == '\t' || strcmp(s, "\\.") == 0;
	if (!quote) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

/* The text of format letter c for v[i]: in buf (at least 80 bytes), in
 * pb (the path), or static. NULL when out of memory. */
static const char *
lsf_value(const struct ls_run *r, size_t i, char c, int kind, char *buf, size_t len,
          struct duet_buf *pb)
{
	const struct duet_entry *e = r->v[i];
	const struct cli_opts *o = r->o;

	switch (c) {
	case 'p':
		duet_buf_reset(pb);
		if (duet_buf_printf(pb, "%s%s%s", o->absolute ? "/" : "", e->path,
		                    e->type == DUET_T_DIR && !o->dir_slash_off ? "/" : "") != 0)
			return NULL;
		return pb->p;
	case 's':
		snprintf(buf, len, "%" PRId64, e->size);
		return buf;
	case 't':
		ls_time(e->mtime, 0, buf, len);
		return buf;
	case 'h':
		if (e->type != DUET_T_FILE)
			return "";
		if (!(r->fs->hashes & DUET_HASH_BIT(kind)))
			return "UNSUPPORTED";
		if (!(r->h[i].mask & DUET_HASH_BIT(kind)))
			return "ERROR";
		duet_hash_hex(&r->h[i], (enum duet_hash_kind)kind, buf);
		return buf;
	case 'm':
		return ls_mimetype(e);
	default: /* i, o, T: IDs and tiers, which duet's backends do not have */
		return "";
	}
}

static int
lsf_check_format(const char *fmt)
{
	for (const char *p = fmt; *p != '\0'; p++) {
		if (strchr("psthmioT", *p) != NULL)
			continue;
		if (*p == 'e' || *p == 'M')
			fprintf(stderr,
			        "Error: format character '%c' is not supported by duet "
			        "(no encrypted names or metadata)\n",
			        *p);
		else
			fprintf(stderr, "Error: unknown format character '%c'\n", *p);
		return -1;
	}
	return 0;
}

static int
lsf_print(const struct ls_run *r, const char *fmt, const char *sep, int kind)
{
	const struct cli_opts *o = r->o;
	struct duet_buf pb = DUET_BUF_INIT;
	char buf[2 * DUET_HASH_MAXLEN + 80];
	int ec = 0;

	for (size_t i = 0; i < r->n && ec == 0; i++) {
		const struct duet_entry *e = r->v[i];
		if ((o->dirs_only && e->type != DUET_T_DIR) ||
		    (o->files_only && e->type != DUET_T_FILE))
			continue;
		for (const char *p = fmt; *p != '\0' && ec == 0; p++) {
			const char *v = lsf_value(r, i, *p, kind, buf, sizeof(buf), &pb);
			if (v == NULL) {
				fprintf(stderr, "Error: out of memory\n");
				ec = EXIT_FATAL;
				break;
			}
			if (p != fmt && o->lsf_csv)
				putchar(sep[0]);
			else if (p != fmt)
				fputs(sep, stdout);
			lsf_field(v, o->lsf_csv, sep[0]);
		}
		putchar('\n');
	}
	duet_buf_dispose(&pb);
	return ec;
}

int
cmd_lsf(struct cli_opts *o)
{
	struct ls_run r;
	const char *fmt = o->format ? o->format : "p";
	const char *sep = o->separator ? o->separator : o->lsf_csv ? "," : ";";
	int kind = ls_hash_kind(o->hash_kind ? o->hash_kind : "md5", "--hash"), ec;

	if (kind < 0)
		return EXIT_ERROR;
	if (lsf_check_format(fmt) != 0)
		return EXIT_ERROR;
	if (o->lsf_csv && sep[0] == '\0') {
		fprintf(stderr, "Error: --csv needs a one-character --separator\n");
		return EXIT_USAGE;
	}
	ec = ls_begin(&r, o, !o->files_only, ls_depth_opt(o));
	if (ec == 0 && strchr(fmt, 'h') != NULL && (r.fs->hashes & DUET_HASH_BIT(kind)))
		r.hmask = DUET_HASH_BIT(kind);
	if (ec == 0)
		ec = ls_hash_all(&r);
	if (ec == 0)
		ec = lsf_print(&r, fmt, sep, kind);
	return ls_end(&r, ec);
}

/* ---- lsjson ---- */

/* Length of the valid UTF-8 sequence at s (Go's rules), 0 if invalid. */
static int
ls_utf8_len(const unsigned char *s)
{
	unsigned c = s[0], min, cp;
	int n;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string as Go's encoding/json writes it (HTML-safe escapes,
 * invalid UTF-8 as U+FFFD). */
static void
ls_json_str(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	putchar('"');
	while (*s != '\0') {
		int n = ls_utf8_len(s);
		if (n == 0) {
			fputs("\\ufffd", stdout);
			s++;
			continue;
		}
		if (n == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))
			printf("\\u202%c", s[2] == 0xa8 ? '8' : '9');
		else if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else if (*s == '\r')
			fputs("\\r", stdout);
		else if (*s == '\t')
			fputs("\\t", stdout);
		else if (*s < 0x20 || *s == '<' || *s == '>' || *s == '&')
			printf("\\u%04x", *s);
		else
			fwrite(s, 1, (size_t)n, stdout);
		s += n;
	}
	putchar('"');
}

/* Writes one lsjson item; `pretty` is the --stat form (tab-indented). */
static void
lsjson_item(const struct ls_run *r, size_t i, const struct duet_entry *e, int pretty)
{
	const struct cli_opts *o = r->o;
	const char *nl = pretty ? "\n\t" : "", *col = pretty ? ": " : ":";
	const char *base = strrchr(e->path, '/');
	char tbuf[64], hex[2 * DUET_HASH_MAXLEN + 1];
	int first = 1;

	printf("{%s\"Path\"%s", nl, col);
	ls_json_str(e->path);
	printf(",%s\"Name\"%s", nl, col);
	ls_json_str(base ? base + 1 : e->path);
	printf(",%s\"Size\"%s%" PRId64, nl, col, e->size);
	if (!o->no_mimetype)
		printf(",%s\"MimeType\"%s\"%s\"", nl, col, ls_mimetype(e));
	tbuf[0] = '\0';
	if (!o->no_modtime)
		ls_time_rfc3339(e->mtime, tbuf, sizeof(tbuf));
	printf(",%s\"ModTime\"%s\"%s\"", nl, col, tbuf);
	printf(",%s\"IsDir\"%s%s", nl, col, e->type == DUET_T_DIR ? "true" : "false");
	if (r->hmask != 0 && e->type == DUET_T_FILE && r->h != NULL) {
		printf(",%s\"Hashes\"%s{", nl, col);
		/* Go sorts map keys: md5, sha1, sha256, xxh128, xxh3. */
		static const int order[] = {DUET_HASH_MD5, DUET_HASH_SHA1, DUET_HASH_SHA256,
		                            DUET_HASH_XXH128, DUET_HASH_XXH3};
		for (size_t k = 0; k < 5; k++) {
			if (!(r->hmask & DUET_HASH_BIT(order[k])))
				continue;
			duet_hash_hex(&r->h[i], (enum duet_hash_kind)order[k], hex);
			printf("%s%s\"%s\"%s\"%s\"", first ? "" : ",", pretty ? "\n\t\t" : "",
			       duet_hash_name((enum duet_hash_kind)order[k]), col,
			       hex[0] ? hex : "ERROR");
			first = 0;
		}
		printf("%s}", pretty ? "\n\t" : "");
	}
	printf("%s}", pretty ? "\n" : "");
}

/* --stat: the item the root names, pretty-printed. */
static int
lsjson_stat(struct ls_run *r)
{
	struct duet_entry e;
	int rc;

	memset(&e, 0, sizeof(e));
	e.path = r->fs->file ? r->fs->file : "";
	rc = r->fs->ops->stat(r->fs, e.path, &e);
	if (rc != 0) {
		fprintf(stderr, "Error: %s\n", duet_err_msg());
		return rc == DUET_E_NOTFOUND ? EXIT_DIR_NOT_FOUND : cli_exit_code(rc);
	}
	e.pathlen = (uint32_t)strlen(e.path);
	if ((rc = duet_listing_add(&r->l, &e)) != 0 ||
	    (r->v = duet_calloc(1, sizeof(*r->v))) == NULL) {
		fprintf(stderr, "Error: out of memory\n");
		return EXIT_FATAL;
	}
	r->v[0] = &r->l.v[0];
	r->n = 1;
	if ((rc = ls_hash_all(r)) != 0)
		return rc;
	lsjson_item(r, 0, &r->l.v[0], 1);
	putchar('\n');
	return 0;
}

static int
lsjson_stat_open(struct ls_run *r, struct cli_opts *o)
{
	int ec;
	memset(r, 0, sizeof(*r));
	r->o = o;
	atomic_init(&r->hash_errors, 0);
	duet_listing_init(&r->l);
	return (ec = cli_open(o, o->args[0], &r->fs)) != 0 ? ec : 0;
}

int
cmd_lsjson(struct cli_opts *o)
{
	struct ls_run r;
	unsigned want = 0;
	int ec, k, first = 1;

	if (o->hash_kind != NULL) {
		if ((k = ls_hash_kind(o->hash_kind, "--hash-type")) < 0)
			return EXIT_ERROR;
		want = DUET_HASH_BIT(k);
	} else if (o->hash_flag) {
		want = DUET_HASH_ALL;
	}
	ec = o->lsjson_stat ? lsjson_stat_open(&r, o)
	                    : ls_begin(&r, o, !o->files_only, ls_depth_opt(o));
	if (ec == 0)
		r.hmask = want & r.fs->hashes;
	if (ec == 0 && o->lsjson_stat)
		return ls_end(&r, lsjson_stat(&r));
	if (ec == 0)
		ec = ls_hash_all(&r);
	if (ec == 0) {
		printf("[\n");
		for (size_t i = 0; i < r.n; i++) {
			const struct duet_entry *e = r.v[i];
			if ((o->dirs_only && e->type != DUET_T_DIR) ||
			    (o->files_only && e->type != DUET_T_FILE))
				continue;
			if (!first)
				printf(",\n");
			lsjson_item(&r, i, e, 0);
			first = 0;
		}
		printf("%s]\n", first ? "" : "\n");
	}
	return ls_end(&r, ec);
}

/* ---- size ---- */

/* rclone's human form: "1.234 KiB" (bytes) or "1.500k" (counts). */
static void
ls_suffix(int64_t x, int bytes, char *out, size_t len)
{
	static const char *const bin[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
	static const char *const dec[] = {"k", "M", "G", "T", "P", "E"};
	int64_t base = bytes ? 1024 : 1000, unit = 1;
	int u = -1;

	while (u < 5 && x / unit >= base) {
		unit *= base;
		u++;
	}
	if (u < 0)
		snprintf(out, len, "%" PRId64 "%s", x, bytes ? " B" : "");
	else if (x % unit == 0)
		snprintf(out, len, "%" PRId64 "%s%s%s", x / unit, bytes ? " " : "",
		         bytes ? bin[u] : dec[u], bytes ? "B" : "");
	else
		snprintf(out, len, "%.3f%s%s%s", (double)x / (double)unit, bytes ? " " : "",
		         bytes ? bin[u] : dec[u], bytes ? "B" : "");
}

int
cmd_size(struct cli_opts *o)
{
	struct ls_run r;
	int64_t count = 0, bytes = 0, sizeless = 0;
	char a[64], b[64];
	int ec = ls_begin(&r, o, 0, o->limits.max_depth);

	for (size_t i = 0; ec == 0 && i < r.n; i++) {
		if (r.v[i]->type != DUET_T_FILE)
			continue;
		count++;
		if (r.v[i]->size >= 0)
			bytes += r.v[i]->size;
		else
			sizeless++;
	}
	if (ec == 0 && o->json) {
		printf("{\"count\":%" PRId64 ",\"bytes\":%" PRId64 ",\"sizeless\":%" PRId64 "}\n",
		       count, bytes, sizeless);
	} else if (ec == 0) {
		ls_suffix(count, 0, a, sizeof(a));
		ls_suffix(bytes, 1, b, sizeof(b));
		printf("Total objects: %s (%" PRId64 ")\nTotal size: %s (%" PRId64 " Byte)\n", a,
		       count, b, bytes);
		if (sizeless > 0) {
			ls_suffix(sizeless, 0, a, sizeof(a));
			printf("Total objects with unknown size: %s (%" PRId64 ")\n", a, sizeless);
		}
	}
	return ls_end(&r, ec);
}
