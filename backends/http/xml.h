/*
 * xml.h: the expat plumbing the S3 and Azure Blob parsers share. A
 * parser refuses DTDs and entity declarations, allocates through
 * core/alloc.h, keeps a stack of element ids (the backend maps a name
 * under its parent's id to an id; 0 skips the element and all below it),
 * collects the text of leaf elements under a cap, and turns every
 * failure into a DUET_E_* code with a one-line message naming the
 * backend, the response and the line. The backend sees elements close,
 * with their text, and keeps what it needs.
 */
#ifndef DUET_BACKENDS_HTTP_XML_H
#define DUET_BACKENDS_HTTP_XML_H

#include <stddef.h>

#define DUET_XML_DEPTH_MAX 16 /* element nesting */

struct duet_xml;

struct duet_xml_ops {
	/* The id (1..255) of element `name` under `parent` (-1 for the root
	 * element), or 0: a refused root ("unexpected root element"), a
	 * skipped child. attrs as expat gives them (name, value, ..., NULL). */
	int (*child)(void *ctx, int parent, const char *name, const char **attrs);
	/* 1 when the text of id is collected (and id may hold no element). */
	int (*leaf)(void *ctx, int id);
	/* Optional: leaf id's text passed text_max bytes. Return 1 to keep
	 * the first text_max bytes, 0 to fail with "element text over N
	 * KiB", or -1 after failing the parser yourself (duet_xml_bad).
	 * NULL: always 0. */
	int (*text_over)(void *ctx, int id);
	/* Optional: element id opened (it is on the stack now). */
	void (*open)(void *ctx, int id, const char **attrs);
	/* Element id closed under parent (-1 for the root); text is the
	 * collected text of a leaf (NUL-terminated, len bytes; "" for
	 * others), valid during the call only. */
	void (*close)(void *ctx, int id, int parent, const char *text, size_t len);
};

struct duet_xml_conf {
	const char *who;   /* message prefix: "s3", "azureblob" */
	const char *what;  /* the response: "ListObjectsV2", "List Blobs" */
	size_t text_max;   /* bytes of one leaf's text */
	const struct duet_xml_ops *ops;
	void *ctx;         /* passed to the ops */
};

/* A new parser; who and what are borrowed (static strings). Errors:
 * DUET_E_NOMEM. */
int duet_xml_new(const struct duet_xml_conf *c, struct duet_xml **out);
void duet_xml_free(struct duet_xml *x); /* NULL-safe */

/* Parses the next n bytes (white space before the document is skipped,
 * as S3 sends it to keep a slow request alive). Returns 0 or the sticky
 * first error: the backend's, DUET_E_CORRUPT for malformed or refused
 * XML, DUET_E_NOMEM, DUET_E_INVAL when fed after the end. */
int duet_xml_feed(struct duet_xml *x, const void *data, size_t n);
/* Ends the document: as feed, plus DUET_E_CORRUPT when it is cut short.
 * Calling it again returns the same outcome. */
int duet_xml_end(struct duet_xml *x);
/* 1 once duet_xml_end succeeded. */
int duet_xml_ended(const struct duet_xml *x);

/* The sticky first error, or 0. */
int duet_xml_rc(const struct duet_xml *x);
/* Records rc (message already set) as the first error and stops. */
void duet_xml_fail(struct duet_xml *x, int rc);
/* Fails with code and "WHO: WHY in WHAT response at line N" (unless an
 * error is already recorded). */
void duet_xml_bad(struct duet_xml *x, int code, const char *why);

#endif
