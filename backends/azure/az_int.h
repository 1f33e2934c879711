/*
 * az_int.h: private to the Azure Blob backend: the fs, the one request
 * helper every operation goes through (URL from az_conn, a fresh x-ms-date
 * and SharedKey signature for every attempt of the http layer, Azure's
 * error answers turned into codes and one-line messages), and the
 * helpers the operation files share. az_fs.c: config, open/close and
 * requests; az_list.c: listings and stat; az_ops.c: the other operations;
 * az_io.c: the streams.
 */
#ifndef DUET_BACKENDS_AZURE_AZ_INT_H
#define DUET_BACKENDS_AZURE_AZ_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include "az_auth.h"
#include "az_conn.h"
#include "az_xml.h"
#include "backends/http/http.h"
#include "core/backend.h"

#define AZ_HEADERS_MAX 64            /* headers an operation sends */
#define AZ_DEF_CHUNK (4 << 20)       /* rclone's chunk_size */
#define AZ_DEF_CONCURRENCY 16        /* rclone's upload_concurrency */
#define AZ_MAX_BLOCK ((int64_t)4000 << 20) /* Azure's largest block */
#define AZ_LIST_MAX 5000             /* Azure's largest maxresults */
#define AZ_B64_MD5 25                /* base64 of 16 bytes + NUL */

struct az_fs {
	struct duet_fs base;
	struct duet_http *http;   /* one client (pool) per fs */
	struct duet_az_conn conn; /* base URL and credentials */
	char *container;          /* NULL at the account root (containers listed) */
	char *prefix;             /* blob name prefix of the root: "" or "a/b/" */
	char *tier;               /* x-ms-access-tier of uploads ("Hot"...) or NULL */
	int64_t chunk_size;       /* bytes of a block; larger writes go in blocks */
	int concurrency;          /* blocks of one write in flight */
	int list_chunk;           /* maxresults of a List Blobs page */
	int no_md5_check;         /* --ignore-checksum: downloads unchecked */
	atomic_int container_ok;  /* the container is known to exist */
};

/* One request. Every pointer is borrowed for the call. */
struct az_call {
	const char *method;
	const char *container;                /* NULL: the account */
	const char *blob;                     /* full blob name; NULL: the container */
	const char *query;                    /* built with duet_az_query_add, no SAS;
	                                         NULL for none */
	const struct duet_az_header *headers; /* sent and signed (values non-NULL) */
	size_t nheaders;                      /* at most AZ_HEADERS_MAX */
	const void *body;                     /* memory body or NULL */
	size_t body_len;
	duet_http_sink_fn sink;               /* 2xx body; NULL: into resp->body */
	duet_http_reset_fn sink_reset;
	void *sink_ctx;
	const char *what;                     /* for messages: "list ctr/a/b" */
};

/* A request's URL and signing state; az_prep_dispose frees it. */
struct az_prep {
	struct az_fs *fs;
	const struct az_call *c;
	struct duet_buf url, path, hbuf;
	const char *hdr[AZ_HEADERS_MAX + 1];        /* "Name: value" lines sent */
	struct duet_az_header sh[AZ_HEADERS_MAX + 3]; /* signed: c->headers, version,
	                                               Content-Length, x-ms-date */
	size_t nsh;                                 /* without x-ms-date */
	char clen[24];
	struct duet_http_req req;
};

/* Runs c; resp is initialised by the caller. A non-2xx answer's error
 * (XML body or x-ms-error-code) sets "azureblob: WHAT: ..." and gives the
 * code; DUET_E_AUTH adds the advice to check the credentials. */
int az_do(struct az_fs *fs, const struct az_call *c, struct duet_http_resp *resp);
/* Opens c (a GET) as a stream; p, c and resp must live until it closes. */
int az_stream(struct az_fs *fs, const struct az_call *c, struct az_prep *p,
    struct duet_http_resp *resp, struct duet_http_stream **out);
void az_prep_dispose(struct az_prep *p);

/* The full blob name of a root-relative path ("" names the root's prefix
 * without its '/'). New string (duet_free) or NULL when out of memory. */
char *az_blob(const struct az_fs *fs, const char *path);
/* Sets the message for an operation at the account root (no container)
 * and returns DUET_E_INVAL. */
int az_need_container(const struct az_fs *fs, const char *op);
/* Creates the root's container unless known to exist (409 is success). */
int az_container_ensure(struct az_fs *fs);

/* MD5 of n bytes. Errors: DUET_E_NOMEM, DUET_E_IO. */
int az_md5(const void *data, size_t n, unsigned char out[16]);
/* base64 of a 16-byte digest into out (AZ_B64_MD5 bytes). */
void az_md5_b64(const unsigned char md5[16], char out[AZ_B64_MD5]);

/* What a HEAD (Get Blob Properties) tells. */
struct az_props {
	int64_t size;          /* Content-Length */
	int64_t mtime;         /* metadata mtime, else Last-Modified; 0 unknown */
	int has_md5;           /* md5 is valid */
	unsigned char md5[16]; /* Content-MD5 */
	int folder;            /* a directory marker (hdi_isfolder=true) */
	char copy_status[32];  /* x-ms-copy-status, "" when absent */
};
/*
 * HEAD of blob in container (fs's own when NULL); props may be NULL. With
 * keep, resp keeps the answer (its x-ms-meta-* headers) for the caller,
 * who initialised it; else a private one is used. Errors: DUET_E_NOTFOUND
 * (message "azureblob: WHAT: not found"), those of az_do.
 */
int az_head(struct az_fs *fs, const char *container, const char *blob, const char *what,
    struct az_props *props, struct duet_http_resp *keep);
/* Reads props out of a HEAD or GET answer. */
void az_props_read(const struct duet_http_resp *resp, struct az_props *p);

/* What lies under prefix (a full blob name prefix ending in '/'): *other
 * when any blob but prefix itself, *marker when a blob named prefix (a
 * directory marker). Either may be NULL. Errors: those of az_do. */
int az_children(struct az_fs *fs, const char *prefix, int *other, int *marker);

/* Operations (az_list.c, az_ops.c, az_io.c). */
int az_list(struct duet_fs *fs, const char *dir, duet_list_fn fn, void *ctx);
int az_stat(struct duet_fs *fs, const char *path, struct duet_entry *e);
int az_open_read(struct duet_fs *fs, const char *path, int64_t offset, struct duet_rstream **out);
int az_open_write(struct duet_fs *fs, const char *path, int64_t size, struct duet_wstream **out);
int az_mkdir(struct duet_fs *fs, const char *dir);
int az_rmdir(struct duet_fs *fs, const char *dir);
int az_remove(struct duet_fs *fs, const char *path);
int az_move(struct duet_fs *fs, const char *src, const char *dst);
int az_copy(struct duet_fs *fs, const char *src, const char *dst);
int az_set_mtime(struct duet_fs *fs, const char *path, int64_t mtime);
int az_move_from(struct duet_fs *fs, struct duet_fs *src_fs, const char *src, const char *dst);
int az_list_r(struct duet_fs *fs, const char *dir, duet_list_fn fn, void *ctx);
int az_copy_from(struct duet_fs *fs, struct duet_fs *src_fs, const char *src, const char *dst);
int az_hash(struct duet_fs *fs, const char *path, enum duet_hash_kind k, struct duet_hashes *out);

#endif
