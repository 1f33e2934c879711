/*
 * s3_xml.c: streaming parsers for the S3 responses we read, on the shared
 * expat plumbing of backends/http/xml.h: an element is known by its id
 * under its parent (unknown ones are skipped with all below them), and
 * the text of the leaves we keep arrives when they close. Listing entries
 * are delivered as they complete once the key encoding is known, held
 * back until then. Error-code mapping, %-decoding and times are in
 * s3_util.c.
 */
#include "s3_xml.h"

#include <string.h>
#include <strings.h>

#include "backends/http/xml.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"

/* What an open element is, given its parent. Leaves come last. */
enum xml_id {
	X_SKIP = 0,  /* unknown, or below an unknown element */
	X_LROOT,     /* ListBucketResult */
	X_EROOT,     /* Error (the whole document) */
	X_IROOT,     /* InitiateMultipartUploadResult */
	X_CROOT,     /* CompleteMultipartUploadResult */
	X_YROOT,     /* CopyObjectResult */
	X_DROOT,     /* DeleteResult */
	X_UROOT,     /* ListMultipartUploadsResult */
	X_UPLOAD,    /* ListMultipartUploadsResult/Upload */
	X_CONTENTS,  /* ListBucketResult/Contents */
	X_CPREFIXES, /* ListBucketResult/CommonPrefixes */
	X_DELETED,   /* DeleteResult/Deleted */
	X_DERROR,    /* DeleteResult/Error */
	X_TRUNC,     /* IsTruncated: the first leaf */
	X_NEXT,      /* NextContinuationToken */
	X_KCOUNT,    /* KeyCount */
	X_ENC,       /* EncodingType */
	X_KEY,       /* Contents/Key, Deleted/Key, Error/Key */
	X_PREFIX,    /* CommonPrefixes/Prefix */
	X_LASTMOD,   /* LastModified */
	X_ETAG,      /* ETag */
	X_SIZE,      /* Size */
	X_SCLASS,    /* StorageClass */
	X_CODE,      /* Code */
	X_MESSAGE,   /* Message */
	X_REQID,     /* RequestId */
	X_REGION,    /* Region */
	X_ENDPOINT,  /* Endpoint */
	X_UPLOADID,  /* UploadId */
	X_INITIATED, /* Upload/Initiated */
	X_NKM,       /* NextKeyMarker */
	X_NUIM,      /* NextUploadIdMarker */
};

/* Children we know: (parent, element name) -> id. */
static const struct {
	unsigned char parent;
	const char *name;
	unsigned char id;
} xml_children[] = {
    {X_LROOT, "IsTruncated", X_TRUNC},
    {X_LROOT, "NextContinuationToken", X_NEXT},
    {X_LROOT, "KeyCount", X_KCOUNT},
    {X_LROOT, "EncodingType", X_ENC},
    {X_LROOT, "Contents", X_CONTENTS},
    {X_LROOT, "CommonPrefixes", X_CPREFIXES},
    {X_CONTENTS, "Key", X_KEY},
    {X_CONTENTS, "LastModified", X_LASTMOD},
    {X_CONTENTS, "ETag", X_ETAG},
    {X_CONTENTS, "Size", X_SIZE},
    {X_CONTENTS, "StorageClass", X_SCLASS},
    {X_CPREFIXES, "Prefix", X_PREFIX},
    {X_EROOT, "Code", X_CODE},
    {X_EROOT, "Message", X_MESSAGE},
    {X_EROOT, "RequestId", X_REQID},
    {X_EROOT, "Region", X_REGION},
    {X_EROOT, "Endpoint", X_ENDPOINT},
    {X_IROOT, "UploadId", X_UPLOADID},
    {X_CROOT, "ETag", X_ETAG},
    {X_YROOT, "ETag", X_ETAG},
    {X_YROOT, "LastModified", X_LASTMOD},
    {X_DROOT, "Deleted", X_DELETED},
    {X_DROOT, "Error", X_DERROR},
    {X_DELETED, "Key", X_KEY},
    {X_DERROR, "Key", X_KEY},
    {X_DERROR, "Code", X_CODE},
    {X_DERROR, "Message", X_MESSAGE},
    {X_UROOT, "IsTruncated", X_TRUNC},
    {X_UROOT, "NextKeyMarker", X_NKM},
    {X_UROOT, "NextUploadIdMarker", X_NUIM},
    {X_UROOT, "Upload", X_UPLOAD},
    {X_UPLOAD, "Key", X_KEY},
    {X_UPLOAD, "UploadId", X_UPLOADID},
    {X_UPLOAD, "Initiated", X_INITIATED},
};

