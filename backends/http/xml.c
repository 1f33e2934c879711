/*
 * xml.c: the shared expat plumbing (see xml.h). One stack of element ids;
 * text goes into one buffer while a leaf is open; the first failure sticks
 * and stops expat.
 */
#include "xml.h"

#include <expat.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"

struct duet_xml {
	XML_Parser p;
	struct duet_xml_conf c;
	int rc;      /* sticky first error */
	int ended;   /* duet_xml_end succeeded */
	int started; /* a byte other than leading white space was fed */
	int depth;
	int cut;     /* the open leaf's text was cut at text_max */
	unsigned char stack[DUET_XML_DEPTH_MAX];
	struct duet_buf text;
};

void
duet_xml_fail(struct duet_xml *x, int rc)
{
	if (x->rc == 0)
		x->rc = rc;
	XML_StopParser(x->p, XML_FALSE);
}

void
duet_xml_bad(struct duet_xml *x, int code, const char *why)
{
	if (x->rc != 0)
		return;
	duet_xml_fail(x, duet_err_set(code, "%s: %s in %s response at line %lu", x->c.who, why,
	                              x->c.what, (unsigned long)XML_GetCurrentLineNumber(x->p)));
}

int
duet_xml_rc(const struct duet_xml *x)
{
	return x->rc;
}

int
duet_xml_ended(const struct duet_xml *x)
{
	return x->ended;
}

static int
xml_top(const struct duet_xml *x)
{
	return x->depth > 0 ? x->stack[x->depth - 1] : -1;
}

static void XMLCALL
xml_start(void *ud, const char *name, const char **attrs)
{
	struct duet_xml *x = ud;
	int parent = xml_top(x), id;

	if (x->rc != 0)
		return;
	if (x->depth == DUET_XML_DEPTH_MAX) {
		duet_xml_bad(x, DUET_E_CORRUPT, "elements nested too deep");
		return;
	}
	if (parent > 0 && x->c.ops->leaf(x->c.ctx, parent)) {
		/* markup inside a text we keep would splice the text */
		duet_xml_bad(x, DUET_E_CORRUPT, "element inside a text element");
		return;
	}
	/* Below a skipped element everything is skipped. */
	id = parent == 0 ? 0 : x->c.ops->child(x->c.ctx, parent, name, attrs);
	if (x->depth == 0 && id == 0) {
		/* expat itself refuses a second root element */
		duet_xml_bad(x, DUET_E_CORRUPT, "unexpected root element");
		return;
	}
	x->stack[x->depth++] = (unsigned char)id;
	duet_buf_reset(&x->text);
	x->cut = 0;
	if (id != 0 && x->c.ops->open != NULL)
		x->c.ops->open(x->c.ctx, id, attrs);
}

static void XMLCALL
xml_text(void *ud, const char *s, int len)
{
	struct duet_xml *x = ud;
	size_t n = len > 0 ? (size_t)len : 0, room;
	int id = xml_top(x), rc, over;
	char why[48];

	if (x->rc != 0 || id <= 0 || n == 0 || x->cut || !x->c.ops->leaf(x->c.ctx, id))
		return;
	room = x->c.text_max - x->text.len;
	if (n > room) {
		over = x->c.ops->text_over != NULL ? x->c.ops->text_over(x->c.ctx, id) : 0;
		if (over == 0) {
			snprintf(why, sizeof(why), "element text over %zu KiB", x->c.text_max >> 10);
			duet_xml_bad(x, DUET_E_CORRUPT, why);
		}
		if (over <= 0)
			return;
		n = room;
		x->cut = 1;
	}
	if ((rc = duet_buf_append(&x->text, s, n)) != 0)
		duet_xml_fail(x, rc);
}

