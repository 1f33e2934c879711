/*
 * test_s3.c: the S3 backend against s3rver (tests/servers/s3rver.sh, which
 * verifies SigV4 signatures), started here on loopback: the conformance
 * suite, odd keys, a 5,000-key listing over several pages and its batch
 * delete, multipart uploads (MD5 and mtime metadata, no upload left after
 * an abort), rclone's mtime format, wrong credentials, and a malformed
 * listing from a server of our own. Nothing is skipped: a server that
 * does not start fails the test.
 */
#define _GNU_SOURCE /* setenv, popen */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/s3/s3.h"
#include "backends/s3/s3_int.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/remote.h"
#include "tests/backends/conformance.h"

static char g_dir[256], g_endpoint[128];
static int g_seq;

static int
start_server(void)
{
	const char *sh = getenv("DUET_S3RVER");
	char cmd[1024];
	FILE *f;

	if (sh == NULL) {
		fprintf(stderr, "DUET_S3RVER is not set (ctest sets it)\n");
		return -1;
	}
	snprintf(g_dir, sizeof(g_dir), "/tmp/duet-test-s3.%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "sh %s start %s bkt >&2", sh, g_dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/endpoint", g_dir);
	if ((f = fopen(cmd, "r")) == NULL || fgets(g_endpoint, sizeof(g_endpoint), f) == NULL)
		return -1;
	fclose(f);
	g_endpoint[strcspn(g_endpoint, "\n")] = '\0';
	return 0;
}

static void
stop_server(void)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "sh %s stop %s; rm -rf %s", getenv("DUET_S3RVER"), g_dir, g_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "stopping s3rver failed\n");
}

/* Opens s3:PATH with the test server's settings and extra key=value. */
static int
open_s3(const char *path, const char *extra, struct duet_fs **out)
{
	char spec[2048];
	struct duet_remote r;
	int rc;

	snprintf(spec, sizeof(spec), ":s3,provider=Other,access_key_id=S3RVER,"
	    "secret_access_key=S3RVER,endpoint='%s',force_path_style=true%s%s:%s", g_endpoint,
	    extra ? "," : "", extra ? extra : "", path);
	if ((rc = duet_remote_parse(spec, NULL, NULL, &r)) != 0)
		return rc;
	rc = duet_s3_backend.open(&r, NULL, out);
	duet_remote_dispose(&r);
	return rc;
}

static int
conf_open(void *ctx, struct duet_fs **out)
{
	char path[64];
	(void)ctx;
	snprintf(path, sizeof(path), "bkt/conf%d", ++g_seq);
	return open_s3(path, NULL, out);
}

static void
put(struct duet_fs *fs, const char *path, const void *data, size_t n, int64_t mtime)
{
	struct duet_wstream *w;
	assert_int_equal(fs->ops->open_write(fs, path, (int64_t)n, &w), 0);
	if (n > 0)
		assert_int_equal(w->ops->write(w, data, n), 0);
	assert_int_equal(w->ops->commit(w, mtime), 0);
}

static void
get_md5(struct duet_fs *fs, const char *path, unsigned char md5[16], int64_t *size)
{
	struct duet_rstream *r;
	struct duet_hasher *h;
	struct duet_hashes d;
	char buf[65536];
	ssize_t k;

	*size = 0;
	assert_int_equal(fs->ops->open_read(fs, path, 0, &r), 0);
	assert_int_equal(duet_hasher_new(DUET_HASH_BIT(DUET_HASH_MD5), &h), 0);
	while ((k = r->ops->read(r, buf, sizeof(buf))) > 0) {
		duet_hasher_update(h, buf, (size_t)k);
		*size += k;
	}
	assert_int_equal(k, 0);
	duet_hasher_final(h, &d);
	duet_hasher_free(h);
	r->ops->close(r);
	memcpy(md5, d.v[DUET_HASH_MD5], 16);
}

struct names {
	char v[6000][64];
	int n;
	int dirs;
};

