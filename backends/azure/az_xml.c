/*
 * az_xml.c: streaming parsers for List Blobs and error documents, on the
 * shared expat plumbing of backends/http/xml.h: an element is known by
 * its id under its parent (unknown ones are skipped with all below them),
 * and the text of the leaves we keep arrives when they close. Also the
 * error-code map and the Put Block List writer.
 */
#include "az_xml.h"

#include <string.h>

#include "az_auth.h"
#include "az_sas.h"
#include "az_time.h"
#include "backends/http/xml.h"
#include "core/alloc.h"
#include "core/error.h"

/* What an open element is, given its parent. */
enum xml_id {
	X_SKIP = 0, /* unknown, or below an unknown element */
	X_ROOT,     /* EnumerationResults or Error */
	X_BLOBS,    /* Blobs */
	X_NEXT,     /* NextMarker */
	X_BLOB,     /* Blob */
	X_BNAME,    /* Blob/Name */
	X_PROPS,    /* Blob/Properties */
	X_META,     /* Blob/Metadata */
	X_MITEM,    /* Blob/Metadata/<any> */
	X_LASTMOD,  /* Properties/Last-Modified */
	X_CLEN,     /* Properties/Content-Length */
	X_MD5,      /* Properties/Content-MD5 */
	X_ETAG,     /* Properties/Etag */
	X_BTYPE,    /* Properties/BlobType */
	X_TIER,     /* Properties/AccessTier */
	X_PREFIX,   /* BlobPrefix */
	X_PNAME,    /* BlobPrefix/Name */
	X_CODE,     /* Error/Code */
	X_MESSAGE,  /* Error/Message */
};

/* Children we know: (parent, element name) -> id. */
static const struct {
	enum xml_id parent;
	const char *name;
	enum xml_id id;
} xml_children[] = {
    {X_ROOT, "Blobs", X_BLOBS},
    {X_ROOT, "NextMarker", X_NEXT},
    {X_BLOBS, "Blob", X_BLOB},
    {X_BLOBS, "BlobPrefix", X_PREFIX},
    {X_BLOB, "Name", X_BNAME},
    {X_BLOB, "Properties", X_PROPS},
    {X_BLOB, "Metadata", X_META},
    {X_PREFIX, "Name", X_PNAME},
    {X_PROPS, "Last-Modified", X_LASTMOD},
    {X_PROPS, "Content-Length", X_CLEN},
    {X_PROPS, "Content-MD5", X_MD5},
    {X_PROPS, "Etag", X_ETAG},
    {X_PROPS, "BlobType", X_BTYPE},
    {X_PROPS, "AccessTier", X_TIER},
};

enum xml_kind { XK_LIST, XK_ERROR };

/* The blob being read; reset at each <Blob>. */
struct xml_blob {
	struct duet_buf name;                /* decoded name (capped) */
	struct duet_buf meta;                /* "name\0value\0" pairs (capped) */
	size_t moff[2 * DUET_AZ_META_COUNT]; /* offsets of names and values */
	size_t nmeta;
	struct duet_az_blob out; /* what the callback gets */
	char etag[256], btype[64], tier[64];
};

struct duet_az_xml {
	struct duet_xml *xp;
	enum xml_kind kind;
	int encoded;   /* the open Name has Encoded="true" */
	const char *t; /* text of the leaf being closed */
	size_t tlen;
	struct duet_az_list_cb cb;
	struct xml_blob blob;
	struct duet_buf prefix; /* decoded BlobPrefix name */
	struct duet_buf next;   /* NextMarker */
	struct duet_az_error err;
};

static void
xml_fail(struct duet_az_xml *x, int rc)
{
	duet_xml_fail(x->xp, rc);
}

static void
xml_corrupt(struct duet_az_xml *x, const char *why)
{
	duet_xml_bad(x->xp, DUET_E_CORRUPT, why);
}