static void XMLCALL
xml_end(void *ud, const char *name)
{
	struct duet_xml *x = ud;
	int id = xml_top(x);

	(void)name;
	if (x->rc != 0 || x->depth == 0)
		return;
	if (id != 0)
		x->c.ops->close(x->c.ctx, id, x->depth > 1 ? x->stack[x->depth - 2] : -1,
		                x->text.p != NULL ? x->text.p : "", x->text.len);
	x->depth--;
	duet_buf_reset(&x->text);
	x->cut = 0;
}

static void XMLCALL
xml_doctype(void *ud, const char *name, const char *sysid, const char *pubid, int internal)
{
	(void)name, (void)sysid, (void)pubid, (void)internal;
	duet_xml_bad(ud, DUET_E_CORRUPT, "DOCTYPE not allowed");
}

static void XMLCALL
xml_entity(void *ud, const char *name, int pe, const char *value, int vlen, const char *base,
           const char *sysid, const char *pubid, const char *notation)
{
	(void)name, (void)pe, (void)value, (void)vlen, (void)base;
	(void)sysid, (void)pubid, (void)notation;
	duet_xml_bad(ud, DUET_E_CORRUPT, "entity declaration not allowed");
}

int
duet_xml_new(const struct duet_xml_conf *c, struct duet_xml **out)
{
	static const XML_Memory_Handling_Suite mem = {duet_malloc, duet_realloc, duet_free};
	struct duet_xml *x = duet_calloc(1, sizeof(*x));

	*out = NULL;
	if (x == NULL || (x->p = XML_ParserCreate_MM(NULL, &mem, NULL)) == NULL) {
		duet_free(x);
		return duet_err_set(DUET_E_NOMEM, "%s: out of memory for an XML parser", c->who);
	}
	x->c = *c;
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, xml_start, xml_end);
	XML_SetCharacterDataHandler(x->p, xml_text);
	XML_SetStartDoctypeDeclHandler(x->p, xml_doctype);
	XML_SetEntityDeclHandler(x->p, xml_entity);
	*out = x;
	return 0;
}

void
duet_xml_free(struct duet_xml *x)
{
	if (x == NULL)
		return;
	XML_ParserFree(x->p);
	duet_buf_dispose(&x->text);
	duet_free(x);
}

/* The first error from a failed XML_Parse: the backend's, or expat's. */
static int
xml_parse_failed(struct duet_xml *x)
{
	enum XML_Error e = XML_GetErrorCode(x->p);

	if (x->rc != 0)
		return x->rc;
	if (e == XML_ERROR_NO_MEMORY)
		x->rc = duet_err_set(DUET_E_NOMEM, "%s: out of memory parsing a %s response",
		                     x->c.who, x->c.what);
	else
		x->rc = duet_err_set(DUET_E_CORRUPT, "%s: malformed XML in %s response: %s at line %lu",
		                     x->c.who, x->c.what, XML_ErrorString(e),
		                     (unsigned long)XML_GetCurrentLineNumber(x->p));
	return x->rc;
}

int
duet_xml_feed(struct duet_xml *x, const void *data, size_t n)
{
	const char *d = data;

	if (x->rc != 0)
		return x->rc;
	if (x->ended)
		return duet_err_set(DUET_E_INVAL, "%s: XML fed after its end", x->c.who);
	if (!x->started) {
		while (n > 0 && (*d == ' ' || *d == '\t' || *d == '\r' || *d == '\n')) {
			d++;
			n--;
		}
		x->started = n > 0;
	}
	while (n > 0) {
		int chunk = n > INT_MAX / 2 ? INT_MAX / 2 : (int)n;
		if (XML_Parse(x->p, d, chunk, XML_FALSE) != XML_STATUS_OK)
			return xml_parse_failed(x);
		d += chunk;
		n -= (size_t)chunk;
	}
	return x->rc;
}

int
duet_xml_end(struct duet_xml *x)
{
	if (x->rc != 0)
		return x->rc;
	if (x->ended)
		return 0;
	if (XML_Parse(x->p, "", 0, XML_TRUE) != XML_STATUS_OK)
		return xml_parse_failed(x);
	x->ended = 1;
	return x->rc;
}
