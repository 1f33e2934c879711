/*
 * cmd_misc.c: the small commands: mkdir, rmdir, rmdirs, delete, deletefile,
 * purge, touch and cat (hashsum lives with check in cmd_check.c). Deletes of files
 * go through duet_xfer_delete_list, so --dry-run, -i and --max-delete act
 * as in sync. Also the helpers the listing and check commands share:
 * a parallel loop, hashing one path, and rclone's name for an fs.
 */
#include "cli.h"
#include "cmds.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/remote.h"

/* ---- shared helpers ---- */

struct par {
	size_t n;
	atomic_size_t next;
	void (*fn)(void *ctx, size_t i);
	void *ctx;
};

static void *
par_thread(void *arg)
{
	struct par *p = arg;
	size_t i;
	while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
		p->fn(p->ctx, i);
	return NULL;
}

/*
 * Calls fn(ctx, i) for every i in [0, n) from up to `threads` threads
 * (<= 0: 8); returns when all are done. fn runs concurrently with itself.
 */
void
cli_for_each(size_t n, int threads, void (*fn)(void *ctx, size_t i), void *ctx)
{
	pthread_t tid[64];
	struct par p;
	int t = threads > 0 ? threads : 8, started = 0;

	p.n = n;
	atomic_init(&p.next, 0);
	p.fn = fn;
	p.ctx = ctx;
	if (t > 64)
		t = 64;
	if ((size_t)t > n)
		t = (int)n;
	for (int i = 1; i < t; i++)
		if (pthread_create(&tid[started], NULL, par_thread, &p) == 0)
			started++;
	par_thread(&p);
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
}

/* Reads path through a stream into a hasher of `mask`. */
static int
hash_stream(struct duet_fs *fs, const char *path, unsigned mask, struct duet_hashes *out)
{
	struct duet_rstream *s = NULL;
	struct duet_hasher *h = NULL;
	char *buf = NULL;
	ssize_t n;
	int rc;

	if ((rc = fs->ops->open_read(fs, path, 0, &s)) != 0)
		goto out;
	if (s->fd >= 0) {
		rc = duet_hash_fd(s->fd, mask, out);
		goto out;
	}
	if ((rc = duet_hasher_new(mask, &h)) != 0)
		goto out;
	if ((buf = duet_malloc(65536)) == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "out of memory hashing %s", path);
		goto out;
	}
	while ((n = s->ops->read(s, buf, 65536)) > 0)
		duet_hasher_update(h, buf, (size_t)n);
	if (n < 0)
		rc = (int)n;
	else
		duet_hasher_final(h, out);
out:
	duet_free(buf);
	duet_hasher_free(h);
	if (s != NULL)
		s->ops->close(s);
	return rc;
}

/*
 * The digests of `mask` for path into *out: from the backend's hash() one
 * kind at a time, or by reading the file once when read_data is set (the
 * --download flags), when it is local and several kinds are wanted, or when
 * the backend has no hash(). Errors as the backend's.
 */
int
cli_hash_path(struct duet_fs *fs, const char *path, unsigned mask, int read_data,
              struct duet_hashes *out)
{
	int single = mask != 0 && (mask & (mask - 1)) == 0, rc;

	memset(out, 0, sizeof(*out));
	if (read_data || fs->ops->hash == NULL || (!single && (fs->caps & DUET_CAP_LOCAL)))
		return hash_stream(fs, path, mask, out);
	for (int k = 0; k < DUET_HASH_COUNT; k++) {
		struct duet_hashes h;
		if (!(mask & DUET_HASH_BIT(k)))
			continue;
		memset(&h, 0, sizeof(h));
		if ((rc = fs->ops->hash(fs, path, (enum duet_hash_kind)k, &h)) != 0)
			return rc;
		if (!(h.mask & DUET_HASH_BIT(k)))
			return duet_err_set(DUET_E_UNSUPPORTED, "%s: no %s hash", path,
			                    duet_hash_name((enum duet_hash_kind)k));
		memcpy(out->v[k], h.v[k], duet_hash_size((enum duet_hash_kind)k));
		out->mask |= DUET_HASH_BIT(k);
	}
	return 0;
}

