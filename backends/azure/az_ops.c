/*
 * az_ops.c: the Azure Blob backend's operations on blobs and virtual
 * directories: mkdir (the container), rmdir (refused while anything is
 * below; a marker blob goes), Delete Blob, server-side Copy Blob (polled
 * while pending) for copy and move, Set Blob Metadata for the mtime (the
 * other metadata kept), and the MD5 from Content-MD5.
 */
#define _DEFAULT_SOURCE /* strcasecmp, strncasecmp */
#include "az_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "az_time.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"

#define AZ_COPY_POLLS 3600 /* ~1 h of polling a pending copy (1 s apart) */

/* One request without a body or with an empty one. */
static int
az_simple(struct az_fs *fs, const char *method, const char *container, const char *blob,
    const char *query, const char *what)
{
	struct duet_http_resp resp;
	struct az_call c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.method = method;
	c.container = container;
	c.blob = blob;
	c.query = query;
	c.what = what;
	duet_http_resp_init(&resp);
	rc = az_do(fs, &c, &resp);
	duet_http_resp_dispose(&resp);
	return rc;
}

/* "op path" for messages, into a buffer the caller disposes. */
static const char *
az_what(struct duet_buf *b, const char *op, const char *path)
{
	if (duet_buf_printf(b, "%s %s", op, path) != 0)
		return op;
	return b->p;
}

/* ---- directories ---- */

int
az_mkdir(struct duet_fs *dfs, const char *dir)
{
	struct az_fs *fs = (struct az_fs *)dfs;

	if (fs->container == NULL)
		return dir[0] == '\0' ? 0 : az_need_container(fs, "mkdir");
	/* Directories are implied by blob names; only the container is made. */
	return az_container_ensure(fs);
}

/* rmdir of the container itself, as rclone does: only when empty. */
static int
az_rmdir_container(struct az_fs *fs)
{
	char what[128];
	int rc, other = 0;

	if ((rc = az_children(fs, "", &other, NULL)) != 0)
		return rc;
	if (other)
		return duet_err_set(DUET_E_NOTEMPTY, "azureblob: rmdir %s: container not empty",
		    fs->base.name);
	snprintf(what, sizeof(what), "delete container %.64s", fs->container);
	rc = az_simple(fs, "DELETE", fs->container, NULL, "restype=container", what);
	if (rc == 0)
		atomic_store(&fs->container_ok, 0);
	return rc;
}

int
az_rmdir(struct duet_fs *dfs, const char *dir)
{
	struct az_fs *fs = (struct az_fs *)dfs;
	struct duet_buf prefix = DUET_BUF_INIT, what = DUET_BUF_INIT;
	struct az_props pr;
	char *blob = NULL;
	int rc, other = 0, marker = 0;

	if (fs->container == NULL)
		return az_need_container(fs, "rmdir");
	if (dir[0] == '\0' && fs->prefix[0] == '\0')
		return az_rmdir_container(fs);
	if ((blob = az_blob(fs, dir)) == NULL || duet_buf_printf(&prefix, "%s/", blob) != 0) {
		rc = duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
		goto out;
	}
	rc = az_children(fs, prefix.p, &other, &marker);
	if (rc == 0 && other)
		rc = duet_err_set(DUET_E_NOTEMPTY, "azureblob: rmdir %s: directory not empty", dir);
	if (rc == 0) {
		/* A blob of that name is a file, unless it is a folder marker. */
		rc = az_head(fs, NULL, blob, az_what(&what, "rmdir", dir), &pr, NULL);
		if (rc == 0 && !pr.folder)
			rc = duet_err_set(DUET_E_NOTDIR, "azureblob: rmdir %s: not a directory", dir);
		else if (rc == 0)
			rc = az_simple(fs, "DELETE", fs->container, blob, NULL, what.p);
		else if (rc == DUET_E_NOTFOUND)
			rc = 0;
	}
	if (rc == 0 && marker)
		rc = az_simple(fs, "DELETE", fs->container, prefix.p, NULL, what.p);
	if (rc == DUET_E_NOTFOUND) /* gone meanwhile */
		rc = 0;
out:
	duet_free(blob);
	duet_buf_dispose(&prefix);
	duet_buf_dispose(&what);
	return rc;
}