enum xml_kind { XK_ERROR, XK_INITIATE, XK_COMPLETE, XK_COPY, XK_LIST, XK_DELETE, XK_UPLOADS };

/* Per kind: the root element we expect, its id, the name in messages. */
static const struct {
	const char *root;
	unsigned char id;
	const char *what;
} xml_kinds[] = {
    [XK_ERROR] = {"Error", X_EROOT, "error"},
    [XK_INITIATE] = {"InitiateMultipartUploadResult", X_IROOT, "InitiateMultipartUpload"},
    [XK_COMPLETE] = {"CompleteMultipartUploadResult", X_CROOT, "CompleteMultipartUpload"},
    [XK_COPY] = {"CopyObjectResult", X_YROOT, "CopyObject"},
    [XK_LIST] = {"ListBucketResult", X_LROOT, "ListObjectsV2"},
    [XK_DELETE] = {"DeleteResult", X_DROOT, "DeleteObjects"},
    [XK_UPLOADS] = {"ListMultipartUploadsResult", X_UROOT, "ListMultipartUploads"},
};

#define XML_PSTORE_MAX (64u << 20) /* bytes of held-back listing entries */

/* A listing entry held back until the key encoding is known. */
struct xml_pend {
	int is_prefix;
	size_t key, keylen, etag, sclass; /* offsets into pstore */
	int64_t size, mtime;
};

/* The Contents, CommonPrefixes, Deleted, Error or Upload being read. */
struct xml_entry {
	struct duet_buf key; /* Key or Prefix as sent (not decoded) */
	struct duet_buf uid; /* Upload/UploadId */
	int has_key;
	char etag[256];
	char sclass[64];
	int64_t size, mtime;
};

struct duet_s3_xml {
	struct duet_xml *xp;
	enum xml_kind kind;
	const char *t; /* text of the leaf being closed */
	size_t tlen;
	struct duet_s3_list_cb lcb;
	struct duet_s3_delete_cb dcb;
	struct duet_s3_uploads_cb ucb;
	struct xml_entry e;
	struct duet_buf dec;   /* the decoded key being delivered */
	int enc_known;         /* EncodingType seen (or document over) */
	struct xml_pend *pend; /* npend held-back entries */
	size_t npend, pcap;
	struct duet_buf pstore; /* their strings, NUL-terminated */
	struct duet_buf next, upload_id, next_key, next_uid;
	char etag[256];
	struct duet_s3_error err;  /* a root <Error> */
	struct duet_s3_error derr; /* the open DeleteResult/Error */
	struct duet_s3_result res;
};

static const char *
xml_what(const struct duet_s3_xml *x)
{
	return xml_kinds[x->kind].what;
}

/* The sticky first error. */
static int
xml_rc(const struct duet_s3_xml *x)
{
	return duet_xml_rc(x->xp);
}

static void
xml_fail(struct duet_s3_xml *x, int rc)
{
	duet_xml_fail(x->xp, rc);
}

static void
xml_bad(struct duet_s3_xml *x, int code, const char *why)
{
	duet_xml_bad(x->xp, code, why);
}

static void
xml_corrupt(struct duet_s3_xml *x, const char *why)
{
	xml_bad(x, DUET_E_CORRUPT, why);
}

static enum xml_id
xml_child(enum xml_id parent, const char *name)
{
	for (size_t i = 0; i < sizeof(xml_children) / sizeof(xml_children[0]); i++)
		if (xml_children[i].parent == parent && strcmp(xml_children[i].name, name) == 0)
			return (enum xml_id)xml_children[i].id;
	return X_SKIP;
}

static void
xml_entry_reset(struct xml_entry *e)
{
	duet_buf_reset(&e->key);
	duet_buf_reset(&e->uid);
	e->has_key = 0;
	e->etag[0] = e->sclass[0] = '\0';
	e->size = -1;
	e->mtime = 0;
}

static int
xml_on_child(void *ctx, int parent, const char *name, const char **attrs)
{
	struct duet_s3_xml *x = ctx;
	enum xml_id id;

	(void)attrs;
	if (parent >= 0)
		return (int)xml_child((enum xml_id)parent, name);
	if (strcmp(name, xml_kinds[x->kind].root) == 0)
		id = (enum xml_id)xml_kinds[x->kind].id;
	else if (strcmp(name, "Error") == 0)
		id = X_EROOT;
	else
		return X_SKIP;
	if (id == X_EROOT)
		x->res.error = &x->err;
	return (int)id;
}