/* rclone's name of an fs in messages: "Local file system at /abs/path". */
const char *
cli_fs_desc(const struct duet_fs *fs, char *buf, size_t len)
{
	size_t n = strlen(fs->name), fl = fs->file ? strlen(fs->file) : 0;

	/* A root naming a file is described by its directory, as rclone does. */
	if (fl > 0 && n > fl && strcmp(fs->name + n - fl, fs->file) == 0 &&
	    fs->name[n - fl - 1] == '/')
		n -= fl + (n - fl - 1 > 0 && fs->name[n - fl - 2] != ':');
	snprintf(buf, len, "%s%.*s", (fs->caps & DUET_CAP_LOCAL) ? "Local file system at " : "",
	         (int)n, fs->name);
	return buf;
}

/* Splits a spec into its parent's spec and the last name ("dir/f.txt" gives
 * "dir" and "f.txt"; "remote:f" gives "remote:" and "f"). Caller frees. */
static int
split_spec(const struct cli_opts *o, const char *spec, char **parent, char **name)
{
	struct duet_remote r;
	size_t start = 0, len = strlen(spec), cut;

	if (duet_remote_parse(spec, cli_remote_lookup, (void *)o->config_path, &r) == 0) {
		if (spec[0] == ':' || r.name != NULL)
			start = len - strlen(r.path);
		duet_remote_dispose(&r);
	}
	while (len > start + 1 && spec[len - 1] == '/')
		len--;
	for (cut = len; cut > start && spec[cut - 1] != '/'; cut--)
		;
	if (cut == start)
		*parent = start > 0 ? duet_strndup(spec, start) : duet_strdup(".");
	else
		*parent = duet_strndup(spec, cut - 1 > start ? cut - 1 : cut);
	*name = duet_strndup(spec + cut, len - cut);
	if (*parent == NULL || *name == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	if ((*name)[0] == '\0')
		return duet_err_set(DUET_E_USAGE, "%s: needs a file name", spec);
	return 0;
}

static int
misc_fail(int rc)
{
	fprintf(stderr, "Error: %s\n", duet_err_msg());
	return cli_exit_code(rc);
}

/* The root of fs (which must not name a file) exists as a directory:
 * 0; else an exit code with the message printed. */
static int
misc_need_dir(const struct duet_fs *fs, int *missing)
{
	struct duet_entry e;
	int rc;

	*missing = 0;
	if (fs->file != NULL) {
		fprintf(stderr, "Error: %s is a file, not a directory\n", fs->name);
		return EXIT_ERROR;
	}
	memset(&e, 0, sizeof(e));
	rc = fs->ops->stat((struct duet_fs *)fs, "", &e);
	if (rc == DUET_E_NOTFOUND) {
		*missing = 1;
		return 0;
	}
	return rc != 0 ? misc_fail(rc) : 0;
}

/* ---- mkdir, rmdir ---- */

int
cmd_mkdir(struct cli_opts *o)
{
	struct duet_fs *fs = NULL;
	char desc[4200];
	int ec, missing = 0, rc;

	if ((ec = cli_open(o, o->args[0], &fs)) != 0)
		return ec;
	if ((ec = misc_need_dir(fs, &missing)) == 0 && missing) {
		cli_fs_desc(fs, desc, sizeof(desc));
		if (o->dry_run)
			duet_log(DUET_LOG_NOTICE, "%s: Skipped make directory as --dry-run is set",
			         desc);
		else if ((rc = fs->ops->mkdir(fs, "")) != 0)
			ec = misc_fail(rc);
		else
			duet_log(DUET_LOG_INFO, "%s: Made directory", desc);
	}
	duet_fs_close(fs);
	return ec;
}

int
cmd_rmdir(struct cli_opts *o)
{
	struct duet_fs *fs = NULL;
	char desc[4200];
	int ec, rc;

	if ((ec = cli_interactive_check(o)) != 0 || (ec = cli_open(o, o->args[0], &fs)) != 0)
		return ec;
	cli_fs_desc(fs, desc, sizeof(desc));
	if (fs->file != NULL) {
		fprintf(stderr, "Error: %s is a file, not a directory\n", fs->name);
		ec = EXIT_ERROR;
	} else if (o->dry_run) {
		duet_log(DUET_LOG_NOTICE, "%s: Skipped remove directory as --dry-run is set", desc);
	} else if (!o->interactive || cli_confirm(NULL, "remove directory", fs->name) > 0) {
		duet_log(DUET_LOG_INFO, "%s: Removing directory", desc);
		if ((rc = fs->ops->rmdir(fs, "")) != 0)
			ec = misc_fail(rc);
	}
	duet_fs_close(fs);
	return ec;
}

/* ---- rmdirs ---- */

/* Marks every directory that holds a file (at any depth) in keep[]. */
static void
rmdirs_mark(const struct duet_listing *l, unsigned char *keep, const char *path)
{
	char *p = duet_strdup(path), *slash;
	if (p == NULL) {
		memset(keep, 1, l->n); /* out of memory: remove nothing */
		return;
	}
	while ((slash = strrchr(p, '/')) != NULL) {
		const struct duet_entry *d;
		*slash = '\0';
		if ((d = duet_listing_find(l, p)) == NULL || keep[d - l->v])
			break;
		keep[d - l->v] = 1;
	}
	duet_free(p);
}

/*
 * Removes every directory below fs's root that holds no file, deepest
 * first, and the root too unless leave_root. Ignores filters (a directory
 * excluded by them is still not empty). Exit code or 0.
 */
static int
rmdirs_run(struct cli_opts *o, struct duet_fs *fs, int leave_root)
{
	struct duet_listing l;
	unsigned char *keep = NULL;
	int ec, rc, any_file = 0, errors = 0;
	char desc[4200];

	duet_listing_init(&l);
	if ((ec = cli_list(o, fs, NULL, 1, -1, &l)) != 0)
		goto out;
	if (l.n > 0 && (keep = duet_calloc(l.n, 1)) == NULL) {
		ec = EXIT_FATAL;
		goto out;
	}
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].type == DUET_T_FILE) {
			keep[i] = 1;
			any_file = 1;
			rmdirs_mark(&l, keep, l.v[i].path);
		}
	for (size_t i = l.n; i-- > 0;) {
		if (keep[i])
			continue;
		if (o->dry_run) {
			duet_logo(DUET_LOG_NOTICE, l.v[i].path,
			          "Skipped remove directory as --dry-run is set");
			continue;
		}
		if (o->interactive && cli_confirm(NULL, "remove directory", l.v[i].path) <= 0) {
			rmdirs_mark(&l, keep, l.v[i].path);
			any_file = 1;
			continue;
		}
		duet_logo(DUET_LOG_INFO, l.v[i].path, "Removing directory");
		if ((rc = fs->ops->rmdir(fs, l.v[i].path)) != 0) {
			duet_logo(DUET_LOG_ERROR, l.v[i].path, "Failed to rmdir: %s",
			          duet_err_msg());
			rmdirs_mark(&l, keep, l.v[i].path);
			any_file = 1;
			errors++;
		}
	}
	if (!leave_root && !any_file && l.errors == 0) {
		cli_fs_desc(fs, desc, sizeof(desc));
		if (o->dry_run)
			duet_log(DUET_LOG_NOTICE,
			         "%s: Skipped remove directory as --dry-run is set", desc);
		else if (!o->interactive || cli_confirm(NULL, "remove directory", fs->name) > 0) {
			duet_log(DUET_LOG_INFO, "%s: Removing directory", desc);
			if (fs->ops->rmdir(fs, "") != 0) {
				duet_log(DUET_LOG_ERROR, "%s: Failed to rmdir: %s", desc,
				         duet_err_msg());
				errors++;
			}
		}
	}
	if (errors > 0 || l.errors > 0) {
		fprintf(stderr, "Error: %ld error(s) removing directories\n",
		        (long)errors + l.errors);
		ec = EXIT_ERROR;
	}