static int
xml_is_leaf(enum xml_id id)
{
	switch (id) {
	case X_NEXT:
	case X_BNAME:
	case X_MITEM:
	case X_LASTMOD:
	case X_CLEN:
	case X_MD5:
	case X_ETAG:
	case X_BTYPE:
	case X_TIER:
	case X_PNAME:
	case X_CODE:
	case X_MESSAGE:
		return 1;
	default:
		return 0;
	}
}

static enum xml_id
xml_child(const struct duet_az_xml *x, enum xml_id parent, const char *name)
{
	if (parent == X_META)
		return X_MITEM;
	if (x->kind == XK_ERROR && parent == X_ROOT)
		return strcmp(name, "Code") == 0      ? X_CODE
		       : strcmp(name, "Message") == 0 ? X_MESSAGE
		                                      : X_SKIP;
	if (x->kind == XK_LIST)
		for (size_t i = 0; i < sizeof(xml_children) / sizeof(xml_children[0]); i++)
			if (xml_children[i].parent == parent &&
			    strcmp(xml_children[i].name, name) == 0)
				return xml_children[i].id;
	return X_SKIP;
}

static void
xml_blob_reset(struct xml_blob *b)
{
	duet_buf_reset(&b->name);
	duet_buf_reset(&b->meta);
	b->nmeta = 0;
	memset(&b->out, 0, sizeof(b->out));
	b->out.size = -1;
	b->etag[0] = b->btype[0] = b->tier[0] = '\0';
}

/* Starts a metadata entry: its name goes into the meta buffer now. */
static void
xml_meta_start(struct duet_az_xml *x, const char *name)
{
	struct xml_blob *b = &x->blob;
	int rc;

	if (b->nmeta == DUET_AZ_META_COUNT) {
		xml_corrupt(x, "more than 256 metadata entries on one blob");
		return;
	}
	b->moff[2 * b->nmeta] = b->meta.len;
	rc = duet_buf_append(&b->meta, name, strlen(name) + 1);
	if (rc == DUET_E_INVAL)
		xml_corrupt(x, "over 16 KiB of metadata on one blob");
	else if (rc != 0)
		xml_fail(x, rc);
}

static int
xml_attr_true(const char **attrs, const char *name)
{
	for (size_t i = 0; attrs[i] != NULL; i += 2)
		if (strcmp(attrs[i], name) == 0)
			return strcmp(attrs[i + 1], "true") == 0 ||
			       strcmp(attrs[i + 1], "True") == 0;
	return 0;
}

static int
xml_on_child(void *ctx, int parent, const char *name, const char **attrs)
{
	struct duet_az_xml *x = ctx;

	(void)attrs;
	if (parent < 0)
		return strcmp(name, x->kind == XK_LIST ? "EnumerationResults" : "Error") == 0 ? X_ROOT
		                                                                            : X_SKIP;
	if (parent == X_META)
		xml_meta_start(x, name);
	return (int)xml_child(x, (enum xml_id)parent, name);
}

static int
xml_on_leaf(void *ctx, int id)
{
	(void)ctx;
	return xml_is_leaf((enum xml_id)id);
}

static void
xml_on_open(void *ctx, int id, const char **attrs)
{
	struct duet_az_xml *x = ctx;

	if (id == X_BLOB)
		xml_blob_reset(&x->blob);
	else if (id == X_PREFIX)
		duet_buf_reset(&x->prefix);
	if (id == X_BNAME || id == X_PNAME)
		x->encoded = xml_attr_true(attrs, "Encoded");
}

