/*
 * test_azure.c: the Azure Blob backend against Azurite
 * (tests/servers/azurite.sh, which checks SharedKey and SAS signatures
 * and Content-MD5), started here on loopback: the conformance suite on a
 * fresh prefix per test, then SharedKey, account and container SAS, odd
 * names, a 5,000-blob listing in pages, parallel block uploads, aborts,
 * wrong keys, a server killed mid-upload, a corrupted download, rclone's
 * mtime format, metadata kept by set_mtime, copy and move, containers,
 * directory markers, malformed answers from az_badserver.py, and rclone
 * itself on the same Azurite. Nothing is skipped: a server that does not
 * start fails the run. DUET_AZ_ONLY=conformance or =own runs one group,
 * DUET_AZ_FILTER=PATTERN the tests cmocka's filter matches.
 */
#define _GNU_SOURCE /* setenv, popen */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backends/azure/az.h"
#include "backends/azure/az_int.h"
#include "backends/azure/az_sas.h"
#include "backends/azure/az_time.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/remote.h"
#include "tests/backends/conformance.h"

static char g_dir[256], g_endpoint[128];
static int g_seq;

/* Starts Azurite with its data under dir; its endpoint into ep. */
static int
server_start(const char *dir, char *ep, size_t epsz)
{
	const char *sh = getenv("DUET_AZURITE");
	char cmd[1024];
	FILE *f;
	int ok;

	if (sh == NULL) {
		fprintf(stderr, "DUET_AZURITE is not set (ctest sets it)\n");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "sh %s start %s >&2", sh, dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/endpoint", dir);
	if ((f = fopen(cmd, "r")) == NULL)
		return -1;
	ok = fgets(ep, (int)epsz, f) != NULL;
	fclose(f);
	ep[strcspn(ep, "\n")] = '\0';
	return ok ? 0 : -1;
}

static void
server_stop(const char *dir)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "sh %s stop %s", getenv("DUET_AZURITE"), dir);
	if (system(cmd) != 0)
		fprintf(stderr, "stopping azurite failed\n");
}

/* Opens :azureblob:PATH on endpoint ep with the dev account's key (or
 * the given key/sas_url) and extra key=value pairs ("k=v;k=v"). */
