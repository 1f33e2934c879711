/*
 * s3_int.h: private to the S3 backend: the fs, its options, and the one
 * request helper every operation goes through (URL, SigV4 per attempt,
 * error mapping from S3's XML error documents).
 */
#ifndef DUET_BACKENDS_S3_S3_INT_H
#define DUET_BACKENDS_S3_S3_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "backends/http/http.h"
#include "core/backend.h"
#include "s3_sign.h"
#include "s3_xml.h"

#define S3_MAX_PARTS 10000
#define S3_MIN_PART (5 << 20)

struct s3_fs {
	struct duet_fs base;
	struct duet_http *http;
	char *scheme_host;  /* "https://s3.eu-west-1.amazonaws.com" or the endpoint */
	char *host;         /* Host header of path-style requests, ":port" kept */
	char *vhost;        /* virtual-hosted: "BUCKET." + host; NULL: path style */
	char *region;
	char *bucket;       /* NULL at the root of the remote (buckets listed) */
	char *prefix;       /* key prefix of the root: "" or "a/b/" */
	char *akid, *secret, *token; /* NULL: anonymous */
	char *acl, *storage_class;
	int64_t chunk_size, copy_cutoff;
	int concurrency, list_chunk, no_check_bucket, markers;
	pthread_mutex_t kc_mu;
	struct duet_s3_keycache kc;
	atomic_int bucket_ok; /* the bucket is known to exist */
	atomic_llong list_date; /* the server's Date (unix s) of the earliest
	                           listing answer; 0 none (list_token) */
};

/* One request. key is the object key (full, with the prefix) or NULL for
 * the bucket itself; bucket NULL: the service (ListBuckets). */
struct s3_call {
	const char *method;
	const char *bucket;
	const char *key;
	const struct duet_s3_kv *query;
	size_t nquery;
	const struct duet_s3_kv *headers; /* signed and sent */
	size_t nheaders;
	const void *body;
	size_t body_len;
	const char *payload_hash; /* NULL: computed for a memory body */
	duet_http_sink_fn sink;
	duet_http_reset_fn sink_reset;
	void *sink_ctx;
	const char *what; /* for messages: "list a/b" */
	int stream;       /* open a stream (GET) instead of running it */
};

/* A request's URL and signing state; disposed with s3_call_dispose. */
struct s3_prep {
	struct s3_fs *fs;
	const struct s3_call *c;
	struct duet_buf url, path;
	const char *hdr[DUET_S3_HEADERS_MAX + 1];
	struct duet_buf hbuf;
	char phash[DUET_S3_HEX_LEN];
	struct duet_http_req req;
};

/* Runs c; resp is initialised by the caller. A non-2xx answer's XML error
 * sets the message ("s3: WHAT: ...") and gives the code. */
int s3_do(struct s3_fs *fs, const struct s3_call *c, struct duet_http_resp *resp);
/* Opens c as a stream (p and resp must live until the stream closes). */
int s3_stream(struct s3_fs *fs, const struct s3_call *c, struct s3_prep *p,
    struct duet_http_resp *resp, struct duet_http_stream **out);
void s3_prep_dispose(struct s3_prep *p);

/* The full key of a path of the root ("" names the root's prefix
 * without its '/'). New string or NULL. */
char *s3_key(const struct s3_fs *fs, const char *path);
/* Creates the bucket unless known to exist (no_check_bucket: trusted). */
int s3_bucket_ensure(struct s3_fs *fs);
/* Message when an operation needs a bucket and the root has none. */
int s3_need_bucket(const struct s3_fs *fs, const char *op);

/* MD5 of n bytes into out. Errors: DUET_E_NOMEM, DUET_E_IO. */
int s3_md5(const void *data, size_t n, unsigned char out[16]);

/* rclone's mtime metadata: "SECONDS.NANOS"; parse accepts any fraction. */
void s3_mtime_format(int64_t ns, char *out, size_t n);
int s3_mtime_parse(const char *s, int64_t *ns);
/* HEAD of a key: size, mtime (metadata, else Last-Modified), md5 (ETag or
 * md5chksum). DUET_E_NOTFOUND when absent. */
struct s3_head {
	int64_t size, mtime;
	int has_md5;
	unsigned char md5[16];
	char md5chksum[64];     /* the metadata as stored (base64), or "" */
	char content_type[256];
};
int s3_head(struct s3_fs *fs, const char *key, struct s3_head *h);

/* Server-side copy of src_key (in src_bucket) onto key, metadata copied
 * or replaced by the given headers (x-amz-metadata-directive REPLACE). */
int s3_copy_object(struct s3_fs *fs, const char *src_bucket, const char *src_key,
    const char *key, const struct duet_s3_kv *meta, size_t nmeta, int64_t size);

/* Operations (s3_ops.c, s3_io.c). */
int s3_list(struct duet_fs *fs, const char *dir, duet_list_fn fn, void *ctx);
int s3_stat(struct duet_fs *fs, const char *path, struct duet_entry *e);
int s3_open_read(struct duet_fs *fs, const char *path, int64_t offset, struct duet_rstream **out);
int s3_open_write(struct duet_fs *fs, const char *path, int64_t size, struct duet_wstream **out);
int s3_mkdir(struct duet_fs *fs, const char *dir);
int s3_rmdir(struct duet_fs *fs, const char *dir);
int s3_remove(struct duet_fs *fs, const char *path);
int s3_remove_batch(struct duet_fs *fs, const char *const *paths, size_t n, int *codes);
int s3_move(struct duet_fs *fs, const char *src, const char *dst);
int s3_copy(struct duet_fs *fs, const char *src, const char *dst);
int s3_set_mtime(struct duet_fs *fs, const char *path, int64_t mtime);
int s3_move_from(struct duet_fs *fs, struct duet_fs *src_fs, const char *src, const char *dst);
int s3_list_r(struct duet_fs *fs, const char *dir, duet_list_fn fn, void *ctx);
int s3_cleanup(struct duet_fs *fs, const char *dir, int64_t max_age, int dry_run, long *done);
int s3_copy_from(struct duet_fs *fs, struct duet_fs *src_fs, const char *src, const char *dst);
/* The key prefix of dir's children (fs->prefix + encoded dir + '/');
 * NULL when out of memory. */
char *s3_dir_prefix(const struct s3_fs *fs, const char *dir);
int s3_list_token(struct duet_fs *fs, char *buf, size_t n);
int s3_hash(struct duet_fs *fs, const char *path, enum duet_hash_kind k, struct duet_hashes *out);

#endif