/* Decodes the text of a Name into dst (reset first), checking it. */
static void
xml_take_name(struct duet_az_xml *x, struct duet_buf *dst)
{
	const char *t = x->t;
	int rc;

	duet_buf_reset(dst);
	if (x->tlen > DUET_AZ_NAME_MAX && !x->encoded)
		rc = DUET_E_INVAL;
	else if (x->encoded)
		rc = duet_az_pct_decode(t, x->tlen, dst);
	else
		rc = duet_buf_append(dst, t, x->tlen);
	if (rc == DUET_E_INVAL && x->encoded && dst->len < DUET_AZ_NAME_MAX)
		xml_corrupt(x, "bad %-escape in an encoded name");
	else if (rc == DUET_E_INVAL)
		xml_corrupt(x, "name longer than 4096 bytes");
	else if (rc != 0)
		xml_fail(x, rc);
	else if (dst->len == 0)
		xml_corrupt(x, "empty name");
	else if (memchr(dst->p, '\0', dst->len) != NULL)
		xml_corrupt(x, "name with a NUL byte");
}

/* Copies the text into a fixed field; over-long is corrupt. */
static void
xml_take_small(struct duet_az_xml *x, char *dst, size_t cap)
{
	if (x->tlen >= cap) {
		xml_corrupt(x, "over-long property");
		return;
	}
	memcpy(dst, x->t, x->tlen);
	dst[x->tlen] = '\0';
}

static void
xml_take_size(struct duet_az_xml *x)
{
	int64_t v = 0;

	if (x->tlen == 0 || x->tlen > 18) {
		xml_corrupt(x, "bad Content-Length");
		return;
	}
	for (size_t i = 0; i < x->tlen; i++) {
		char c = x->t[i];
		if (c < '0' || c > '9') {
			xml_corrupt(x, "bad Content-Length");
			return;
		}
		v = v * 10 + (c - '0');
	}
	x->blob.out.size = v;
}

static void
xml_take_lastmod(struct duet_az_xml *x)
{
	if (duet_az_time_parse_http(x->t, &x->blob.out.last_modified) != 0)
		xml_corrupt(x, "bad Last-Modified");
}

/* An unusable Content-MD5 only means no hash is known. */
static void
xml_take_md5(struct duet_az_xml *x)
{
	struct duet_az_blob *o = &x->blob.out;
	size_t n = 0;

	o->has_md5 =
	    x->tlen > 0 &&
	    duet_az_base64_decode(x->t, x->tlen, o->md5, sizeof(o->md5), &n) == 0 &&
	    n == sizeof(o->md5);
}

static int
xml_lc_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if ((*a >= 'A' && *a <= 'Z' ? *a - 'A' + 'a' : *a) != *b)
			return 0;
	return *a == *b;
}

static void
xml_meta_end(struct duet_az_xml *x)
{
	struct xml_blob *b = &x->blob;
	int rc;

	b->moff[2 * b->nmeta + 1] = b->meta.len;
	rc = duet_buf_append(&b->meta, x->t, x->tlen);
	if (rc == 0)
		rc = duet_buf_putc(&b->meta, '\0');
	if (rc == DUET_E_INVAL) {
		xml_corrupt(x, "over 16 KiB of metadata on one blob");
		return;
	}
	if (rc != 0) {
		xml_fail(x, rc);
		return;
	}
	/* Only now: the appends above may have moved the buffer. */
	if (xml_lc_eq(b->meta.p + b->moff[2 * b->nmeta], "mtime") &&
	    duet_az_time_parse_rfc3339(b->meta.p + b->moff[2 * b->nmeta + 1], &b->out.mtime) != 0)
		b->out.mtime = 0; /* rclone too falls back to Last-Modified */
	b->nmeta++;
}

/* A whole <Blob>: checks it and hands it to the callback. */
static void
xml_blob_end(struct duet_az_xml *x)
{
	struct xml_blob *b = &x->blob;
	struct duet_az_meta meta[DUET_AZ_META_COUNT];
	int rc;

	if (b->name.len == 0) {
		xml_corrupt(x, "Blob without a Name");
		return;
	}
	for (size_t i = 0; i < b->nmeta; i++) {
		meta[i].name = b->meta.p + b->moff[2 * i];
		meta[i].value = b->meta.p + b->moff[2 * i + 1];
	}
	b->out.name = b->name.p;
	b->out.namelen = b->name.len;
	b->out.etag = b->etag;
	b->out.blob_type = b->btype;
	b->out.access_tier = b->tier;
	b->out.meta = meta;
	b->out.nmeta = b->nmeta;
	rc = x->cb.blob != NULL ? x->cb.blob(x->cb.ctx, &b->out) : 0;
	b->out.meta = NULL;
	if (rc != 0)
		xml_fail(x, rc);
}