out:
	duet_free(keep);
	duet_listing_dispose(&l);
	return ec;
}

int
cmd_rmdirs(struct cli_opts *o)
{
	struct duet_fs *fs = NULL;
	int ec;

	if ((ec = cli_interactive_check(o)) != 0 || (ec = cli_open(o, o->args[0], &fs)) != 0)
		return ec;
	if (fs->file != NULL) {
		fprintf(stderr, "Error: %s is a file, not a directory\n", fs->name);
		ec = EXIT_ERROR;
	} else {
		ec = rmdirs_run(o, fs, o->leave_root);
	}
	duet_fs_close(fs);
	return ec;
}

/* ---- cleanup ---- */

/* Unfinished uploads younger than this may belong to a running transfer
 * (rclone's cleanup uses the same day). */
#define CLEANUP_AGE ((int64_t)24 * 3600 * 1000000000)

/* The temp files of unfinished writes that a walk met (local, SFTP):
 * listing threads call in at once. */
struct cleanup_temps {
	pthread_mutex_t mu;
	struct duet_buf paths; /* NUL-separated, old enough */
	size_t n, young;
	int64_t cutoff;
};

static void
cleanup_on_temp(void *ctx, const char *path, int64_t mtime)
{
	struct cleanup_temps *t = ctx;

	pthread_mutex_lock(&t->mu);
	if (mtime > t->cutoff)
		t->young++;
	else if (duet_buf_append(&t->paths, path, strlen(path) + 1) == 0)
		t->n++;
	pthread_mutex_unlock(&t->mu);
}