static int
open_az_at(const char *ep, const char *path, const char *key, const char *sas,
    const char *extra, const struct duet_fs_opts *o, struct duet_fs **out)
{
	char spec[1024], kv[512];
	struct duet_remote r;
	int rc;

	snprintf(spec, sizeof(spec), ":azureblob:%s", path);
	if ((rc = duet_remote_parse(spec, NULL, NULL, &r)) != 0)
		return rc;
	if (sas != NULL) {
		duet_remote_add(&r, "sas_url", sas);
	} else {
		duet_remote_add(&r, "account", DUET_AZ_DEV_ACCOUNT);
		duet_remote_add(&r, "key", key != NULL ? key : DUET_AZ_DEV_KEY);
		duet_remote_add(&r, "endpoint", ep);
	}
	if (extra != NULL) {
		snprintf(kv, sizeof(kv), "%s", extra);
		for (char *save = NULL, *t = strtok_r(kv, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
			char *eq = strchr(t, '=');
			*eq = '\0';
			duet_remote_add(&r, t, eq + 1);
		}
	}
	rc = duet_azure_backend.open(&r, o, out);
	duet_remote_dispose(&r);
	return rc;
}

static int
open_az(const char *path, const char *extra, struct duet_fs **out)
{
	return open_az_at(g_endpoint, path, NULL, NULL, extra, NULL, out);
}

static int
conf_open(void *ctx, struct duet_fs **out)
{
	char path[64];
	int rc;
	(void)ctx;
	snprintf(path, sizeof(path), "ctr/conf%d", ++g_seq);
	/* A fresh, empty fs: its container exists. */
	if ((rc = open_az(path, NULL, out)) == 0 && (rc = (*out)->ops->mkdir(*out, "")) != 0)
		duet_fs_close(*out);
	return rc;
}

static void
put(struct duet_fs *fs, const char *path, const void *data, size_t n, int64_t mtime)
{
	struct duet_wstream *w;
	assert_int_equal(fs->ops->open_write(fs, path, (int64_t)n, &w), 0);
	if (n > 0)
		assert_int_equal(w->ops->write(w, data, n), 0);
	if (w->ops->commit(w, mtime) != 0)
		fail_msg("commit %s: %s", path, duet_err_msg());
}

/* Reads path whole; returns the read's final code, *md5 and *size. */
static int
get_md5(struct duet_fs *fs, const char *path, int64_t off, unsigned char md5[16], int64_t *size)
{
	struct duet_rstream *r;
	struct duet_hasher *h;
	struct duet_hashes d;
	char buf[65536];
	ssize_t k;

	*size = 0;
	assert_int_equal(fs->ops->open_read(fs, path, off, &r), 0);
	assert_int_equal(duet_hasher_new(DUET_HASH_BIT(DUET_HASH_MD5), &h), 0);
	while ((k = r->ops->read(r, buf, sizeof(buf))) > 0) {
		duet_hasher_update(h, buf, (size_t)k);
		*size += k;
	}
	duet_hasher_final(h, &d);
	duet_hasher_free(h);
	r->ops->close(r);
	memcpy(md5, d.v[DUET_HASH_MD5], 16);
	return (int)k;
}

struct names {
	char v[6000][80];
	int64_t mtime[6000];
	int hashed[6000];
	int n, dirs;
};

static int
collect(void *ctx, const struct duet_entry *e)
{
	struct names *nm = ctx;
	if (e->type == DUET_T_DIR)
		nm->dirs++;
	if (nm->n < 6000) {
		snprintf(nm->v[nm->n], 80, "%s", e->path);
		nm->mtime[nm->n] = e->mtime;
		nm->hashed[nm->n] = e->hashes != NULL && (e->hashes->mask & DUET_HASH_BIT(DUET_HASH_MD5));
		nm->n++;
	}
	return 0;
}

static int
find_name(const struct names *nm, const char *path)
{
	for (int i = 0; i < nm->n; i++)
		if (strcmp(nm->v[i], path) == 0)
			return i;
	return -1;
}

/* A raw request on fs's container (blob NULL: the container). */
static int
raw(struct duet_fs *dfs, const char *method, const char *blob, const char *query,
    const struct duet_az_header *h, size_t nh, const char *body, struct duet_http_resp *resp)
{
	struct az_fs *fs = (struct az_fs *)dfs;
	struct az_call c;

	memset(&c, 0, sizeof(c));
	c.method = method;
	c.container = fs->container;
	c.blob = blob;
	c.query = query;
	c.headers = h;
	c.nheaders = nh;
	c.body = body;
	c.body_len = body != NULL ? strlen(body) : 0;
	c.what = "test request";
	return az_do(fs, &c, resp);
}

/* An account SAS for the dev account, valid until 2035. */
static void
make_sas(struct duet_buf *token, const char *perms)
{
	struct duet_az_key key;
	struct duet_az_account_sas p;

	memset(&p, 0, sizeof(p));
	p.version = DUET_AZ_API_VERSION;
	p.services = "b";
	p.resource_types = "sco";
	p.permissions = perms;
	p.expiry = "2035-01-01T00:00:00Z";
	p.protocol = "https,http";
	assert_int_equal(duet_az_key_decode(DUET_AZ_DEV_KEY, &key), 0);
	assert_int_equal(duet_az_account_sas_token(DUET_AZ_DEV_ACCOUNT, &key, &p, token), 0);
	duet_az_key_wipe(&key);
}

/* ---- tests ---- */

static void
t_sas_account(void **state)
{
	struct duet_buf tok = DUET_BUF_INIT, url = DUET_BUF_INIT;
	struct names *nm = calloc(1, sizeof(*nm));
	struct duet_fs *fs, *bad;
	struct duet_entry e;
	unsigned char md5[16];
	int64_t size;
	char *sig;
	(void)state;

	make_sas(&tok, "rwdlacup");
	assert_int_equal(duet_buf_printf(&url, "%s?%s", g_endpoint, tok.p), 0);
	assert_int_equal(open_az_at(NULL, "sasctr/a", NULL, url.p, NULL, NULL, &fs), 0);
	assert_int_equal(fs->ops->mkdir(fs, ""), 0);
	put(fs, "x/f.txt", "sas data", 8, 1234567890123456789LL);
	assert_int_equal(fs->ops->stat(fs, "x/f.txt", &e), 0);
	assert_int_equal(e.size, 8);
	assert_int_equal(e.mtime, 1234567890123456789LL);
	assert_int_equal(get_md5(fs, "x/f.txt", 0, md5, &size), 0);
	assert_int_equal(size, 8);
	assert_int_equal(fs->ops->list(fs, "x", collect, nm), 0);
	assert_int_equal(nm->n, 1);
	assert_int_equal(fs->ops->copy(fs, "x/f.txt", "y"), 0); /* source URL with the SAS */
	assert_int_equal(fs->ops->stat(fs, "y", &e), 0);
	assert_int_equal(e.mtime, 1234567890123456789LL);
	duet_fs_close(fs);
	/* A tampered signature: refused, and never shown. */
	sig = strstr(url.p, "sig=") + 4;
	sig[0] = sig[0] == 'A' ? 'B' : 'A';
	assert_int_equal(open_az_at(NULL, "sasctr", NULL, url.p, NULL, NULL, &bad), 0);
	nm->n = 0;
	assert_int_equal(bad->ops->list(bad, "", collect, nm), DUET_E_AUTH);
	assert_null(strstr(duet_err_msg(), sig));
	assert_non_null(strstr(duet_err_msg(), "check account/key or sas_url"));
	assert_non_null(strstr(duet_err_msg(), "sasctr"));
	duet_fs_close(bad);
	/* A root below the container is looked at (is it a file?) at open. */
	assert_int_equal(open_az_at(NULL, "sasctr/a", NULL, url.p, NULL, NULL, &bad), DUET_E_AUTH);
	assert_null(strstr(duet_err_msg(), sig));
	assert_non_null(strstr(duet_err_msg(), "check account/key or sas_url"));
	duet_buf_dispose(&tok);
	duet_buf_dispose(&url);
	free(nm);
}

static void
t_sas_container(void **state)
{
	struct duet_buf tok = DUET_BUF_INIT, url = DUET_BUF_INIT;
	struct duet_fs *fs, *check;
	struct duet_entry e;
	(void)state;

	make_sas(&tok, "rwdlacup");
	assert_int_equal(open_az("sasctr2", NULL, &check), 0);
	assert_int_equal(check->ops->mkdir(check, ""), 0);
	/* The container comes from the URL; the path is within it. */
	assert_int_equal(duet_buf_printf(&url, "%s/sasctr2?%s", g_endpoint, tok.p), 0);
	assert_int_equal(open_az_at(NULL, "in/side", NULL, url.p, NULL, NULL, &fs), 0);
	assert_string_equal(((struct az_fs *)fs)->container, "sasctr2");
	put(fs, "f", "c", 1, 1000000000000000001LL);
	memset(&e, 0, sizeof(e));
	assert_int_equal(check->ops->stat(check, "in/side/f", &e), 0);
	assert_int_equal(e.mtime, 1000000000000000001LL);
	assert_null(strstr(fs->canon, "sig="));
	assert_non_null(strstr(fs->canon, "/sasctr2/in/side/"));
	duet_fs_close(fs);
	duet_fs_close(check);
	duet_buf_dispose(&tok);
	duet_buf_dispose(&url);
}

static void
t_odd_names(void **state)
{
	static const char *names[] = {"with space.txt", "unicodé ☃ 日本.txt", "a+b.txt", "100%.txt",
	    "what?.txt", "hash#tag.txt", "amp&lt;.txt", "sub dir/x+y %2F?#.txt"};
	struct duet_fs *fs;
	struct names *nm = calloc(1, sizeof(*nm));
	struct duet_entry e;
	unsigned char md5[16], want[16];
	int64_t size;
	(void)state;

	assert_int_equal(open_az("ctr/odd", NULL, &fs), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		put(fs, names[i], names[i], strlen(names[i]), 1600000000123456789LL + (int64_t)i);
	assert_int_equal(fs->ops->list(fs, "", collect, nm), 0);
	assert_int_equal(nm->n, 8); /* 7 files and "sub dir" */
	assert_int_equal(nm->dirs, 1);
	assert_true(find_name(nm, "hash#tag.txt") >= 0);
	nm->n = 0;
	assert_int_equal(fs->ops->list(fs, "sub dir", collect, nm), 0);
	assert_int_equal(nm->n, 1);
	assert_string_equal(nm->v[0], "sub dir/x+y %2F?#.txt");
	/* a directory whose name is stored encoded (a control character, an
	 * invalid UTF-8 byte, a backslash, a final dot): listed by that name */
	put(fs, "ctl\031d\201\\e./in\nside.", "i", 1, 1600000000000000000LL);
	nm->n = 0;
	assert_int_equal(fs->ops->list(fs, "ctl\031d\201\\e.", collect, nm), 0);
	assert_int_equal(nm->n, 1);
	assert_string_equal(nm->v[0], "ctl\031d\201\\e./in\nside.");
	assert_int_equal(fs->ops->remove(fs, "ctl\031d\201\\e./in\nside."), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(fs->ops->stat(fs, names[i], &e), 0);
		assert_int_equal(e.size, (int64_t)strlen(names[i]));
		assert_int_equal(e.mtime, 1600000000123456789LL + (int64_t)i);
		assert_int_equal(get_md5(fs, names[i], 0, md5, &size), 0);
		assert_int_equal(az_md5(names[i], strlen(names[i]), want), 0);
		assert_memory_equal(md5, want, 16);
	}
	duet_fs_close(fs);
	free(nm);
}

struct filler {
	struct duet_fs *fs;
	int from, to, errors;
};

static void *
fill(void *arg)
{
	struct filler *f = arg;
	char name[32];
	for (int i = f->from; i < f->to; i++) {
		struct duet_wstream *w;
		snprintf(name, sizeof(name), "k%05d", i);
		if (f->fs->ops->open_write(f->fs, name, 1, &w) != 0 || w->ops->write(w, "x", 1) != 0 ||
		    w->ops->commit(w, 1000000000000000000LL + i) != 0)
			f->errors++;
	}
	return NULL;
}

static void
t_many_blobs(void **state)
{
	struct duet_fs *fs, *small;
	struct names *nm = calloc(1, sizeof(*nm));
	struct filler f[4];
	pthread_t t[4];
	(void)state;

	assert_int_equal(open_az("ctr/many", NULL, &fs), 0);
	for (int i = 0; i < 4; i++) {
		f[i] = (struct filler){fs, i * 1250, (i + 1) * 1250, 0};
		assert_int_equal(pthread_create(&t[i], NULL, fill, &f[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(f[i].errors, 0);
	}
	assert_int_equal(fs->ops->list(fs, "", collect, nm), 0);
	assert_int_equal(nm->n, 5000);
	assert_string_equal(nm->v[4999], "k04999");
	assert_int_equal(nm->mtime[1234], 1000000000000001234LL); /* metadata in the listing */
	assert_true(nm->hashed[77]);
	/* The same through pages of 333 and of 7 blobs. */
	assert_int_equal(open_az("ctr/many", "list_chunk=333", &small), 0);
	nm->n = 0;
	assert_int_equal(small->ops->list(small, "", collect, nm), 0);
	assert_int_equal(nm->n, 5000);
	for (int i = 0; i < 5000; i++) {
		char want[16];
		snprintf(want, sizeof(want), "k%05d", i);
		assert_string_equal(nm->v[i], want);
	}
	duet_fs_close(small);
	assert_int_equal(open_az("ctr/many", "list_chunk=7", &small), 0);
	nm->n = 0;
	assert_int_equal(small->ops->list(small, "", collect, nm), 0);
	assert_int_equal(nm->n, 5000);
	assert_int_equal(nm->mtime[4998], 1000000000000004998LL);
	duet_fs_close(small);
	duet_fs_close(fs);
	free(nm);
}

/* Counts the committed blocks of blob (Get Block List). */
static int
committed_blocks(struct duet_fs *fs, const char *blob)
{
	struct duet_http_resp resp;
	const char *p;
	int n = 0;

	duet_http_resp_init(&resp);
	assert_int_equal(raw(fs, "GET", blob, "comp=blocklist&blocklisttype=committed", NULL, 0,
	    NULL, &resp), 0);
	for (p = resp.body.p; p != NULL && (p = strstr(p, "<Block>")) != NULL; p++)
		n++;
	duet_http_resp_dispose(&resp);
	return n;
}

static void
t_blocks(void **state)
{
	size_t n = 5 * 1024 * 1024 + 12345;
	unsigned char *data = malloc(n), md5[16], got[16];
	struct duet_fs *fs;
	struct names *nm = calloc(1, sizeof(*nm));
	struct duet_http_resp resp;
	struct duet_hashes h;
	struct duet_entry e;
	struct az_props pr;
	int64_t size;
	(void)state;

	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7 + i / 4096);
	assert_int_equal(az_md5(data, n, md5), 0);
	assert_int_equal(open_az("ctr/blk", "chunk_size=1Mi;upload_concurrency=4", &fs), 0);
	put(fs, "big.bin", data, n, 1500000000000000001LL);
	assert_int_equal(committed_blocks(fs, "blk/big.bin"), 6);
	assert_int_equal(get_md5(fs, "big.bin", 0, got, &size), 0);
	assert_int_equal(size, (int64_t)n);
	assert_memory_equal(md5, got, 16);
	/* The whole stream's MD5 is the blob's Content-MD5. */
	duet_http_resp_init(&resp);
	assert_int_equal(az_head((struct az_fs *)fs, NULL, "blk/big.bin", "head", &pr, &resp), 0);
	assert_true(pr.has_md5);
	assert_memory_equal(pr.md5, md5, 16);
	duet_http_resp_dispose(&resp);
	memset(&h, 0, sizeof(h));
	assert_int_equal(fs->ops->hash(fs, "big.bin", DUET_HASH_MD5, &h), 0);
	assert_memory_equal(h.v[DUET_HASH_MD5], md5, 16);
	memset(&e, 0, sizeof(e));
	assert_int_equal(fs->ops->stat(fs, "big.bin", &e), 0);
	assert_int_equal(e.mtime, 1500000000000000001LL);
	assert_int_equal(fs->ops->list(fs, "", collect, nm), 0);
	assert_int_equal(nm->n, 1);
	assert_true(nm->hashed[0]);
	/* Reads from an offset get the tail, unchecked. */
	assert_int_equal(get_md5(fs, "big.bin", (int64_t)n - 10, got, &size), 0);
	assert_int_equal(size, 10);
	duet_fs_close(fs);
	free(nm);
	free(data);
}

static void
t_abort_invisible(void **state)
{
	size_t n = 3 * 1024 * 1024 + 5;
	unsigned char *data = calloc(1, n);
	struct names *nm = calloc(1, sizeof(*nm));
	struct duet_fs *fs;
	struct duet_wstream *w;
	struct duet_entry e;
	(void)state;

	assert_int_equal(open_az("ctr/abort", "chunk_size=1Mi;upload_concurrency=2", &fs), 0);
	put(fs, "keep", "old", 3, 0);
	assert_int_equal(fs->ops->open_write(fs, "gone.bin", -1, &w), 0);
	assert_int_equal(w->ops->write(w, data, n), 0); /* three blocks went up */
	w->ops->abort(w);
	assert_int_equal(fs->ops->stat(fs, "gone.bin", &e), DUET_E_NOTFOUND);
	assert_int_equal(fs->ops->open_write(fs, "keep", -1, &w), 0);
	assert_int_equal(w->ops->write(w, data, n), 0);
	w->ops->abort(w);
	assert_int_equal(fs->ops->list(fs, "", collect, nm), 0);
	assert_int_equal(nm->n, 1);
	assert_string_equal(nm->v[0], "keep");
	assert_int_equal(fs->ops->stat(fs, "keep", &e), 0);
	assert_int_equal(e.size, 3);
	duet_fs_close(fs);
	free(nm);
	free(data);
}

static void
t_wrong_key(void **state)
{
	/* base64 of 64 bytes, not the account's */
	static const char key[] = "U0VDUkVULUtFWS1OT1QtVEhFLVJJR0hULU9ORS0xMjM0NTY3ODkwYWJjZGVmZ2hp"
	    "amtsbW5vcHFyc3R1dnd4eXo=";
	struct names *nm = calloc(1, sizeof(*nm));
	struct duet_fs *fs;
	(void)state;

	assert_int_equal(open_az_at(g_endpoint, "ctr", key, NULL, NULL, NULL, &fs), 0);
	assert_int_equal(fs->ops->list(fs, "", collect, nm), DUET_E_AUTH);
	assert_null(strstr(duet_err_msg(), key));
	assert_null(strstr(duet_err_msg(), "U0VDUkVU"));
	assert_non_null(strstr(duet_err_msg(), "check account/key or sas_url"));
	assert_non_null(strstr(duet_err_msg(), "container ctr"));
	assert_null(strchr(duet_err_msg(), '\n'));
	assert_null(strstr(fs->name, key));
	duet_fs_close(fs);
	assert_int_equal(open_az_at(g_endpoint, "ctr/x", key, NULL, NULL, NULL, &fs), DUET_E_AUTH);
	assert_null(strstr(duet_err_msg(), "U0VDUkVU"));
	assert_non_null(strstr(duet_err_msg(), "check account/key or sas_url"));
	free(nm);
}

static void
t_server_killed(void **state)
{
	char dir[300], ep[128], ep2[128];
	size_t n = 2 * 1024 * 1024;
	unsigned char *data = calloc(1, n);
	struct duet_fs_opts o;
	struct duet_fs *fs;
	struct duet_wstream *w;
	struct duet_entry e;
	int rc;
	(void)state;

	memset(&o, 0, sizeof(o));
	o.low_level_retries = 2;
	o.connect_timeout_ms = 2000;
	snprintf(dir, sizeof(dir), "%s-kill", g_dir);
	assert_int_equal(server_start(dir, ep, sizeof(ep)), 0);
	assert_int_equal(open_az_at(ep, "kctr/p", NULL, NULL, "chunk_size=512Ki;upload_concurrency=2",
	    &o, &fs), 0);
	put(fs, "before", "b", 1, 0);
	assert_int_equal(fs->ops->open_write(fs, "cut.bin", -1, &w), 0);
	assert_int_equal(w->ops->write(w, data, n), 0);
	server_stop(dir);
	rc = w->ops->write(w, data, n);
	if (rc == 0)
		rc = w->ops->commit(w, 0);
	else
		w->ops->abort(w);
	assert_true(rc < 0);
	assert_int_equal(duet_err_code(), rc);
	duet_fs_close(fs);
	/* The same data, a new port: the old blob is there, the cut one not. */
	assert_int_equal(server_start(dir, ep2, sizeof(ep2)), 0);
	assert_int_equal(open_az_at(ep2, "kctr/p", NULL, NULL, NULL, &o, &fs), 0);
	assert_int_equal(fs->ops->stat(fs, "before", &e), 0);
	assert_int_equal(fs->ops->stat(fs, "cut.bin", &e), DUET_E_NOTFOUND);
	duet_fs_close(fs);
	server_stop(dir);
	free(data);
}

static void
t_md5_mismatch(void **state)
{
	struct duet_fs_opts o;
	struct duet_fs *fs;
	struct duet_http_resp resp;
	struct duet_az_header h[1] = {{"x-ms-blob-content-md5", "AAAAAAAAAAAAAAAAAAAAAA=="}};
	struct duet_rstream *r;
	unsigned char md5[16];
	int64_t size;
	char buf[64];
	ssize_t k;
	(void)state;

	assert_int_equal(open_az("ctr/md5", NULL, &fs), 0);
	put(fs, "f", "hello world", 11, 0);
	assert_int_equal(get_md5(fs, "f", 0, md5, &size), 0);
	duet_http_resp_init(&resp);
	assert_int_equal(raw(fs, "PUT", "md5/f", "comp=properties", h, 1, NULL, &resp), 0);
	duet_http_resp_dispose(&resp);
	assert_int_equal(fs->ops->open_read(fs, "f", 0, &r), 0);
	assert_int_equal(r->ops->read(r, buf, sizeof(buf)), 11);
	k = r->ops->read(r, buf, sizeof(buf));
	assert_int_equal(k, DUET_E_HASH);
	assert_non_null(strstr(duet_err_msg(), "corrupted on download: MD5 differs"));
	assert_int_equal(r->ops->read(r, buf, sizeof(buf)), DUET_E_HASH); /* sticky */
	r->ops->close(r);
	/* From an offset there is nothing to check against. */
	assert_int_equal(get_md5(fs, "f", 1, md5, &size), 0);
	assert_int_equal(size, 10);
	duet_fs_close(fs);
	/* --ignore-checksum: the same blob reads whole, unchecked. */
	memset(&o, 0, sizeof(o));
	o.ignore_checksum = 1;
	assert_int_equal(open_az_at(g_endpoint, "ctr/md5", NULL, NULL, NULL, &o, &fs), 0);
	assert_int_equal(get_md5(fs, "f", 0, md5, &size), 0);
	assert_int_equal(size, 11);
	duet_fs_close(fs);
}

static void
md5_of(const void *data, size_t n, unsigned char out[16])
{
	struct duet_hasher *h;
	struct duet_hashes d;
	assert_int_equal(duet_hasher_new(DUET_HASH_BIT(DUET_HASH_MD5), &h), 0);
	duet_hasher_update(h, data, n);
	duet_hasher_final(h, &d);
	duet_hasher_free(h);
	memcpy(out, d.v[DUET_HASH_MD5], 16);
}

/* A large blob is hashed on a second thread while it streams: a right
 * MD5 reads whole, a wrong one fails at the end, and a read closed in
 * the middle stops the thread (no leak, no hang). */
static void
t_md5_large(void **state)
{
	const size_t n = (size_t)9 << 20;
	struct duet_az_header h[1] = {{"x-ms-blob-content-md5", "AAAAAAAAAAAAAAAAAAAAAA=="}};
	struct duet_http_resp resp;
	struct duet_rstream *r;
	struct duet_fs *fs;
	unsigned char md5[16], want[16];
	unsigned char *data = malloc(n);
	int64_t size;
	char buf[4096];
	(void)state;

	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 13));
	assert_int_equal(open_az("ctr/md5big", "chunk_size=4M", &fs), 0);
	put(fs, "big", data, n, 0);
	md5_of(data, n, want);
	assert_int_equal(get_md5(fs, "big", 0, md5, &size), 0);
	assert_int_equal(size, (int64_t)n);
	assert_memory_equal(md5, want, 16);
	assert_int_equal(fs->ops->open_read(fs, "big", 0, &r), 0);
	assert_int_equal(r->ops->read(r, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	r->ops->close(r);
	duet_http_resp_init(&resp);
	assert_int_equal(raw(fs, "PUT", "md5big/big", "comp=properties", h, 1, NULL, &resp), 0);
	duet_http_resp_dispose(&resp);
	assert_int_equal(get_md5(fs, "big", 0, md5, &size), DUET_E_HASH);
	assert_non_null(strstr(duet_err_msg(), "corrupted on download: MD5 differs"));
	duet_fs_close(fs);
	free(data);
}

static void
t_mtime_format(void **state)
{
	struct duet_fs *fs;
	struct duet_http_resp resp;
	struct duet_az_header h[2] = {{"x-ms-blob-type", "BlockBlob"},
	    {"x-ms-meta-mtime", "2021-11-18T18:09:01.5+01:00"}};
	struct duet_entry e;
	const char *v;
	(void)state;

	assert_int_equal(open_az("ctr/mt", NULL, &fs), 0);
	put(fs, "f", "abc", 3, 1637255341123456789LL);
	duet_http_resp_init(&resp);
	assert_int_equal(az_head((struct az_fs *)fs, NULL, "mt/f", "head", NULL, &resp), 0);
	v = duet_http_resp_header(&resp, "x-ms-meta-mtime");
	assert_non_null(v);
	assert_string_equal(v, "2021-11-18T17:09:01.123456789Z");
	duet_http_resp_dispose(&resp);
	/* Another writer's RFC 3339 with an offset. */
	duet_http_resp_init(&resp);
	assert_int_equal(raw(fs, "PUT", "mt/other", NULL, h, 2, "xyz", &resp), 0);
	duet_http_resp_dispose(&resp);
	assert_int_equal(fs->ops->stat(fs, "other", &e), 0);
	assert_int_equal(e.mtime, 1637255341500000000LL);
	duet_fs_close(fs);
}

static void
t_set_mtime_keeps_meta(void **state)
{
	struct duet_fs *fs;
	struct duet_http_resp resp;
	struct duet_az_header h[3] = {{"x-ms-blob-type", "BlockBlob"}, {"x-ms-meta-color", "blue"},
	    {"Content-MD5", "kAFQmDzST7DWlj99KOF/cg=="}};
	struct names *nm = calloc(1, sizeof(*nm));
	struct duet_entry e;
	struct duet_hashes hs;
	(void)state;

	assert_int_equal(open_az("ctr/sm", NULL, &fs), 0);
	assert_int_equal(fs->ops->mkdir(fs, ""), 0);
	duet_http_resp_init(&resp);
	assert_int_equal(raw(fs, "PUT", "sm/f", NULL, h, 3, "abc", &resp), 0);
	duet_http_resp_dispose(&resp);
	assert_int_equal(fs->ops->set_mtime(fs, "f", 1200000000000000009LL), 0);
	assert_int_equal(fs->ops->stat(fs, "f", &e), 0);
	assert_int_equal(e.mtime, 1200000000000000009LL);
	assert_int_equal(e.size, 3);
	duet_http_resp_init(&resp);
	assert_int_equal(az_head((struct az_fs *)fs, NULL, "sm/f", "head", NULL, &resp), 0);
	assert_non_null(duet_http_resp_header(&resp, "x-ms-meta-color"));
	assert_string_equal(duet_http_resp_header(&resp, "x-ms-meta-color"), "blue");
	duet_http_resp_dispose(&resp);
	assert_int_equal(fs->ops->list(fs, "", collect, nm), 0);
	assert_int_equal(nm->mtime[0], 1200000000000000009LL);
	memset(&hs, 0, sizeof(hs));
	assert_int_equal(fs->ops->hash(fs, "f", DUET_HASH_MD5, &hs), 0);
	assert_true(hs.mask & DUET_HASH_BIT(DUET_HASH_MD5)); /* MD5 of "abc" untouched */
	assert_int_equal(hs.v[DUET_HASH_MD5][0], 0x90);
	assert_int_equal(fs->ops->set_mtime(fs, "nope", 1), DUET_E_NOTFOUND);
	duet_fs_close(fs);
	free(nm);
}

static void
t_copy_move(void **state)
{
	struct duet_fs *fs, *other, *alien;
	struct duet_entry e;
	struct duet_hashes h;
	(void)state;

	assert_int_equal(open_az("ctr/cm", NULL, &fs), 0);
	assert_int_equal(open_az("ctr2/elsewhere", NULL, &other), 0);
	put(fs, "a", "aaa", 3, 1100000000000000011LL);
	assert_int_equal(fs->ops->copy(fs, "a", "d/b"), 0);
	assert_int_equal(fs->ops->stat(fs, "d/b", &e), 0);
	assert_int_equal(e.mtime, 1100000000000000011LL);
	memset(&h, 0, sizeof(h));
	assert_int_equal(fs->ops->hash(fs, "d/b", DUET_HASH_MD5, &h), 0);
	assert_true(h.mask != 0);
	assert_int_equal(fs->ops->move(fs, "a", "c"), 0);
	assert_int_equal(fs->ops->stat(fs, "a", &e), DUET_E_NOTFOUND);
	assert_int_equal(fs->ops->stat(fs, "c", &e), 0);
	assert_int_equal(e.mtime, 1100000000000000011LL);
	/* Into another container of the same account. */
	assert_int_equal(other->ops->move_from(other, fs, "c", "x/c"), 0);
	assert_int_equal(fs->ops->stat(fs, "c", &e), DUET_E_NOTFOUND);
	assert_int_equal(other->ops->stat(other, "x/c", &e), 0);
	assert_int_equal(e.mtime, 1100000000000000011LL);
	/* Other credentials: the caller copies instead. */
	assert_int_equal(open_az_at(g_endpoint, "ctr", "QUJD", NULL, NULL, NULL, &alien), 0);
	assert_int_equal(other->ops->move_from(other, alien, "d/b", "y"), DUET_E_XDEV);
	assert_int_equal(fs->ops->copy(fs, "d", "z"), DUET_E_NOTFOUND);
	duet_fs_close(alien);
	duet_fs_close(other);
	duet_fs_close(fs);
}

static void
t_containers(void **state)
{
	struct names *nm = calloc(1, sizeof(*nm));
	struct duet_fs *fs, *root, *auto_fs;
	struct duet_entry e;
	char name[64], name2[64];
	(void)state;

	snprintf(name, sizeof(name), "made%ld", (long)getpid());
	snprintf(name2, sizeof(name2), "auto%ld", (long)getpid());
	assert_int_equal(open_az(name, NULL, &fs), 0);
	assert_int_equal(open_az("", NULL, &root), 0);
	assert_int_equal(fs->ops->list(fs, "", collect, nm), DUET_E_NOTFOUND);
	assert_int_equal(fs->ops->mkdir(fs, ""), 0);
	assert_int_equal(fs->ops->mkdir(fs, "a/b"), 0);
	nm->n = 0;
	assert_int_equal(fs->ops->list(fs, "", collect, nm), 0);
	assert_int_equal(nm->n, 0);
	/* A second fs finds it made already (409 is success). */
	duet_fs_close(fs);
	assert_int_equal(open_az(name, NULL, &fs), 0);
	assert_int_equal(fs->ops->mkdir(fs, ""), 0);
	/* The first write makes the container too. */
	assert_int_equal(open_az(name2, NULL, &auto_fs), 0);
	put(auto_fs, "p/q", "1", 1, 0);
	nm->n = 0;
	assert_int_equal(root->ops->list(root, "", collect, nm), 0);
	assert_true(find_name(nm, name) >= 0);
	assert_true(find_name(nm, name2) >= 0);
	assert_int_equal(nm->dirs, nm->n);
	assert_int_equal(root->ops->stat(root, "", &e), 0);
	assert_int_equal(e.type, DUET_T_DIR);
	assert_int_equal(root->ops->open_write(root, "f", 1, &(struct duet_wstream *){NULL}),
	    DUET_E_INVAL);
	assert_non_null(strstr(duet_err_msg(), "name a container"));
	/* rmdir of a container: only when empty, as rclone. */
	assert_int_equal(auto_fs->ops->rmdir(auto_fs, ""), DUET_E_NOTEMPTY);
	assert_int_equal(fs->ops->rmdir(fs, ""), 0);
	nm->n = 0;
	assert_int_equal(root->ops->list(root, "", collect, nm), 0);
	assert_true(find_name(nm, name) < 0);
	duet_fs_close(auto_fs);
	duet_fs_close(root);
	duet_fs_close(fs);
	free(nm);
}

static void
t_dir_markers(void **state)
{
	struct duet_fs *fs;
	struct duet_http_resp resp;
	struct duet_az_header m[2] = {{"x-ms-blob-type", "BlockBlob"}, {"x-ms-meta-hdi_isfolder", "true"}};
	struct names *nm = calloc(1, sizeof(*nm));
	struct duet_entry e;
	(void)state;

	assert_int_equal(open_az("ctr/mk", NULL, &fs), 0);
	put(fs, "file", "f", 1, 0);
	duet_http_resp_init(&resp);
	assert_int_equal(raw(fs, "PUT", "mk/slash/", NULL, m, 1, NULL, &resp), 0);
	assert_int_equal(raw(fs, "PUT", "mk/adls", NULL, m, 2, NULL, &resp), 0);
	assert_int_equal(raw(fs, "PUT", "mk/adls2", NULL, m, 2, NULL, &resp), 0);
	duet_http_resp_dispose(&resp);
	put(fs, "adls2/inner", "i", 1, 0);
	assert_int_equal(fs->ops->list(fs, "", collect, nm), 0);
	if (nm->n != 4) /* file, slash, adls, adls2 (once) */
		fail_msg("%d entries: %s %s %s %s %s", nm->n, nm->v[0], nm->v[1], nm->v[2], nm->v[3], nm->v[4]);
	assert_int_equal(nm->dirs, 3);
	assert_true(find_name(nm, "adls") >= 0);
	assert_true(find_name(nm, "slash") >= 0);
	nm->n = 0;
	assert_int_equal(fs->ops->list(fs, "slash", collect, nm), 0);
	assert_int_equal(nm->n, 0);
	assert_int_equal(fs->ops->list(fs, "adls", collect, nm), 0);
	assert_int_equal(nm->n, 0);
	assert_int_equal(fs->ops->stat(fs, "adls", &e), 0);
	assert_int_equal(e.type, DUET_T_DIR);
	assert_int_equal(fs->ops->stat(fs, "slash", &e), 0);
	assert_int_equal(e.type, DUET_T_DIR);
	assert_int_equal(fs->ops->rmdir(fs, "adls2"), DUET_E_NOTEMPTY);
	assert_int_equal(fs->ops->rmdir(fs, "adls"), 0);
	assert_int_equal(fs->ops->rmdir(fs, "slash"), 0);
	assert_int_equal(fs->ops->stat(fs, "adls", &e), DUET_E_NOTFOUND);
	assert_int_equal(fs->ops->stat(fs, "slash", &e), DUET_E_NOTFOUND);
	assert_int_equal(fs->ops->rmdir(fs, "file"), DUET_E_NOTDIR);
	duet_fs_close(fs);
	free(nm);
}

/* ---- az_badserver.py ---- */

static void
t_malformed_answers(void **state)
{
	char py[1024], port[160], ep[128];
	const char *sh = getenv("DUET_AZURITE");
	struct names *nm = calloc(1, sizeof(*nm));
	struct duet_fs_opts o;
	struct duet_fs *fs;
	int pid = 0, portnum = 0;
	FILE *p;
	(void)state;

	snprintf(py, sizeof(py), "%s", sh);
	snprintf(port, sizeof(port), "%s", dirname(dirname(py))); /* tests/ */
	snprintf(py, sizeof(py), "python3 %s/backends/az_badserver.py", port);
	p = popen(py, "r");
	assert_non_null(p);
	assert_non_null(fgets(port, sizeof(port), p));
	assert_int_equal(sscanf(port, "PORT %d PID %d", &portnum, &pid), 2);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", portnum);
	memset(&o, 0, sizeof(o));
	o.low_level_retries = 1;
	/* A listing cut short: not a partial listing. */
	assert_int_equal(open_az_at(ep, "c", NULL, NULL, NULL, &o, &fs), 0);
	if (fs->ops->list(fs, "cut", collect, nm) != DUET_E_CORRUPT)
		fail_msg("cut: %s", duet_err_msg());
	assert_non_null(strstr(duet_err_msg(), "azureblob"));
	assert_int_equal(nm->n, 0);
	duet_fs_close(fs);
	assert_int_equal(open_az_at(ep, "c", NULL, NULL, NULL, &o, &fs), 0);
	if (fs->ops->list(fs, "garbage", collect, nm) != DUET_E_CORRUPT)
		fail_msg("garbage: %s", duet_err_msg());
	assert_non_null(strstr(duet_err_msg(), "malformed XML"));
	duet_fs_close(fs);
	/* A name that cannot be a file: the others still come. */
	assert_int_equal(open_az_at(ep, "c", NULL, NULL, NULL, &o, &fs), 0);
	assert_int_equal(fs->ops->list(fs, "", collect, nm), DUET_E_BADNAME);
	assert_int_equal(nm->n, 1);
	assert_string_equal(nm->v[0], "good");
	duet_fs_close(fs);
	/* A broken error body: the status alone decides. */
	assert_int_equal(open_az_at(ep, "autherr", NULL, NULL, NULL, &o, &fs), 0);
	assert_int_equal(fs->ops->list(fs, "", collect, nm), DUET_E_AUTH);
	assert_non_null(strstr(duet_err_msg(), "HTTP 403"));
	duet_fs_close(fs);
	kill(pid, SIGTERM);
	pclose(p);
	free(nm);
}

/* ---- rclone on the same Azurite ---- */

/* Runs cmd (with the AZ remote in the environment); its first output
 * line into out. */
static int
run_line(const char *cmd, char *out, size_t n)
{
	FILE *p = popen(cmd, "r");
	int ok;
	if (p == NULL)
		return -1;
	out[0] = '\0';
	ok = fgets(out, (int)n, p) != NULL;
	pclose(p);
	out[strcspn(out, "\n")] = '\0';
	return ok ? 0 : -1;
}

static void
t_rclone_interop(void **state)
{
	struct duet_buf tok = DUET_BUF_INIT, url = DUET_BUF_INIT;
	char file[300], cmd[1024], line[512], hex[2 * DUET_HASH_MAXLEN + 1];
	struct duet_fs *fs;
	struct duet_entry e;
	struct duet_hashes h;
	FILE *f;
	(void)state;

	make_sas(&tok, "rwdlacup");
	assert_int_equal(open_az("rcl", NULL, &fs), 0);
	assert_int_equal(fs->ops->mkdir(fs, ""), 0);
	/* rclone 1.60 takes an emulator's endpoint only from a SAS URL. */
	assert_int_equal(duet_buf_printf(&url, "%s?%s", g_endpoint, tok.p), 0);
	setenv("RCLONE_CONFIG_AZ_TYPE", "azureblob", 1);
	setenv("RCLONE_CONFIG_AZ_SAS_URL", url.p, 1);
	setenv("RCLONE_CONFIG", "/nonexistent/rclone.conf", 1);
	setenv("TZ", "UTC", 1);
	snprintf(file, sizeof(file), "%s/from-rclone.txt", g_dir);
	assert_non_null(f = fopen(file, "w"));
	fputs("written by rclone\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "touch -d '2019-06-07 08:09:10.123456789 UTC' %s && "
	    "rclone -q copyto %s AZ:rcl/from-rclone.txt", file, file);
	assert_int_equal(system(cmd), 0);
	/* rclone's mtime and MD5, read by duet. */
	memset(&e, 0, sizeof(e));
	assert_int_equal(fs->ops->stat(fs, "from-rclone.txt", &e), 0);
	assert_int_equal(e.mtime, 1559894950123456789LL);
	memset(&h, 0, sizeof(h));
	assert_int_equal(fs->ops->hash(fs, "from-rclone.txt", DUET_HASH_MD5, &h), 0);
	duet_hash_hex(&h, DUET_HASH_MD5, hex);
	assert_int_equal(run_line("printf 'written by rclone\\n' | md5sum", line, sizeof(line)), 0);
	assert_memory_equal(line, hex, 32);
	/* duet's, read by rclone. */
	put(fs, "from-duet.txt", "written by duet\n", 16, 1300000000987654321LL);
	assert_int_equal(run_line("rclone -q lsl AZ:rcl/from-duet.txt", line, sizeof(line)), 0);
	assert_non_null(strstr(line, "2011-03-13 07:06:40.987654321"));
	assert_int_equal(run_line("rclone -q md5sum AZ:rcl/from-duet.txt", line, sizeof(line)), 0);
	assert_int_equal(run_line("printf 'written by duet\\n' | md5sum", hex, sizeof(hex)), 0);
	assert_memory_equal(line, hex, 32);
	unlink(file);
	duet_fs_close(fs);
	duet_buf_dispose(&tok);
	duet_buf_dispose(&url);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_sas_account),
		cmocka_unit_test(t_sas_container),
		cmocka_unit_test(t_odd_names),
		cmocka_unit_test(t_many_blobs),
		cmocka_unit_test(t_blocks),
		cmocka_unit_test(t_abort_invisible),
		cmocka_unit_test(t_wrong_key),
		cmocka_unit_test(t_server_killed),
		cmocka_unit_test(t_md5_mismatch),
		cmocka_unit_test(t_md5_large),
		cmocka_unit_test(t_mtime_format),
		cmocka_unit_test(t_set_mtime_keeps_meta),
		cmocka_unit_test(t_copy_move),
		cmocka_unit_test(t_containers),
		cmocka_unit_test(t_dir_markers),
		cmocka_unit_test(t_malformed_answers),
		cmocka_unit_test(t_rclone_interop),
	};
	struct duet_conf_target t = {"azureblob (Azurite)", conf_open, NULL, NULL};
	const char *only = getenv("DUET_AZ_ONLY"), *filter = getenv("DUET_AZ_FILTER");
	char cmd[600];
	int failed = 0;

	if (filter != NULL)
		cmocka_set_test_filter(filter);
	snprintf(g_dir, sizeof(g_dir), "/tmp/duet-test-az.%d", (int)getpid());
	if (server_start(g_dir, g_endpoint, sizeof(g_endpoint)) != 0) {
		fprintf(stderr, "azurite did not start\n");
		return 1;
	}
	if (only == NULL || strcmp(only, "conformance") == 0)
		failed += duet_conformance_run(&t);
	if (only == NULL || strcmp(only, "own") == 0)
		failed += cmocka_run_group_tests(tests, NULL, NULL);
	server_stop(g_dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s-kill", g_dir, g_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", g_dir);
	return failed != 0;
}
