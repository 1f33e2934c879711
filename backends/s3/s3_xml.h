/*
 * s3_xml.h: the XML S3 answers with. Streaming expat parsers, fed the
 * body in whatever chunks the transfer delivers and keeping no tree, for
 * ListObjectsV2, error documents, InitiateMultipartUpload,
 * CompleteMultipartUpload and CopyObject (both of which may carry an
 * <Error> in a 200 response) and DeleteObjects; s3_util.h maps the error
 * codes. A response is input an attacker may shape: texts, names and
 * nesting are capped, DOCTYPE (so any entity) is refused, and a listing
 * that cannot be read whole fails with DUET_E_CORRUPT rather than
 * yielding a partial listing a sync would take for the truth.
 */
#ifndef DUET_BACKENDS_S3_S3_XML_H
#define DUET_BACKENDS_S3_S3_XML_H

#include <stddef.h>
#include <stdint.h>

#include "s3_util.h"

/* bytes of a decoded key or prefix (S3 allows 1024) */
#define DUET_S3_NAME_MAX 4096
/* bytes of one element's text as sent */
#define DUET_S3_TEXT_MAX 16384
/* element nesting */
#define DUET_S3_DEPTH_MAX 16
/* listing entries held back while the key encoding is not yet known */
#define DUET_S3_PENDING_MAX 100000

/*
 * One object of a listing. Every pointer is borrowed and valid only
 * during the callback that receives it.
 */
struct duet_s3_object {
	const char *key;           /* decoded; non-empty, no NUL inside,
	                              <= DUET_S3_NAME_MAX bytes */
	size_t keylen;             /* strlen(key) */
	int64_t size;              /* bytes; -1 when not listed */
	int64_t mtime;             /* LastModified, ns since the epoch; 0
	                              when not listed */
	const char *etag;          /* surrounding quotes stripped; "" when
	                              not listed */
	const char *storage_class; /* "STANDARD", ...; "" when not listed */
};

/*
 * Where a listing goes. A callback returning nonzero stops the parse;
 * that value is what duet_s3_xml_feed/_end then return (the callback sets
 * the message). Either may be NULL. Entries arrive in document order, as
 * each completes, once the key encoding is known: when <EncodingType>
 * comes after the entries (MinIO writes it last), they are held back
 * (at most DUET_S3_PENDING_MAX) until it or the end of the document.
 */
struct duet_s3_list_cb {
	int (*object)(void *ctx, const struct duet_s3_object *o);
	/* a CommonPrefixes/Prefix (a "directory" under delimiter=/), decoded
	   as keys are; it keeps its trailing delimiter */
	int (*prefix)(void *ctx, const char *prefix, size_t len);
	void *ctx;
};

/*
 * Where DeleteObjects results go: one call per <Deleted> (code and
 * message NULL) or per <Error> (code, message as sent, "" when absent).
 * Pointers are valid during the call. Nonzero stops the parse as above.
 */
struct duet_s3_delete_cb {
	int (*result)(void *ctx, const char *key, size_t keylen, const char *code,
	              const char *message);
	void *ctx;
};

/*
 * Where ListMultipartUploads entries go: one call per <Upload> with its
 * key (checked as listing keys are), UploadId and Initiated (ns since the
 * epoch, 0 when absent). Nonzero stops the parse as above.
 */
struct duet_s3_uploads_cb {
	int (*upload)(void *ctx, const char *key, size_t keylen, const char *upload_id,
	              int64_t initiated);
	void *ctx;
};