/* Local and SFTP: a killed transfer leaves its temp file (NAME.xxxxxxxx
 * .partial), which no listing shows; those older than a day go. */
static int
cleanup_temps(struct cli_opts *o, struct duet_fs *fs)
{
	struct cleanup_temps t;
	struct duet_listing l;
	long done = 0, failed = 0;
	int ec;

	memset(&t, 0, sizeof(t));
	pthread_mutex_init(&t.mu, NULL);
	t.cutoff = duet_now_real() - CLEANUP_AGE;
	duet_listing_init(&l);
	fs->on_temp = cleanup_on_temp;
	fs->on_temp_ctx = &t;
	ec = cli_list(o, fs, NULL, 0, -1, &l);
	fs->on_temp = NULL;
	if (ec == 0 && t.young > 0)
		duet_log(DUET_LOG_INFO, "%s: %zu temporary file(s) younger than a day left alone (a "
		    "transfer may be writing them)", fs->name, t.young);
	for (size_t off = 0; ec == 0 && off < t.paths.len; off += strlen(t.paths.p + off) + 1) {
		const char *p = t.paths.p + off;
		if (o->dry_run) {
			duet_logo(DUET_LOG_NOTICE, p, "Skipped delete of the temporary file of an "
			    "unfinished transfer as --dry-run is set");
			done++;
		} else if (fs->ops->remove(fs, p) == 0) {
			duet_logo(DUET_LOG_INFO, p, "Deleted the temporary file of an unfinished transfer");
			done++;
		} else {
			duet_logo(DUET_LOG_ERROR, p, "%s", duet_err_msg());
			failed++;
		}
	}
	if (ec == 0)
		duet_log(DUET_LOG_NOTICE, "%s: %s %ld temporary file(s) of unfinished transfers",
		    fs->name, o->dry_run ? "would delete" : "deleted", done);
	if (ec == 0 && failed > 0)
		ec = EXIT_ERROR;
	duet_listing_dispose(&l);
	duet_buf_dispose(&t.paths);
	pthread_mutex_destroy(&t.mu);
	return ec;
}