static int
xml_on_leaf(void *ctx, int id)
{
	(void)ctx;
	return id >= X_TRUNC;
}

static void
xml_on_open(void *ctx, int id, const char **attrs)
{
	struct duet_s3_xml *x = ctx;

	(void)attrs;
	if (id == X_CONTENTS || id == X_CPREFIXES || id == X_DELETED || id == X_DERROR ||
	    id == X_UPLOAD)
		xml_entry_reset(&x->e);
	if (id == X_DERROR)
		memset(&x->derr, 0, sizeof(x->derr));
}

/* Error-document fields are for people: over-long text is cut, not fatal;
 * an over-long key is a bad name. */
static int
xml_on_text_over(void *ctx, int id)
{
	struct duet_s3_xml *x = ctx;

	if (id == X_KEY || id == X_PREFIX) {
		xml_bad(x, DUET_E_BADNAME, "key longer than 4096 bytes");
		return -1;
	}
	return id == X_CODE || id == X_MESSAGE || id == X_REQID || id == X_REGION ||
	       id == X_ENDPOINT;
}

/* Decodes (when url) and checks a key into x->dec. */
static int
xml_take_key(struct duet_s3_xml *x, const char *raw, size_t n, int url)
{
	int rc;

	duet_buf_reset(&x->dec);
	rc = url ? duet_s3_url_decode(raw, n, &x->dec) : duet_buf_append(&x->dec, raw, n);
	if (rc == DUET_E_INVAL)
		xml_corrupt(x, "bad %-escape in an encoded key");
	else if (rc != 0)
		xml_fail(x, rc);
	else if (x->dec.len == 0)
		xml_bad(x, DUET_E_BADNAME, "empty key");
	else if (x->dec.len > DUET_S3_NAME_MAX)
		xml_bad(x, DUET_E_BADNAME, "key longer than 4096 bytes");
	else if (memchr(x->dec.p, '\0', x->dec.len) != NULL)
		xml_bad(x, DUET_E_BADNAME, "key with a NUL byte");
	return xml_rc(x);
}

/* Hands one listing entry to its callback; o->key is the key as sent. */
static void
xml_deliver(struct duet_s3_xml *x, int is_prefix, struct duet_s3_object *o)
{
	int rc = 0;

	if (xml_take_key(x, o->key, o->keylen, x->res.url_encoded) != 0)
		return;
	o->key = x->dec.p;
	o->keylen = x->dec.len;
	if (is_prefix) {
		if (x->lcb.prefix != NULL)
			rc = x->lcb.prefix(x->lcb.ctx, o->key, o->keylen);
	} else if (x->lcb.object != NULL) {
		rc = x->lcb.object(x->lcb.ctx, o);
	}
	if (rc != 0)
		xml_fail(x, rc);
}

/* Delivers the held-back entries once the encoding is known. */
static void
xml_flush(struct duet_s3_xml *x)
{
	x->enc_known = 1;
	for (size_t i = 0; i < x->npend && xml_rc(x) == 0; i++) {
		const struct xml_pend *pe = &x->pend[i];
		const char *b = x->pstore.p;
		struct duet_s3_object o = {b + pe->key, pe->keylen,   pe->size,
		                           pe->mtime,   b + pe->etag, b + pe->sclass};
		xml_deliver(x, pe->is_prefix, &o);
	}
	x->npend = 0;
	duet_buf_reset(&x->pstore);
}

static int
xml_store(struct duet_s3_xml *x, const char *s, size_t n, size_t *off)
{
	int rc;

	*off = x->pstore.len;
	rc = duet_buf_append(&x->pstore, s, n);
	if (rc == 0)
		rc = duet_buf_putc(&x->pstore, '\0');
	return rc;
}

/* Holds an entry back: the encoding is not known yet. */
static void
xml_hold(struct duet_s3_xml *x, struct xml_pend *pe)
{
	struct xml_entry *e = &x->e;
	int rc = 0;

	if (x->npend == DUET_S3_PENDING_MAX) {
		xml_corrupt(x, "too many entries before EncodingType");
		return;
	}
	if (x->npend == x->pcap) {
		size_t cap = x->pcap ? 2 * x->pcap : 64;
		struct xml_pend *np = duet_reallocarray(x->pend, cap, sizeof(*np));
		if (np == NULL) {
			xml_fail(x, duet_err_set(DUET_E_NOMEM, "s3: out of memory in a listing"));
			return;
		}
		x->pend = np;
		x->pcap = cap;
	}
	x->pstore.max = XML_PSTORE_MAX;
	rc = xml_store(x, e->key.p ? e->key.p : "", e->key.len, &pe->key);
	if (rc == 0)
		rc = xml_store(x, e->etag, strlen(e->etag), &pe->etag);
	if (rc == 0)
		rc = xml_store(x, e->sclass, strlen(e->sclass), &pe->sclass);
	if (rc == DUET_E_INVAL)
		xml_corrupt(x, "listing over 64 MiB before EncodingType");
	else if (rc != 0)
		xml_fail(x, rc);
	else
		x->pend[x->npend++] = *pe;
}