static int
collect(void *ctx, const struct duet_entry *e)
{
	struct names *nm = ctx;
	if (e->type == DUET_T_DIR)
		nm->dirs++;
	if (nm->n < 6000)
		snprintf(nm->v[nm->n++], 64, "%s", e->path);
	return 0;
}

static void
t_odd_keys(void **state)
{
	static const char *names[] = {"with space.txt", "unicodé ☃.txt", "a+b.txt", "100%.txt",
	    "what?.txt", "hash#tag.txt", "amp&lt.txt", "sub dir/x y.txt"};
	struct duet_fs *fs;
	struct names *nm = calloc(1, sizeof(*nm));
	struct duet_entry e;
	(void)state;

	assert_int_equal(open_s3("bkt/odd", NULL, &fs), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		put(fs, names[i], names[i], strlen(names[i]), 1600000000123456789LL + (int64_t)i);
	assert_int_equal(fs->ops->list(fs, "", collect, nm), 0);
	assert_int_equal(nm->n, 8); /* 7 files and "sub dir" */
	assert_int_equal(nm->dirs, 1);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(fs->ops->stat(fs, names[i], &e), 0);
		assert_int_equal(e.size, (int64_t)strlen(names[i]));
		assert_int_equal(e.mtime, 1600000000123456789LL + (int64_t)i);
	}
	duet_fs_close(fs);
	free(nm);
}

static void
t_many_keys_and_batch_delete(void **state)
{
	struct duet_fs *fs, *small;
	struct names *nm = calloc(1, sizeof(*nm));
	const char **paths = calloc(5000, sizeof(*paths));
	int *codes = calloc(5000, sizeof(*codes));
	char name[32];
	(void)state;

	assert_int_equal(open_s3("bkt/many", NULL, &fs), 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "k%05d", i);
		put(fs, name, "x", 1, 0);
	}
	assert_int_equal(fs->ops->list(fs, "", collect, nm), 0);
	assert_int_equal(nm->n, 5000);
	assert_string_equal(nm->v[4999], "k04999");
	/* the same through pages of 700 keys */
	assert_int_equal(open_s3("bkt/many", "list_chunk=700", &small), 0);
	nm->n = 0;
	assert_int_equal(small->ops->list(small, "", collect, nm), 0);
	assert_int_equal(nm->n, 5000);
	for (int i = 0; i < 5000; i++)
		paths[i] = strdup(nm->v[i]);
	assert_int_equal(fs->ops->remove_batch(fs, paths, 5000, codes), 0);
	for (int i = 0; i < 5000; i++) {
		assert_int_equal(codes[i], 0);
		free((char *)paths[i]);
	}
	/* the root's prefix now holds nothing: an empty listing (a bucket
	 * prefix cannot tell "empty" from "absent"; Azure lists the same) */
	nm->n = 0;
	assert_int_equal(fs->ops->list(fs, "", collect, nm), 0);
	assert_int_equal(nm->n, 0);
	duet_fs_close(small);
	duet_fs_close(fs);
	free(paths);
	free(codes);
	free(nm);
}

/* Multipart uploads in progress for the bucket (ListMultipartUploads). */
static int
uploads_in_progress(struct duet_fs *dfs)
{
	struct s3_fs *fs = (struct s3_fs *)dfs;
	struct duet_s3_kv q[1] = {{"uploads", ""}};
	struct duet_http_resp resp;
	struct s3_call c = {0};
	int n = 0;
	const char *p;

	c.method = "GET";
	c.bucket = fs->bucket;
	c.query = q;
	c.nquery = 1;
	duet_http_resp_init(&resp);
	assert_int_equal(s3_do(fs, &c, &resp), 0);
	for (p = resp.body.p; p != NULL && (p = strstr(p, "<UploadId>")) != NULL; p++)
		n++;
	duet_http_resp_dispose(&resp);
	return n;
}