int
cmd_cleanup(struct cli_opts *o)
{
	struct duet_fs *fs = NULL;
	long done = 0;
	int ec, rc;

	if ((ec = cli_open(o, o->args[0], &fs)) != 0)
		return ec;
	if (fs->file != NULL) {
		fprintf(stderr, "Error: %s is a file: cleanup takes a directory\n", fs->name);
		ec = EXIT_ERROR;
	} else if (strcmp(fs->ops->name, "azureblob") == 0) {
		/* Blocks of a failed Put Block List are never visible and the
		 * service discards them: nothing to do, say so. */
		duet_log(DUET_LOG_NOTICE, "%s: nothing to clean up: Azure discards the uncommitted "
		    "blocks of unfinished uploads after 7 days", fs->name);
	} else if (fs->ops->cleanup == NULL) {
		ec = cleanup_temps(o, fs);
	} else if ((rc = fs->ops->cleanup(fs, "", CLEANUP_AGE, o->dry_run, &done)) != 0) {
		ec = misc_fail(rc);
	} else {
		duet_log(DUET_LOG_NOTICE, "%s: %s %ld unfinished upload(s)", fs->name,
		    o->dry_run ? "would abort" : "aborted", done);
	}
	duet_fs_close(fs);
	return ec;
}

/* ---- delete, deletefile, purge ---- */

/* Deletes the files of l with the engine (dry-run, -i, --max-delete).
 * Exit code or 0. */
static int
delete_files(const struct duet_xfer_opts *x, struct duet_fs *fs, const struct duet_listing *l)
{
	const struct duet_entry **files = NULL;
	struct duet_stats st;
	size_t n = 0;
	int rc;

	if (l->n > 0 && (files = duet_calloc(l->n, sizeof(*files))) == NULL) {
		fprintf(stderr, "Error: out of memory\n");
		return EXIT_FATAL;
	}
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].type == DUET_T_FILE)
			files[n++] = &l->v[i];
	cli_order(files, n);
	duet_stats_init(&st);
	rc = n > 0 ? duet_xfer_delete_list(fs, files, n, x, &st) : 0;
	duet_free(files);
	if (rc == 0)
		return 0;
	fprintf(stderr, "Error: %s\n", duet_err_msg());
	return atomic_load(&st.fatal) ? EXIT_FATAL : cli_exit_code(rc);
}

static void
delete_opts(struct cli_opts *o)
{
	o->x.dry_run = o->dry_run;
	if (o->interactive) {
		o->x.confirm = cli_confirm;
		o->x.ctx = NULL;
	}
}

int
cmd_delete(struct cli_opts *o)
{
	struct duet_filter *f = NULL;
	struct duet_fs *fs = NULL;
	struct duet_listing l;
	int ec;

	duet_listing_init(&l);
	if ((ec = cli_interactive_check(o)) != 0 || (ec = cli_build_filter(o, &f)) != 0 ||
	    (ec = cli_open(o, o->args[0], &fs)) != 0)
		goto out;
	delete_opts(o);
	if ((ec = cli_list(o, fs, f, 0, o->limits.max_depth, &l)) != 0)
		goto out;
	ec = delete_files(&o->x, fs, &l);
	if (ec == 0 && l.errors > 0) {
		fprintf(stderr, "Error: %ld director%s could not be read\n", l.errors,
		        l.errors == 1 ? "y" : "ies");
		ec = EXIT_ERROR;
	}
	/* --rmdirs: tidy up, keeping the root. */
	if (ec == 0 && o->rmdirs && fs->file == NULL)
		ec = rmdirs_run(o, fs, 1);
out:
	duet_listing_dispose(&l);
	duet_fs_close(fs);
	duet_filter_free(f);
	return ec;
}