/* A Contents or CommonPrefixes closed. */
static void
xml_entry_done(struct duet_s3_xml *x, int is_prefix)
{
	struct xml_entry *e = &x->e;
	struct xml_pend pe;
	struct duet_s3_object o;

	if (!e->has_key) {
		xml_corrupt(x,
		            is_prefix ? "CommonPrefixes without Prefix" : "Contents without Key");
		return;
	}
	if (!x->enc_known) {
		memset(&pe, 0, sizeof(pe));
		pe.is_prefix = is_prefix;
		pe.keylen = e->key.len;
		pe.size = e->size;
		pe.mtime = e->mtime;
		xml_hold(x, &pe);
		return;
	}
	o.key = e->key.p ? e->key.p : "";
	o.keylen = e->key.len;
	o.size = e->size;
	o.mtime = e->mtime;
	o.etag = e->etag;
	o.storage_class = e->sclass;
	xml_deliver(x, is_prefix, &o);
}

/* A DeleteResult/Deleted or /Error closed. */
static void
xml_delete_done(struct duet_s3_xml *x, int failed)
{
	int rc = 0;

	if (!x->e.has_key) {
		xml_corrupt(x, failed ? "Error without Key" : "Deleted without Key");
		return;
	}
	if (xml_take_key(x, x->e.key.p ? x->e.key.p : "", x->e.key.len, 0) != 0)
		return;
	if (x->dcb.result != NULL)
		rc = x->dcb.result(x->dcb.ctx, x->dec.p, x->dec.len, failed ? x->derr.code : NULL,
		                   failed ? x->derr.message : NULL);
	if (rc != 0)
		xml_fail(x, rc);
}

/* A ListMultipartUploadsResult/Upload closed. */
static void
xml_upload_done(struct duet_s3_xml *x)
{
	int rc = 0;

	if (!x->e.has_key || x->e.uid.len == 0) {
		xml_corrupt(x, "Upload without Key or UploadId");
		return;
	}
	if (xml_take_key(x, x->e.key.p, x->e.key.len, 0) != 0)
		return;
	if (x->ucb.upload != NULL)
		rc = x->ucb.upload(x->ucb.ctx, x->dec.p, x->dec.len, x->e.uid.p, x->e.mtime);
	if (rc != 0)
		xml_fail(x, rc);
}