static void
t_multipart(void **state)
{
	size_t n = 12 * 1024 * 1024 + 12345;
	unsigned char *data = malloc(n), md5[16], got[16];
	struct duet_fs *fs;
	struct duet_wstream *w;
	struct duet_hashes h;
	struct duet_entry e;
	int64_t size;
	(void)state;

	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7 + i / 4096);
	assert_int_equal(s3_md5(data, n, md5), 0);
	assert_int_equal(open_s3("bkt/mp", "chunk_size=5Mi,upload_concurrency=3", &fs), 0);
	put(fs, "big.bin", data, n, 1500000000000000001LL);
	get_md5(fs, "big.bin", got, &size);
	assert_int_equal(size, (int64_t)n);
	assert_memory_equal(md5, got, 16);
	memset(&h, 0, sizeof(h));
	assert_int_equal(fs->ops->hash(fs, "big.bin", DUET_HASH_MD5, &h), 0);
	assert_memory_equal(h.v[DUET_HASH_MD5], md5, 16); /* md5chksum, as rclone's */
	memset(&e, 0, sizeof(e));
	assert_int_equal(fs->ops->stat(fs, "big.bin", &e), 0);
	assert_int_equal(e.mtime, 1500000000000000001LL);
	assert_int_equal(uploads_in_progress(fs), 0);
	/* a move over copy_cutoff: no CopyObject can take it, the bytes go
	 * through here, with the mtime and the MD5 */
	{
		struct duet_fs *cut;
		assert_int_equal(open_s3("bkt/mp", "chunk_size=5Mi,copy_cutoff=5Mi", &cut), 0);
		assert_int_equal(cut->ops->move(cut, "big.bin", "moved.bin"), 0);
		assert_int_equal(cut->ops->stat(cut, "big.bin", &e), DUET_E_NOTFOUND);
		get_md5(cut, "moved.bin", got, &size);
		assert_int_equal(size, (int64_t)n);
		assert_memory_equal(md5, got, 16);
		memset(&h, 0, sizeof(h));
		assert_int_equal(cut->ops->hash(cut, "moved.bin", DUET_HASH_MD5, &h), 0);
		assert_memory_equal(h.v[DUET_HASH_MD5], md5, 16);
		assert_int_equal(cut->ops->stat(cut, "moved.bin", &e), 0);
		assert_int_equal(e.mtime, 1500000000000000001LL);
		duet_fs_close(cut);
	}
	/* an abort after two parts went up: nothing visible, nothing left */
	assert_int_equal(fs->ops->open_write(fs, "gone.bin", -1, &w), 0);
	assert_int_equal(w->ops->write(w, data, n), 0);
	w->ops->abort(w);
	assert_int_equal(fs->ops->stat(fs, "gone.bin", &e), DUET_E_NOTFOUND);
	assert_int_equal(uploads_in_progress(fs), 0);
	duet_fs_close(fs);
	free(data);
}