int
cmd_deletefile(struct cli_opts *o)
{
	struct duet_fs *fs = NULL;
	struct duet_listing l;
	struct duet_entry e;
	int ec, rc;

	duet_listing_init(&l);
	if ((ec = cli_interactive_check(o)) != 0 || (ec = cli_open(o, o->args[0], &fs)) != 0)
		return ec;
	if (fs->file == NULL) {
		fprintf(stderr, "Error: %s is a directory or doesn't exist\n", o->args[0]);
		ec = EXIT_FILE_NOT_FOUND;
		goto out;
	}
	memset(&e, 0, sizeof(e));
	e.path = fs->file;
	e.pathlen = (uint32_t)strlen(e.path);
	if ((rc = fs->ops->stat(fs, e.path, &e)) != 0 || (rc = duet_listing_add(&l, &e)) != 0) {
		ec = rc == DUET_E_NOTFOUND ? EXIT_FILE_NOT_FOUND : misc_fail(rc);
		if (rc == DUET_E_NOTFOUND)
			fprintf(stderr, "Error: %s\n", duet_err_msg());
		goto out;
	}
	delete_opts(o);
	ec = delete_files(&o->x, fs, &l);
out:
	duet_listing_dispose(&l);
	duet_fs_close(fs);
	return ec;
}

/* Removes the directories of l, deepest first, then the root. */
static int
purge_dirs(struct duet_fs *fs, const struct duet_listing *l)
{
	int rc = 0;
	for (size_t i = l->n; i-- > 0 && rc == 0;)
		if (l->v[i].type == DUET_T_DIR)
			rc = fs->ops->rmdir(fs, l->v[i].path);
	return rc != 0 ? rc : fs->ops->rmdir(fs, "");
}

int
cmd_purge(struct cli_opts *o)
{
	struct duet_fs *fs = NULL;
	struct duet_listing l;
	struct duet_xfer_opts x;
	char desc[4200];
	int ec, rc, missing = 0;

	duet_listing_init(&l);
	if ((ec = cli_interactive_check(o)) != 0 || (ec = cli_open(o, o->args[0], &fs)) != 0)
		return ec;
	if ((ec = misc_need_dir(fs, &missing)) != 0)
		goto out;
	cli_fs_desc(fs, desc, sizeof(desc));
	if (missing) {
		fprintf(stderr, "Error: directory not found: %s\n", fs->name);
		ec = EXIT_DIR_NOT_FOUND;
	} else if (o->dry_run) {
		duet_log(DUET_LOG_NOTICE, "%s: Skipped purge directory as --dry-run is set", desc);
	} else if (!o->interactive || cli_confirm(NULL, "purge directory", fs->name) > 0) {
		if ((ec = cli_list(o, fs, NULL, 1, -1, &l)) != 0)
			goto out;
		x = o->x;
		x.max_delete = -1;
		x.confirm = NULL;
		x.backup_fs = NULL;
		x.dry_run = 0;
		if ((ec = delete_files(&x, fs, &l)) == 0 && (rc = purge_dirs(fs, &l)) != 0)
			ec = misc_fail(rc);
	}
out:
	duet_listing_dispose(&l);
	duet_fs_close(fs);
	return ec;
}