static void
xml_prefix_end(struct duet_az_xml *x)
{
	int rc;

	if (x->prefix.len == 0) {
		xml_corrupt(x, "BlobPrefix without a Name");
		return;
	}
	rc = x->cb.prefix != NULL ? x->cb.prefix(x->cb.ctx, x->prefix.p, x->prefix.len) : 0;
	if (rc != 0)
		xml_fail(x, rc);
}

static void
xml_take_error_field(struct duet_az_xml *x, char *dst, size_t cap)
{
	size_t n = x->tlen < cap ? x->tlen : cap - 1;
	memcpy(dst, x->t, n);
	dst[n] = '\0';
}

static void
xml_on_close(void *ctx, int id, int parent, const char *text, size_t len)
{
	struct duet_az_xml *x = ctx;
	struct xml_blob *b = &x->blob;
	int rc = 0;

	(void)parent;
	x->t = text;
	x->tlen = len;
	switch ((enum xml_id)id) {
	case X_BLOB:
		xml_blob_end(x);
		break;
	case X_PREFIX:
		xml_prefix_end(x);
		break;
	case X_BNAME:
		xml_take_name(x, &b->name);
		break;
	case X_PNAME:
		xml_take_name(x, &x->prefix);
		break;
	case X_MITEM:
		xml_meta_end(x);
		break;
	case X_CLEN:
		xml_take_size(x);
		break;
	case X_LASTMOD:
		xml_take_lastmod(x);
		break;
	case X_MD5:
		xml_take_md5(x);
		break;
	case X_ETAG:
		xml_take_small(x, b->etag, sizeof(b->etag));
		break;
	case X_BTYPE:
		xml_take_small(x, b->btype, sizeof(b->btype));
		break;
	case X_TIER:
		xml_take_small(x, b->tier, sizeof(b->tier));
		break;
	case X_CODE:
		xml_take_error_field(x, x->err.code, sizeof(x->err.code));
		break;
	case X_MESSAGE:
		xml_take_error_field(x, x->err.message, sizeof(x->err.message));
		break;
	case X_NEXT:
		duet_buf_reset(&x->next);
		rc = duet_buf_append(&x->next, x->t, x->tlen);
		break;
	default:
		break;
	}
	if (rc != 0)
		xml_fail(x, rc);
}

static const struct duet_xml_ops xml_ops = {
	.child = xml_on_child,
	.leaf = xml_on_leaf,
	.open = xml_on_open,
	.close = xml_on_close,
};

static int
xml_new(enum xml_kind kind, struct duet_az_xml **out)
{
	struct duet_az_xml *x = duet_calloc(1, sizeof(*x));
	struct duet_xml_conf c = {"azureblob", kind == XK_LIST ? "List Blobs" : "error",
	                          DUET_AZ_TEXT_MAX, &xml_ops, NULL};
	int rc;

	*out = NULL;
	if (x == NULL)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory for an XML parser");
	c.ctx = x;
	if ((rc = duet_xml_new(&c, &x->xp)) != 0) {
		duet_free(x);
		return rc;
	}
	x->kind = kind;
	x->t = "";
	x->blob.name.max = DUET_AZ_NAME_MAX;
	x->prefix.max = DUET_AZ_NAME_MAX;
	x->blob.meta.max = DUET_AZ_META_MAX;
	x->next.max = DUET_AZ_TEXT_MAX;
	*out = x;
	return 0;
}