/* ---- files ---- */

int
az_remove(struct duet_fs *dfs, const char *path)
{
	struct az_fs *fs = (struct az_fs *)dfs;
	struct duet_buf what = DUET_BUF_INIT, pre = DUET_BUF_INIT;
	char *blob;
	int rc, dir = 0;

	if (fs->container == NULL)
		return az_need_container(fs, "delete");
	if ((blob = az_blob(fs, path)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	rc = az_simple(fs, "DELETE", fs->container, blob, NULL, az_what(&what, "delete", path));
	if (rc == DUET_E_NOTFOUND) {
		if (duet_buf_printf(&pre, "%s/", blob) == 0 && az_children(fs, pre.p, &dir, NULL) == 0 && dir)
			rc = duet_err_set(DUET_E_ISDIR, "azureblob: delete %s: is a directory", path);
		else
			rc = duet_err_set(DUET_E_NOTFOUND, "azureblob: delete %s: not found", path);
	}
	duet_free(blob);
	duet_buf_dispose(&what);
	duet_buf_dispose(&pre);
	return rc;
}

/* Waits for a pending copy onto blob to end (Azure copies large or
 * cross-account blobs in the background; Azurite at once). */
static int
az_copy_wait(struct az_fs *fs, const char *blob, const char *what)
{
	struct duet_http_resp resp;
	struct az_props pr;
	struct timespec ts = {0, 100000000};
	int rc = 0;

	for (int i = 0; i < AZ_COPY_POLLS; i++) {
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < 500000000)
			ts.tv_nsec *= 2;
		else
			ts = (struct timespec){1, 0};
		duet_http_resp_init(&resp);
		rc = az_head(fs, NULL, blob, what, &pr, &resp);
		if (rc == 0 && strcmp(pr.copy_status, "pending") != 0 &&
		    strcmp(pr.copy_status, "success") != 0) {
			const char *d = duet_http_resp_header(&resp, "x-ms-copy-status-description");
			rc = duet_err_set(DUET_E_IO, "azureblob: %s: copy %s: %.200s", what,
			    pr.copy_status, d != NULL ? d : "");
		}
		duet_http_resp_dispose(&resp);
		if (rc != 0 || strcmp(pr.copy_status, "pending") != 0)
			return rc;
	}
	return duet_err_set(DUET_E_TEMP, "azureblob: %s: still pending after an hour", what);
}

/* Copy Blob of sblob (in sfs, the same account) onto blob of fs. */
static int
az_copy_blob(struct az_fs *fs, struct az_fs *sfs, const char *sblob, const char *blob,
    const char *what)
{
	struct duet_buf src = DUET_BUF_INIT;
	struct duet_az_header h[2];
	struct duet_http_resp resp;
	struct az_call c;
	const char *st;
	size_t nh = 0;
	int rc;

	/* The source's URL (with the SAS token under SAS auth). */
	if (duet_az_conn_url(&sfs->conn, sfs->container, sblob, NULL, &src, NULL) != 0) {
		duet_buf_dispose(&src);
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	}
	h[nh++] = (struct duet_az_header){"x-ms-copy-source", src.p};
	if (fs->tier != NULL)
		h[nh++] = (struct duet_az_header){"x-ms-access-tier", fs->tier};
	memset(&c, 0, sizeof(c));
	c.method = "PUT";
	c.container = fs->container;
	c.blob = blob;
	c.headers = h;
	c.nheaders = nh;
	c.what = what;
	duet_http_resp_init(&resp);
	rc = az_do(fs, &c, &resp);
	st = rc == 0 ? duet_http_resp_header(&resp, "x-ms-copy-status") : NULL;
	if (st != NULL && strcmp(st, "pending") == 0)
		rc = az_copy_wait(fs, blob, what);
	else if (st != NULL && strcmp(st, "success") != 0)
		rc = duet_err_set(DUET_E_IO, "azureblob: %s: copy status %.32s", what, st);
	duet_http_resp_dispose(&resp);
	memset(src.p, 0, src.len);
	duet_buf_dispose(&src);
	return rc;
}

/* Copies src of sfs onto dst of fs: the source must be a blob. */
static int
az_copy_between(struct az_fs *fs, struct az_fs *sfs, const char *src, const char *dst)
{
	struct duet_buf what = DUET_BUF_INIT;
	struct az_props pr;
	char *sblob = NULL, *blob = NULL;
	int rc = 0;

	if (fs->container == NULL || sfs->container == NULL)
		return az_need_container(fs->container == NULL ? fs : sfs, "copy");
	if ((sblob = az_blob(sfs, src)) == NULL || (blob = az_blob(fs, dst)) == NULL)
		rc = duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	if (rc == 0)
		rc = az_head(sfs, NULL, sblob, az_what(&what, "copy", src), &pr, NULL);
	if (rc == 0 && pr.folder)
		rc = duet_err_set(DUET_E_ISDIR, "azureblob: copy %s: is a directory", src);
	if (rc == 0)
		rc = az_container_ensure(fs);
	if (rc == 0) {
		duet_buf_reset(&what);
		if (duet_buf_printf(&what, "copy %s to %s", src, dst) != 0)
			rc = duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	}
	if (rc == 0)
		rc = az_copy_blob(fs, sfs, sblob, blob, what.p);
	duet_free(sblob);
	duet_free(blob);
	duet_buf_dispose(&what);
	return rc;
}

int
az_copy(struct duet_fs *dfs, const char *src, const char *dst)
{
	return az_copy_between((struct az_fs *)dfs, (struct az_fs *)dfs, src, dst);
}

int
az_move(struct duet_fs *dfs, const char *src, const char *dst)
{
	int rc = az_copy(dfs, src, dst);
	return rc == 0 ? az_remove(dfs, src) : rc;
}

/* 1 when a's requests can name b's blobs as copy sources. */
static int
az_same_account(const struct az_fs *a, const struct az_fs *b)
{
	const struct duet_az_conn *x = &a->conn, *y = &b->conn;

	if (strcmp(x->base, y->base) != 0 || strcmp(x->account, y->account) != 0 || x->auth != y->auth)
		return 0;
	if (x->auth == DUET_AZ_AUTH_KEY)
		return x->key.len == y->key.len && memcmp(x->key.b, y->key.b, x->key.len) == 0;
	/* A SAS source carries its own token in its URL. */
	return x->auth == DUET_AZ_AUTH_SAS;
}

int
az_copy_from(struct duet_fs *dfs, struct duet_fs *src_fs, const char *src, const char *dst)
{
	struct az_fs *fs = (struct az_fs *)dfs, *sfs = (struct az_fs *)src_fs;

	if (src_fs->ops != dfs->ops || !az_same_account(fs, sfs))
		return DUET_E_XDEV;
	return az_copy_between(fs, sfs, src, dst);
}

int
az_move_from(struct duet_fs *dfs, struct duet_fs *src_fs, const char *src, const char *dst)
{
	int rc = az_copy_from(dfs, src_fs, src, dst);
	return rc == 0 ? az_remove(src_fs, src) : rc;
}

/* ---- metadata ---- */

/* The blob's metadata headers but mtime, then mtime = t, into h. The
 * strings live in b. Returns the count, or -1 when there are too many. */
static int
az_meta_keep(const struct duet_http_resp *resp, const char *t, struct duet_buf *b,
    struct duet_az_header *h, size_t max)
{
	size_t off[AZ_HEADERS_MAX], n = 0, pos = 0, nl;
	const char *name, *value;

	while (duet_http_resp_header_next(resp, &pos, "x-ms-meta-", &name, &nl, &value)) {
		if (nl == strlen("x-ms-meta-mtime") && strncasecmp(name, "x-ms-meta-mtime", nl) == 0)
			continue;
		if (n + 1 >= max || n >= AZ_HEADERS_MAX)
			return -1;
		off[n++] = b->len;
		if (duet_buf_append(b, name, nl) != 0 || duet_buf_putc(b, '\0') != 0 ||
		    duet_buf_puts(b, value) != 0 || duet_buf_putc(b, '\0') != 0)
			return -1;
	}
	for (size_t i = 0; i < n; i++) {
		h[i].name = b->p + off[i];
		h[i].value = h[i].name + strlen(h[i].name) + 1;
	}
	h[n++] = (struct duet_az_header){"x-ms-meta-mtime", t};
	return (int)n;
}

int
az_set_mtime(struct duet_fs *dfs, const char *path, int64_t mtime)
{
	struct az_fs *fs = (struct az_fs *)dfs;
	struct duet_buf what = DUET_BUF_INIT, mb = DUET_BUF_INIT;
	struct duet_az_header h[AZ_HEADERS_MAX];
	struct duet_http_resp resp;
	struct az_props pr;
	struct az_call c;
	char t[DUET_AZ_RFC3339_LEN], *blob;
	int rc, nh;

	if (fs->container == NULL)
		return az_need_container(fs, "set modification time");
	if ((blob = az_blob(fs, path)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	duet_az_time_format_rfc3339(mtime, t);
	duet_http_resp_init(&resp);
	/* Set Blob Metadata replaces all of it: read what is there first. */
	rc = az_head(fs, NULL, blob, az_what(&what, "set modification time of", path), &pr, &resp);
	if (rc == 0 && pr.folder)
		rc = duet_err_set(DUET_E_ISDIR, "azureblob: %s: is a directory", what.p);
	if (rc == 0 && (nh = az_meta_keep(&resp, t, &mb, h, AZ_HEADERS_MAX)) < 0)
		rc = duet_err_set(DUET_E_UNSUPPORTED, "azureblob: %s: too much metadata to keep",
		    what.p);
	if (rc == 0) {
		memset(&c, 0, sizeof(c));
		c.method = "PUT";
		c.container = fs->container;
		c.blob = blob;
		c.query = "comp=metadata";
		c.headers = h;
		c.nheaders = (size_t)nh;
		c.what = what.p;
		duet_http_resp_dispose(&resp);
		duet_http_resp_init(&resp);
		rc = az_do(fs, &c, &resp);
	}
	duet_http_resp_dispose(&resp);
	duet_free(blob);
	duet_buf_dispose(&what);
	duet_buf_dispose(&mb);
	return rc;
}

int
az_hash(struct duet_fs *dfs, const char *path, enum duet_hash_kind k, struct duet_hashes *out)
{
	struct az_fs *fs = (struct az_fs *)dfs;
	struct duet_buf what = DUET_BUF_INIT;
	struct az_props pr;
	char *blob;
	int rc;

	if (k != DUET_HASH_MD5)
		return duet_err_set(DUET_E_UNSUPPORTED, "azureblob: %s hashes are not kept",
		    duet_hash_name(k));
	if (fs->container == NULL)
		return az_need_container(fs, "hash");
	if ((blob = az_blob(fs, path)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	rc = az_head(fs, NULL, blob, az_what(&what, "hash", path), &pr, NULL);
	/* No Content-MD5 (a block upload that did not set one): success
	 * without the bit, the "no hash" that callers show as such. */
	if (rc == 0 && pr.has_md5) {
		out->mask |= DUET_HASH_BIT(DUET_HASH_MD5);
		memcpy(out->v[DUET_HASH_MD5], pr.md5, 16);
	}
	duet_free(blob);
	duet_buf_dispose(&what);
	return rc;
}
