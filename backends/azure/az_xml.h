/*
 * az_xml.h: the XML of the Azure Blob REST API. Streaming parsers (expat)
 * for List Blobs results and error documents, fed the body in whatever
 * chunks the transfer delivers, keeping no tree; and the writer of the
 * Put Block List body. A response is input an attacker may shape: texts,
 * nesting and metadata are capped, DOCTYPE (so entities) is refused, and
 * a listing that cannot be read whole fails with DUET_E_CORRUPT rather
 * than yielding a partial listing that a sync would take for the truth.
 */
#ifndef DUET_BACKENDS_AZURE_AZ_XML_H
#define DUET_BACKENDS_AZURE_AZ_XML_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define DUET_AZ_NAME_MAX                                                                           \
	4096                     /* bytes of a decoded name: Azure allows 1024                     \
	                            characters, up to 4 UTF-8 bytes each */
#define DUET_AZ_TEXT_MAX 16384   /* bytes of one element's text (as sent) */
#define DUET_AZ_META_MAX 16384   /* bytes of one blob's metadata (Azure: 8 KiB) */
#define DUET_AZ_META_COUNT 256   /* metadata entries of one blob */
#define DUET_AZ_DEPTH_MAX 16     /* element nesting */
#define DUET_AZ_BLOCKS_MAX 50000 /* blocks in a block blob */

/* One metadata entry as listed: the element name and its text. */
struct duet_az_meta {
	const char *name; /* as Azure returns it (lower case in practice) */
	const char *value;
};

/*
 * One blob of a listing. Every pointer is borrowed and valid only during
 * the callback that receives it.
 */
struct duet_az_blob {
	const char *name;                /* decoded (Encoded="true" undone); no NUL
	                                    inside, non-empty, <= DUET_AZ_NAME_MAX */
	size_t namelen;                  /* strlen(name) */
	int64_t size;                    /* Content-Length; -1 when not listed */
	int64_t last_modified;           /* Last-Modified, ns since the epoch; 0 when
	                                    not listed */
	int64_t mtime;                   /* metadata "mtime" (any case) as RFC 3339,
	                                    ns; 0 when absent or unparsable */
	int has_md5;                     /* md5 is valid */
	unsigned char md5[16];           /* Content-MD5, decoded */
	const char *etag;                /* "" when not listed */
	const char *blob_type;           /* "BlockBlob", "PageBlob", "AppendBlob", "" */
	const char *access_tier;         /* "Hot", "Cool", "Cold", "Archive", "" */
	const struct duet_az_meta *meta; /* nmeta entries, in document order */
	size_t nmeta;
};

/*
 * Where a listing goes. A callback returning nonzero stops the parse; that
 * value is what duet_az_xml_feed/_end then return (the callback sets the
 * message). Either callback may be NULL.
 */
struct duet_az_list_cb {
	int (*blob)(void *ctx, const struct duet_az_blob *b);
	/* A BlobPrefix (a "directory" under delimiter=/), decoded as names
	 * are; it keeps its trailing delimiter. */
	int (*prefix)(void *ctx, const char *name, size_t len);
	void *ctx;
};

/* An Azure error document's fields, NUL-terminated, truncated to fit. */
struct duet_az_error {
	char code[128];     /* <Code>, e.g. "BlobNotFound"; "" when none */
	char message[1024]; /* <Message>, all lines; "" when none */
};

struct duet_az_xml;

/*
 * New parser of a List Blobs response (EnumerationResults); cb is copied.
 * The caller owns *out (duet_az_xml_free). Errors: DUET_E_NOMEM.
 */
int duet_az_xml_list_new(const struct duet_az_list_cb *cb, struct duet_az_xml **out);

/* New parser of an error document (<Error><Code/><Message/></Error>). */
int duet_az_xml_error_new(struct duet_az_xml **out);

/*
 * Feeds the next n bytes of the body (any split, a UTF-8 BOM allowed at
 * the start). Blob and prefix callbacks run from inside as each element
 * completes. Errors (sticky: later calls return the same code):
 * DUET_E_CORRUPT for malformed XML ("azureblob: malformed XML in List
 * Blobs response: <expat's reason> at line L"), a DOCTYPE, the wrong root
 * element, a text, name, nesting or metadata over its cap, a name that is
 * empty, holds NUL or has a bad %-escape, an unparsable Content-Length or
 * Last-Modified; DUET_E_NOMEM; a callback's nonzero value.
 */
int duet_az_xml_feed(struct duet_az_xml *x, const void *data, size_t n);

/* Ends the body: errors as duet_az_xml_feed, plus DUET_E_CORRUPT when the
 * document is cut short or empty. */
int duet_az_xml_end(struct duet_az_xml *x);

/* The listing's NextMarker: "" when it was the last page (or before
 * duet_az_xml_end succeeded). Valid until duet_az_xml_free. */
const char *duet_az_xml_next_marker(const struct duet_az_xml *x);

/* The error document's fields, meaningful after duet_az_xml_end returned
 * 0. Valid until duet_az_xml_free. */
const struct duet_az_error *duet_az_xml_error(const struct duet_az_xml *x);

void duet_az_xml_free(struct duet_az_xml *x);

/*
 * One-shot: parses a whole error body into *out. A body that is empty or
 * not an error document leaves *out empty and still returns 0, since the
 * HTTP status alone must then do. Errors: DUET_E_NOMEM.
 */
int duet_az_error_parse(const void *data, size_t n, struct duet_az_error *out);

/*
 * The DUET_E_* code for a failed request: from the Azure error code
 * (<Code> or the x-ms-error-code header; NULL or "" when unknown) when it
 * is one we know, else from the HTTP status. BlobNotFound,
 * ContainerNotFound -> DUET_E_NOTFOUND; AuthenticationFailed,
 * Authorization* -> DUET_E_AUTH; ServerBusy, InternalError,
 * OperationTimedOut -> DUET_E_TEMP; ...; 404 -> NOTFOUND, 401/403 -> AUTH,
 * 408/429/5xx -> TEMP, 409 -> EXIST, 412 -> CHANGED, other 4xx -> INVAL.
 */
int duet_az_error_code(int http_status, const char *code);

/*
 * Sets this thread's error message for a failed request and returns the
 * mapped code: "azureblob: WHAT: FIRST LINE OF MESSAGE (CODE, HTTP NNN)",
 * with any SAS signature in it redacted. `what` names the operation and
 * object ("get dir/a.txt"); e may be NULL.
 */
int duet_az_error_set(int http_status, const struct duet_az_error *e, const char *what);

/*
 * Appends the Put Block List body for ids (standard base64 of 1..64 bytes,
 * all decoding to the same length as Azure requires; at most
 * DUET_AZ_BLOCKS_MAX):
 *   <?xml version="1.0" encoding="utf-8"?><BlockList><Latest>id</Latest>
 *   ...</BlockList>
 * Errors: DUET_E_INVAL (message set) for no ids, too many, an id that is
 * not such base64 or differs in length from the first; DUET_E_NOMEM.
 */
int duet_az_blocklist_xml(const char *const *ids, size_t n, struct duet_buf *out);

#endif