int
duet_az_xml_list_new(const struct duet_az_list_cb *cb, struct duet_az_xml **out)
{
	int rc = xml_new(XK_LIST, out);
	if (rc == 0 && cb != NULL)
		(*out)->cb = *cb;
	return rc;
}

int
duet_az_xml_error_new(struct duet_az_xml **out)
{
	return xml_new(XK_ERROR, out);
}

int
duet_az_xml_feed(struct duet_az_xml *x, const void *data, size_t n)
{
	return duet_xml_feed(x->xp, data, n);
}

int
duet_az_xml_end(struct duet_az_xml *x)
{
	return duet_xml_end(x->xp);
}

const char *
duet_az_xml_next_marker(const struct duet_az_xml *x)
{
	return duet_xml_ended(x->xp) && x->next.p != NULL ? x->next.p : "";
}

const struct duet_az_error *
duet_az_xml_error(const struct duet_az_xml *x)
{
	return &x->err;
}

void
duet_az_xml_free(struct duet_az_xml *x)
{
	if (x == NULL)
		return;
	duet_xml_free(x->xp);
	duet_buf_dispose(&x->blob.name);
	duet_buf_dispose(&x->blob.meta);
	duet_buf_dispose(&x->prefix);
	duet_buf_dispose(&x->next);
	duet_free(x);
}

int
duet_az_error_parse(const void *data, size_t n, struct duet_az_error *out)
{
	struct duet_az_xml *x = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = duet_az_xml_error_new(&x);
	if (rc != 0)
		return rc;
	rc = duet_az_xml_feed(x, data, n);
	if (rc == 0)
		rc = duet_az_xml_end(x);
	if (rc == 0)
		*out = x->err;
	else if (rc != DUET_E_NOMEM)
		rc = 0; /* not an error document: the status must do */
	duet_az_xml_free(x);
	return rc;
}

/* Azure error codes whose meaning beats the HTTP status. */
static const struct {
	const char *code;
	int err;
} xml_codes[] = {
    {"BlobNotFound", DUET_E_NOTFOUND},
    {"ContainerNotFound", DUET_E_NOTFOUND},
    {"ResourceNotFound", DUET_E_NOTFOUND},
    {"AuthenticationFailed", DUET_E_AUTH},
    {"AuthorizationFailure", DUET_E_AUTH},
    {"AuthorizationPermissionMismatch", DUET_E_AUTH},
    {"AuthorizationProtocolMismatch", DUET_E_AUTH},
    {"AuthorizationResourceTypeMismatch", DUET_E_AUTH},
    {"AuthorizationServiceMismatch", DUET_E_AUTH},
    {"AuthorizationSourceIPMismatch", DUET_E_AUTH},
    {"InsufficientAccountPermissions", DUET_E_AUTH},
    {"InvalidAuthenticationInfo", DUET_E_AUTH},
    {"NoAuthenticationInformation", DUET_E_AUTH},
    {"AccountIsDisabled", DUET_E_AUTH},
    {"ServerBusy", DUET_E_TEMP},
    {"InternalError", DUET_E_TEMP},
    {"OperationTimedOut", DUET_E_TEMP},
    {"ContainerBeingDeleted", DUET_E_TEMP},
    {"AccountBeingCreated", DUET_E_TEMP},
    {"BlobAlreadyExists", DUET_E_EXIST},
    {"ContainerAlreadyExists", DUET_E_EXIST},
    {"ResourceAlreadyExists", DUET_E_EXIST},
    {"ConditionNotMet", DUET_E_CHANGED},
    {"TargetConditionNotMet", DUET_E_CHANGED},
    {"SourceConditionNotMet", DUET_E_CHANGED},
    {"Md5Mismatch", DUET_E_HASH},
    {"InvalidResourceName", DUET_E_BADNAME},
    {"BlobArchived", DUET_E_PERM},
    {"LeaseIdMissing", DUET_E_PERM},
    {"LeaseAlreadyPresent", DUET_E_PERM},
    {"ContainerDisabled", DUET_E_PERM},
    {"InvalidBlockList", DUET_E_INVAL},
    {"InvalidBlockId", DUET_E_INVAL},
    {"RequestBodyTooLarge", DUET_E_INVAL},
    {"InvalidRange", DUET_E_INVAL},
};