/* Copies the text into a fixed field, control characters made spaces. */
static void
xml_take_field(struct duet_s3_xml *x, char *dst, size_t cap)
{
	size_t n = x->tlen < cap - 1 ? x->tlen : cap - 1;

	memcpy(dst, x->t, n);
	dst[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = ' ';
}

/* An ETag without its quotes into dst (256 bytes). */
static void
xml_take_etag(struct duet_s3_xml *x, char *dst)
{
	const char *t = x->t;
	size_t n = x->tlen;

	if (n >= 2 && t[0] == '"' && t[n - 1] == '"') {
		t++;
		n -= 2;
	}
	if (n > 255) {
		xml_corrupt(x, "over-long ETag");
		return;
	}
	memcpy(dst, t, n);
	dst[n] = '\0';
}

/* Decimal digits only, at most `digits` of them. */
static int
xml_uint(const char *s, size_t n, size_t digits, int64_t *v)
{
	*v = 0;
	if (n == 0 || n > digits)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static void
xml_take_buf(struct duet_s3_xml *x, struct duet_buf *dst)
{
	int rc;

	duet_buf_reset(dst);
	rc = duet_buf_append(dst, x->t, x->tlen);
	if (rc != 0)
		xml_fail(x, rc);
}

static void
xml_take_listing_leaf(struct duet_s3_xml *x, enum xml_id id)
{
	const char *t = x->t;
	int64_t v;

	if (id == X_TRUNC) {
		if (strcasecmp(t, "true") != 0 && strcasecmp(t, "false") != 0)
			xml_corrupt(x, "bad IsTruncated");
		x->res.truncated = strcasecmp(t, "true") == 0;
	} else if (id == X_NEXT) {
		xml_take_buf(x, &x->next);
	} else if (id == X_KCOUNT) {
		if (xml_uint(t, x->tlen, 9, &v) != 0)
			xml_corrupt(x, "bad KeyCount");
		x->res.key_count = (long)v;
	} else if (id == X_ENC) {
		int url = strcasecmp(t, "url") == 0;
		if (!url && x->tlen > 0)
			xml_corrupt(x, "unknown EncodingType");
		else if (x->enc_known && url != x->res.url_encoded)
			xml_corrupt(x, "EncodingType after the listing was read");
		x->res.url_encoded = url;
		if (xml_rc(x) == 0)
			xml_flush(x);
	} else if (id == X_SIZE) {
		if (xml_uint(t, x->tlen, 18, &v) != 0)
			xml_corrupt(x, "bad Size");
		x->e.size = v;
	}
}

static void
xml_take_leaf(struct duet_s3_xml *x, enum xml_id id, enum xml_id parent)
{
	struct duet_s3_error *err = parent == X_DERROR ? &x->derr : &x->err;
	int64_t ns = 0;

	switch (id) {
	case X_KEY:
	case X_PREFIX:
		if (x->tlen > 3 * DUET_S3_NAME_MAX) {
			xml_bad(x, DUET_E_BADNAME, "key longer than 4096 bytes");
			return;
		}
		xml_take_buf(x, &x->e.key);
		x->e.has_key = 1;
		break;
	case X_INITIATED:
		if (duet_s3_time_parse(x->t, x->tlen, &ns) != 0)
			xml_corrupt(x, "bad Initiated");
		x->e.mtime = ns;
		break;
	case X_NKM:
		xml_take_buf(x, &x->next_key);
		break;
	case X_NUIM:
		xml_take_buf(x, &x->next_uid);
		break;
	case X_LASTMOD:
		if (duet_s3_time_parse(x->t, x->tlen, &ns) != 0)
			xml_corrupt(x, "bad LastModified");
		if (parent == X_CONTENTS)
			x->e.mtime = ns;
		else
			x->res.last_modified = ns;
		break;
	case X_ETAG:
		xml_take_etag(x, parent == X_CONTENTS ? x->e.etag : x->etag);
		break;
	case X_SCLASS:
		if (x->tlen >= sizeof(x->e.sclass))
			xml_corrupt(x, "over-long StorageClass");
		else
			xml_take_field(x, x->e.sclass, sizeof(x->e.sclass));
		break;
	case X_CODE:
		xml_take_field(x, err->code, sizeof(err->code));
		break;
	case X_MESSAGE:
		xml_take_field(x, err->message, sizeof(err->message));
		break;
	case X_REQID:
		xml_take_field(x, err->request_id, sizeof(err->request_id));
		break;
	case X_REGION:
		xml_take_field(x, err->region, sizeof(err->region));
		break;
	case X_ENDPOINT:
		xml_take_field(x, err->endpoint, sizeof(err->endpoint));
		break;
	case X_UPLOADID:
		if (x->tlen == 0 || memchr(x->t, '\0', x->tlen) != NULL)
			xml_corrupt(x, "bad UploadId");
		else
			xml_take_buf(x, parent == X_UPLOAD ? &x->e.uid : &x->upload_id);
		break;
	default:
		xml_take_listing_leaf(x, id);
		break;
	}
}

static void
xml_on_close(void *ctx, int idn, int parentn, const char *text, size_t len)
{
	struct duet_s3_xml *x = ctx;
	enum xml_id id = (enum xml_id)idn;
	enum xml_id parent = parentn > 0 ? (enum xml_id)parentn : X_SKIP;

	x->t = text;
	x->tlen = len;
	if (id >= X_TRUNC)
		xml_take_leaf(x, id, parent);
	else if (id == X_CONTENTS || id == X_CPREFIXES)
		xml_entry_done(x, id == X_CPREFIXES);
	else if (id == X_DELETED || id == X_DERROR)
		xml_delete_done(x, id == X_DERROR);
	else if (id == X_UPLOAD)
		xml_upload_done(x);
	else if (id == X_LROOT)
		xml_flush(x); /* no EncodingType: the keys were sent as they are */
}

static const struct duet_xml_ops xml_ops = {
	.child = xml_on_child,
	.leaf = xml_on_leaf,
	.text_over = xml_on_text_over,
	.open = xml_on_open,
	.close = xml_on_close,
};

static int
xml_new(enum xml_kind kind, struct duet_s3_xml **out)
{
	struct duet_s3_xml *x;
	struct duet_xml_conf c = {"s3", xml_kinds[kind].what, DUET_S3_TEXT_MAX, &xml_ops, NULL};
	int rc;

	*out = NULL;
	x = duet_calloc(1, sizeof(*x));
	if (x == NULL)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory for an XML parser");
	c.ctx = x;
	if ((rc = duet_xml_new(&c, &x->xp)) != 0) {
		duet_free(x);
		return rc;
	}
	x->kind = kind;
	x->t = "";
	x->res.key_count = -1;
	x->res.next_token = x->res.upload_id = x->res.etag = "";
	x->res.next_key_marker = x->res.next_upload_id_marker = "";
	*out = x;
	return 0;
}

int
duet_s3_xml_list_new(const struct duet_s3_list_cb *cb, struct duet_s3_xml **out)
{
	int rc = xml_new(XK_LIST, out);
	if (rc == 0 && cb != NULL)
		(*out)->lcb = *cb;
	return rc;
}

int
duet_s3_xml_delete_new(const struct duet_s3_delete_cb *cb, struct duet_s3_xml **out)
{
	int rc = xml_new(XK_DELETE, out);
	if (rc == 0 && cb != NULL)
		(*out)->dcb = *cb;
	return rc;
}

int
duet_s3_xml_uploads_new(const struct duet_s3_uploads_cb *cb, struct duet_s3_xml **out)
{
	int rc = xml_new(XK_UPLOADS, out);
	if (rc == 0 && cb != NULL)
		(*out)->ucb = *cb;
	return rc;
}

int
duet_s3_xml_new(enum duet_s3_xml_kind kind, struct duet_s3_xml **out)
{
	static const enum xml_kind map[] = {[DUET_S3_XML_ERROR] = XK_ERROR,
	                                    [DUET_S3_XML_INITIATE] = XK_INITIATE,
	                                    [DUET_S3_XML_COMPLETE] = XK_COMPLETE,
	                                    [DUET_S3_XML_COPY] = XK_COPY};

	if ((unsigned)kind >= sizeof(map) / sizeof(map[0])) {
		*out = NULL;
		return duet_err_set(DUET_E_INVAL, "s3: unknown XML document kind");
	}
	return xml_new(map[kind], out);
}

int
duet_s3_xml_feed(struct duet_s3_xml *x, const void *data, size_t n)
{
	return duet_xml_feed(x->xp, data, n);
}

int
duet_s3_xml_end(struct duet_s3_xml *x)
{
	int rc = duet_xml_end(x->xp);

	if (rc != 0)
		return rc;
	x->res.next_token = x->next.p ? x->next.p : "";
	x->res.upload_id = x->upload_id.p ? x->upload_id.p : "";
	x->res.next_key_marker = x->next_key.p ? x->next_key.p : "";
	x->res.next_upload_id_marker = x->next_uid.p ? x->next_uid.p : "";
	x->res.etag = x->etag;
	if (x->res.error != NULL && x->kind != XK_ERROR)
		return duet_s3_error_set(200, &x->err, xml_what(x));
	return 0;
}

const struct duet_s3_result *
duet_s3_xml_result(const struct duet_s3_xml *x)
{
	return &x->res;
}

void
duet_s3_xml_free(struct duet_s3_xml *x)
{
	if (x == NULL)
		return;
	duet_xml_free(x->xp);
	duet_buf_dispose(&x->e.key);
	duet_buf_dispose(&x->e.uid);
	duet_buf_dispose(&x->next_key);
	duet_buf_dispose(&x->next_uid);
	duet_buf_dispose(&x->dec);
	duet_buf_dispose(&x->pstore);
	duet_buf_dispose(&x->next);
	duet_buf_dispose(&x->upload_id);
	duet_free(x->pend);
	duet_free(x);
}

int
duet_s3_error_parse(const void *data, size_t n, struct duet_s3_error *out)
{
	struct duet_s3_xml *x = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = duet_s3_xml_new(DUET_S3_XML_ERROR, &x);
	if (rc != 0)
		return rc;
	rc = duet_s3_xml_feed(x, data, n);
	if (rc == 0)
		rc = duet_s3_xml_end(x);
	if (rc == 0)
		*out = x->err;
	duet_s3_xml_free(x);
	return rc == DUET_E_NOMEM ? rc : 0;
}