/* ---- touch ---- */

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* --timestamp: YYMMDD, YYYY-MM-DDTHH:MM:SS or ...SS.fffffffff, UTC. */
static int
touch_parse(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
	int64_t frac = 0, scale = 100000000;
	size_t len = strlen(s);

	if (len == 6 && strspn(s, "0123456789") == 6) {
		y = (s[0] - '0') * 10 + (s[1] - '0');
		y += y < 69 ? 2000 : 1900;
		mo = (s[2] - '0') * 10 + (s[3] - '0');
		d = (s[4] - '0') * 10 + (s[5] - '0');
	} else if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 ||
	           n != 19) {
		return -1;
	}
	if (n == 19 && s[19] != '\0') {
		if (s[19] != '.' || len < 21 || len > 29 ||
		    strspn(s + 20, "0123456789") != len - 20)
			return -1;
		for (const char *p = s + 20; *p != '\0'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
		return -1;
	*out = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + se;
	*out = *out * 1000000000 + frac;
	return 0;
}

/* Creates an empty file at spec (parents too) with mtime t. */
static int
touch_create(struct cli_opts *o, int64_t t)
{
	struct duet_fs *pfs = NULL;
	struct duet_wstream *w = NULL;
	char *parent = NULL, *name = NULL, desc[4200];
	int ec = 0, rc;

	if ((rc = split_spec(o, o->args[0], &parent, &name)) != 0) {
		ec = misc_fail(rc);
		goto out;
	}
	if ((ec = cli_open(o, parent, &pfs)) != 0)
		goto out;
	if (o->dry_run) {
		duet_log(DUET_LOG_NOTICE, "%s: Skipped touch (create) as --dry-run is set",
		         cli_fs_desc(pfs, desc, sizeof(desc)));
		goto out;
	}
	if ((rc = pfs->ops->open_write(pfs, name, 0, &w)) != 0 || (rc = w->ops->commit(w, t)) != 0)
		ec = misc_fail(rc);
out:
	duet_fs_close(pfs);
	duet_free(parent);
	duet_free(name);
	return ec;
}

/* Sets the mtime of one existing file. */
static int
touch_one(struct cli_opts *o, struct duet_fs *fs, const char *path, int64_t t)
{
	int rc;
	if (o->dry_run) {
		duet_logo(DUET_LOG_NOTICE, path, "Skipped touch as --dry-run is set");
		return 0;
	}
	if (o->interactive && cli_confirm(NULL, "touch", path) <= 0)
		return 0;
	if (fs->ops->set_mtime == NULL)
		rc = duet_err_set(DUET_E_UNSUPPORTED, "%s: can't set modification times", fs->name);
	else
		rc = fs->ops->set_mtime(fs, path, t);
	if (rc != 0)
		duet_logo(DUET_LOG_ERROR, path, "Failed to touch: %s", duet_err_msg());
	return rc;
}

/* touch -R: every file below the root that the filters pass. */
static int
touch_tree(struct cli_opts *o, struct duet_fs *fs, int64_t t)
{
	struct duet_filter *f = NULL;
	struct duet_listing l;
	long errors = 0;
	int ec;

	duet_listing_init(&l);
	if ((ec = cli_build_filter(o, &f)) == 0 &&
	    (ec = cli_list(o, fs, f, 0, o->limits.max_depth, &l)) == 0) {
		for (size_t i = 0; i < l.n; i++)
			errors += touch_one(o, fs, l.v[i].path, t) != 0;
		if (errors + l.errors > 0) {
			fprintf(stderr, "Error: %ld error(s) touching files\n", errors + l.errors);
			ec = EXIT_ERROR;
		}
	}
	duet_listing_dispose(&l);
	duet_filter_free(f);
	return ec;
}

int
cmd_touch(struct cli_opts *o)
{
	struct duet_fs *fs = NULL;
	int64_t t = duet_now_real();
	char desc[4200];
	int ec, missing = 0;

	if (o->timestamp != NULL && touch_parse(o->timestamp, &t) != 0) {
		fprintf(stderr,
		        "Error: failed to parse timestamp \"%s\": want YYMMDD, "
		        "YYYY-MM-DDTHH:MM:SS or YYYY-MM-DDTHH:MM:SS.SSS (UTC)\n",
		        o->timestamp);
		return EXIT_ERROR;
	}
	if ((ec = cli_interactive_check(o)) != 0 || (ec = cli_open(o, o->args[0], &fs)) != 0)
		return ec;
	if (fs->file != NULL) {
		ec = touch_one(o, fs, fs->file, t) != 0 ? EXIT_ERROR : 0;
	} else if ((ec = misc_need_dir(fs, &missing)) == 0 && !missing) {
		if (o->recursive)
			ec = touch_tree(o, fs, t);
	} else if (ec == 0 && (o->no_create || o->recursive)) {
		duet_log(DUET_LOG_NOTICE, "%s: Not touching nonexistent file due to --no-create",
		         cli_fs_desc(fs, desc, sizeof(desc)));
	} else if (ec == 0) {
		ec = touch_create(o, t);
	}
	duet_fs_close(fs);
	return ec;
}

/* ---- cat ---- */

/* Writes [off, off+count) of path (count < 0: to the end) to stdout. */
static int
cat_one(const struct cli_opts *o, struct duet_fs *fs, const struct duet_entry *e, int64_t off,
        int64_t count)
{
	struct duet_rstream *s = NULL;
	char *buf;
	ssize_t n = 0;
	int rc;

	if (off < 0)
		off = e->size + off < 0 ? 0 : e->size + off;
	if (count == 0 || (e->size >= 0 && off >= e->size))
		return 0;
	if ((buf = duet_malloc(65536)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	if ((rc = fs->ops->open_read(fs, e->path, off, &s)) == 0) {
		while (count != 0 &&
		       (n = s->ops->read(s, buf,
		                         count < 0 || count > 65536 ? 65536 : (size_t)count)) > 0) {
			if (!o->cat_discard && fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
				n = duet_err_errno(errno, "write to stdout");
				break;
			}
			if (count > 0)
				count -= n;
		}
		rc = n < 0 ? (int)n : 0;
		s->ops->close(s);
	}
	duet_free(buf);
	return rc;
}

int
cmd_cat(struct cli_opts *o)
{
	struct duet_filter *f = NULL;
	struct duet_fs *fs = NULL;
	struct duet_listing l;
	const struct duet_entry **v = NULL;
	int64_t off = o->cat_offset, count = o->cat_count < 0 ? -1 : o->cat_count;
	int ec, errors = 0, missing = 0;

	if ((o->cat_head > 0) + (o->cat_tail > 0) + (o->cat_offset != 0 || o->cat_count >= 0) > 1) {
		fprintf(stderr,
		        "Error: can only use one of --head, --tail or --offset with --count\n");
		return EXIT_ERROR;
	}
	if (o->cat_head > 0)
		off = 0, count = o->cat_head;
	if (o->cat_tail > 0)
		off = -o->cat_tail, count = -1;
	duet_listing_init(&l);
	if ((ec = cli_build_filter(o, &f)) != 0 || (ec = cli_open(o, o->args[0], &fs)) != 0)
		goto out;
	if (fs->file == NULL && (ec = misc_need_dir(fs, &missing)) == 0 && missing) {
		fprintf(stderr, "Error: not found: %s\n", fs->name);
		ec = EXIT_FILE_NOT_FOUND;
	}
	if (ec == 0)
		ec = cli_list(o, fs, f, 0, o->limits.max_depth, &l);
	if (ec == 0 && l.n > 0 && (v = duet_calloc(l.n, sizeof(*v))) == NULL)
		ec = EXIT_FATAL;
	for (size_t i = 0; ec == 0 && i < l.n; i++)
		v[i] = &l.v[i];
	if (ec == 0)
		cli_order(v, l.n);
	for (size_t i = 0; ec == 0 && i < l.n; i++)
		if (cat_one(o, fs, v[i], off, count) != 0) {
			duet_logo(DUET_LOG_ERROR, v[i]->path, "Failed to cat: %s", duet_err_msg());
			errors++;
		}
	if (ec == 0 && (fflush(stdout) != 0 || errors > 0 || l.errors > 0)) {
		fprintf(stderr, "Error: %ld error(s) reading files\n", (long)errors + l.errors);
		ec = EXIT_ERROR;
	}
out:
	duet_free(v);
	duet_listing_dispose(&l);
	duet_fs_close(fs);
	duet_filter_free(f);
	return ec;
}