int
duet_az_error_code(int http_status, const char *code)
{
	if (code != NULL && code[0] != '\0')
		for (size_t i = 0; i < sizeof(xml_codes) / sizeof(xml_codes[0]); i++)
			if (strcmp(xml_codes[i].code, code) == 0)
				return xml_codes[i].err;
	switch (http_status) {
	case 401:
	case 403:
		return DUET_E_AUTH;
	case 404:
		return DUET_E_NOTFOUND;
	case 409:
		return DUET_E_EXIST;
	case 412:
		return DUET_E_CHANGED;
	case 408:
	case 429:
		return DUET_E_TEMP;
	default:
		break;
	}
	if (http_status >= 500 && http_status <= 599)
		return DUET_E_TEMP;
	if (http_status >= 400 && http_status <= 499)
		return DUET_E_INVAL;
	return DUET_E_IO;
}

int
duet_az_error_set(int http_status, const struct duet_az_error *e, const char *what)
{
	struct duet_buf msg = DUET_BUF_INIT, red = DUET_BUF_INIT;
	const char *code = e != NULL ? e->code : "";
	const char *text = e != NULL ? e->message : "";
	int err = duet_az_error_code(http_status, code);
	int rc;

	rc = duet_buf_printf(&msg, "azureblob: %s: ", what);
	if (rc == 0 && text[0] != '\0')
		rc = duet_buf_printf(&msg, "%.*s (", (int)strcspn(text, "\r\n"), text);
	if (rc == 0 && code[0] != '\0')
		rc = duet_buf_printf(&msg, "%s, ", code);
	if (rc == 0)
		rc = duet_buf_printf(&msg, "HTTP %d%s", http_status, text[0] != '\0' ? ")" : "");
	if (rc == 0)
		rc = duet_az_redact(msg.p, &red);
	if (rc == 0)
		duet_err_set(err, "%s", red.p);
	else
		duet_err_set(err, "azureblob: %.64s: HTTP %d", code, http_status);
	duet_buf_dispose(&msg);
	duet_buf_dispose(&red);
	return err;
}

/* The decoded length of a block id (Azure: at most 64 bytes), or 0 when
 * it is not standard base64 of 1..64 bytes. */
static size_t
xml_id_len(const char *id)
{
	unsigned char raw[64];
	size_t n = 0;

	if (duet_az_base64_decode(id, strlen(id), raw, sizeof(raw), &n) != 0)
		return 0;
	return n;
}

int
duet_az_blocklist_xml(const char *const *ids, size_t n, struct duet_buf *out)
{
	size_t len0, raw0;
	int rc;

	if (n == 0 || n > DUET_AZ_BLOCKS_MAX)
		return duet_err_set(DUET_E_INVAL, "azureblob: %zu blocks in a block list (1..%d)",
		                    n, DUET_AZ_BLOCKS_MAX);
	/* Azure wants the ids of one blob all of the same (decoded) length. */
	raw0 = xml_id_len(ids[0]);
	len0 = strlen(ids[0]);
	for (size_t i = 0; i < n; i++)
		if (xml_id_len(ids[i]) != raw0 || raw0 == 0 || strlen(ids[i]) != len0)
			return duet_err_set(DUET_E_INVAL, "azureblob: bad block id #%zu \"%.96s\"",
			                    i, ids[i]);
	rc = duet_buf_reserve(out, 64 + n * (len0 + 17));
	if (rc == 0)
		rc = duet_buf_puts(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = duet_buf_printf(out, "<Latest>%s</Latest>", ids[i]);
	if (rc == 0)
		rc = duet_buf_puts(out, "</BlockList>");
	return rc;
}