static void
t_mtime_format_and_set(void **state)
{
	struct duet_fs *fs;
	struct duet_entry e;
	struct s3_head h;
	char t[40];
	int64_t ns;
	(void)state;

	s3_mtime_format(1637255341123456789LL, t, sizeof(t));
	assert_string_equal(t, "1637255341.123456789");
	assert_int_equal(s3_mtime_parse("1637255341.5", &ns), 0);
	assert_int_equal(ns, 1637255341500000000LL);
	assert_int_equal(s3_mtime_parse("1637255341", &ns), 0);
	assert_int_equal(ns, 1637255341000000000LL);
	assert_int_not_equal(s3_mtime_parse("12x", &ns), 0);
	assert_int_equal(open_s3("bkt/mt", NULL, &fs), 0);
	put(fs, "f", "abc", 3, 1000000000000000007LL);
	assert_int_equal(fs->ops->set_mtime(fs, "f", 1200000000000000009LL), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(fs->ops->stat(fs, "f", &e), 0);
	assert_int_equal(e.mtime, 1200000000000000009LL);
	assert_int_equal(e.size, 3);
	assert_int_equal(s3_head((struct s3_fs *)fs, "mt/f", &h), 0);
	assert_true(h.has_md5);
	duet_fs_close(fs);
}

static void
t_wrong_credentials(void **state)
{
	char spec[1024];
	struct duet_remote r;
	struct duet_fs *fs;
	struct names *nm = calloc(1, sizeof(*nm));
	(void)state;

	snprintf(spec, sizeof(spec), ":s3,provider=Other,access_key_id=S3RVER,"
	    "secret_access_key=NOT-THE-SECRET-123,endpoint='%s',force_path_style=true:bkt", g_endpoint);
	assert_int_equal(duet_remote_parse(spec, NULL, NULL, &r), 0);
	assert_int_equal(duet_s3_backend.open(&r, NULL, &fs), 0);
	duet_remote_dispose(&r);
	assert_int_equal(fs->ops->list(fs, "", collect, nm), DUET_E_AUTH);
	assert_null(strstr(duet_err_msg(), "NOT-THE-SECRET-123"));
	assert_non_null(strstr(duet_err_msg(), "check access_key_id and secret_access_key"));
	duet_fs_close(fs);
	free(nm);
}

/* A server that answers every request with a cut-off listing. */
static void
t_malformed_listing(void **state)
{
	const char *py = "import http.server,sys\n"
	    "class H(http.server.BaseHTTPRequestHandler):\n"
	    " def do_GET(s):\n"
	    "  b=b'<?xml version=\"1.0\"?><ListBucketResult><Contents><Key>a</Key><Size>1x</Size>'\n"
	    "  s.send_response(200);s.send_header('Content-Length',str(len(b)));s.end_headers();s.wfile.write(b)\n"
	    " do_HEAD=do_GET\n"
	    " def log_message(s,*a): pass\n"
	    "srv=http.server.HTTPServer(('127.0.0.1',0),H)\n"
	    "print(srv.server_address[1],flush=True)\n"
	    "srv.serve_forever()\n";
	char port[16], spec[512];
	struct duet_remote r;
	struct duet_fs *fs;
	struct names *nm = calloc(1, sizeof(*nm));
	FILE *p;
	(void)state;

	{
		FILE *f = fopen("/tmp/duet-test-s3-bad.py", "w");
		assert_non_null(f);
		fputs(py, f);
		fclose(f);
	}
	p = popen("python3 /tmp/duet-test-s3-bad.py", "r");
	assert_non_null(p);
	assert_non_null(fgets(port, sizeof(port), p));
	port[strcspn(port, "\n")] = '\0';
	snprintf(spec, sizeof(spec), ":s3,provider=Other,access_key_id=A,secret_access_key=B,"
	    "endpoint='http://127.0.0.1:%s',force_path_style=true:bkt", port);
	assert_int_equal(duet_remote_parse(spec, NULL, NULL, &r), 0);
	assert_int_equal(duet_s3_backend.open(&r, NULL, &fs), 0);
	duet_remote_dispose(&r);
	assert_int_equal(fs->ops->list(fs, "", collect, nm), DUET_E_CORRUPT);
	assert_non_null(strstr(duet_err_msg(), "ListObjectsV2"));
	duet_fs_close(fs);
	assert_int_equal(system("pkill -f \"[d]uet-test-s3-bad.py\""), 0);
	pclose(p);
	unlink("/tmp/duet-test-s3-bad.py");
	free(nm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_odd_keys),
		cmocka_unit_test(t_many_keys_and_batch_delete),
		cmocka_unit_test(t_multipart),
		cmocka_unit_test(t_mtime_format_and_set),
		cmocka_unit_test(t_wrong_credentials),
		cmocka_unit_test(t_malformed_listing),
	};
	struct duet_conf_target t = {"s3 (s3rver)", conf_open, NULL, NULL};
	int failed;

	if (start_server() != 0) {
		fprintf(stderr, "s3rver did not start\n");
		return 1;
	}
	failed = duet_conformance_run(&t);
	failed += cmocka_run_group_tests(tests, NULL, NULL);
	stop_server();
	return failed != 0;
}