/* What a finished document said. Strings are "" when absent. */
struct duet_s3_result {
	/* non-NULL when the document was an <Error> (any kind) */
	const struct duet_s3_error *error;
	/* ListObjectsV2 */
	int truncated;          /* <IsTruncated>true</IsTruncated> (also uploads) */
	const char *next_token; /* <NextContinuationToken> */
	long key_count;         /* <KeyCount>; -1 when absent */
	int url_encoded;        /* <EncodingType>url</EncodingType> */
	/* ListMultipartUploads */
	const char *next_key_marker;       /* <NextKeyMarker> */
	const char *next_upload_id_marker; /* <NextUploadIdMarker> */
	/* InitiateMultipartUpload */
	const char *upload_id; /* <UploadId> */
	/* CompleteMultipartUpload, CopyObject */
	const char *etag;      /* <ETag>, quotes stripped */
	int64_t last_modified; /* CopyObject's <LastModified>, ns; 0 */
};

enum duet_s3_xml_kind {
	DUET_S3_XML_ERROR,    /* <Error> */
	DUET_S3_XML_INITIATE, /* <InitiateMultipartUploadResult> */
	DUET_S3_XML_COMPLETE, /* <CompleteMultipartUploadResult> */
	DUET_S3_XML_COPY,     /* <CopyObjectResult> */
};

struct duet_s3_xml;

/*
 * New parser of a ListObjectsV2 response (<ListBucketResult>); cb is
 * copied. The caller owns *out (duet_s3_xml_free). Errors: DUET_E_NOMEM.
 */
int duet_s3_xml_list_new(const struct duet_s3_list_cb *cb, struct duet_s3_xml **out);

/* New parser of a DeleteObjects response (<DeleteResult>); as above. */
int duet_s3_xml_delete_new(const struct duet_s3_delete_cb *cb, struct duet_s3_xml **out);

/* New parser of a ListMultipartUploads response; as above. */
int duet_s3_xml_uploads_new(const struct duet_s3_uploads_cb *cb, struct duet_s3_xml **out);

/* New parser of one of the small documents; as above. */
int duet_s3_xml_new(enum duet_s3_xml_kind kind, struct duet_s3_xml **out);

/*
 * Feeds the next n bytes of the body (any split; a UTF-8 BOM allowed at
 * the start). Callbacks run from inside. Errors (sticky: later calls
 * return the same code): DUET_E_CORRUPT for malformed XML ("s3: malformed
 * XML in WHAT response: <expat's reason> at line L"), a DOCTYPE, an
 * unexpected root element, nesting or a text over its cap, a bad
 * %-escape, an unparsable Size, LastModified, KeyCount or IsTruncated, an
 * entry without Key, too many held-back entries; DUET_E_BADNAME for a key
 * or prefix that is empty, over DUET_S3_NAME_MAX bytes or holds NUL once
 * decoded; DUET_E_NOMEM; a callback's nonzero value.
 */
int duet_s3_xml_feed(struct duet_s3_xml *x, const void *data, size_t n);

/*
 * Ends the body and delivers any held-back entries. Errors as
 * duet_s3_xml_feed, plus DUET_E_CORRUPT when the document is cut short or
 * empty. When the parser expected a result but the body was an <Error>
 * (a 200 response to CompleteMultipartUpload or CopyObject can be one),
 * returns duet_s3_error_code(200, code) with the message set as
 * duet_s3_error_set does; duet_s3_xml_result(x)->error has the fields.
 * A DUET_S3_XML_ERROR parser returns 0 for an <Error>.
 */
int duet_s3_xml_end(struct duet_s3_xml *x);

/* The document's result, meaningful after duet_s3_xml_end (error set
 * also when it failed for an embedded <Error>). Valid until
 * duet_s3_xml_free. Never NULL. */
const struct duet_s3_result *duet_s3_xml_result(const struct duet_s3_xml *x);

void duet_s3_xml_free(struct duet_s3_xml *x);

/*
 * One-shot: parses a whole error body into *out. A body that is empty or
 * not an error document leaves *out empty and still returns 0, since the
 * HTTP status alone must then do. Errors: DUET_E_NOMEM.
 */
int duet_s3_error_parse(const void *data, size_t n, struct duet_s3_error *out);

#endif
