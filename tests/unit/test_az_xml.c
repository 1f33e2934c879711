/*
 * test_az_xml.c: the List Blobs and error-document parsers and the block
 * list writer (az_xml). Responses are shaped as in Microsoft's List Blobs
 * and "Common REST API error codes" pages (Azurite answers the same way):
 * a UTF-8 BOM, the XML declaration, properties the parser skips, empty
 * elements, Encoded="true" names holding characters XML cannot carry.
 * Every document is also fed split at each byte, and byte by byte. Three
 * bodies were captured from Azurite 3.35.0 answering requests signed by
 * az_auth (a listing, a page with NextMarker, a 404).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "backends/azure/az_xml.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"

#define BOM "\xEF\xBB\xBF"

static const char list_doc[] =
    BOM "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
        "<EnumerationResults ServiceEndpoint=\"https://acct.blob.core.windows.net/\" "
        "ContainerName=\"ctr\">\n"
        "  <Prefix>dir/</Prefix><Marker>m0</Marker><MaxResults>3</MaxResults>"
        "<Delimiter>/</Delimiter>\n"
        "  <Blobs>\n"
        "    <Blob>\n"
        "      <Name>dir/a &amp; b \xc3\xa9.txt</Name>\n"
        "      <Properties>\n"
        "        <Creation-Time>Mon, 02 Dec 2024 10:00:00 GMT</Creation-Time>\n"
        "        <Last-Modified>Mon, 02 Dec 2024 10:00:01 GMT</Last-Modified>\n"
        "        <Etag>0x8DD12C0FFEE1234</Etag>\n"
        "        <Content-Length>11</Content-Length>\n"
        "        <Content-Type>text/plain</Content-Type>\n"
        "        <Content-Encoding /><Content-Language /><Content-CRC64 />\n"
        "        <Content-MD5>XrY7u+Ae7tCTyyK7j1rNww==</Content-MD5>\n"
        "        <Cache-Control /><Content-Disposition />\n"
        "        <BlobType>BlockBlob</BlobType>\n"
        "        <AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred>\n"
        "        <LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>\n"
        "        <ServerEncrypted>true</ServerEncrypted>\n"
        "      </Properties>\n"
        "      <Metadata>\n"
        "        <mtime>2024-11-30T09:08:07.123456789Z</mtime>\n"
        "        <owner>r&#233;mi</owner>\n"
        "      </Metadata>\n"
        "      <OrMetadata />\n"
        "    </Blob>\n"
        "    <Blob>\n"
        "      <Name Encoded=\"true\">dir/%EF%BF%BFctl%01x%20y+z</Name>\n"
        "      <Properties>\n"
        "        <Last-Modified>Thu, 01 Jan 2015 00:00:00 GMT</Last-Modified>\n"
        "        <Etag>\"0x1\"</Etag><Content-Length>0</Content-Length>\n"
        "        <Content-MD5 /><BlobType>BlockBlob</BlobType><AccessTier>Cool</AccessTier>\n"
        "      </Properties>\n"
        "      <Metadata><MTime>not a time</MTime></Metadata>\n"
        "    </Blob>\n"
        "    <BlobPrefix><Name>dir/sub/</Name></BlobPrefix>\n"
        "    <BlobPrefix><Name Encoded=\"true\">dir/%0Bodd/</Name></BlobPrefix>\n"
        "  </Blobs>\n"
        "  <NextMarker>2!84!MDAwMDE4IWRpci9zdWIvZmlsZSE-</NextMarker>\n"
        "</EnumerationResults>\n";

/* What the callbacks saw, one line per item. */
static const char list_want[] =
    "B dir/a & b \\xc3\\xa9.txt|11|1733133601000000000|1732957687123456789|"
    "5eb63bbbe01eeed093cb22bb8f5acdc3|0x8DD12C0FFEE1234|BlockBlob|Hot|"
    "mtime=2024-11-30T09:08:07.123456789Z;owner=r\\xc3\\xa9mi;\n"
    "B dir/\\xef\\xbf\\xbfctl\\x01x y+z|0|1420070400000000000|0|-|\"0x1\"|BlockBlob|Cool|"
    "MTime=not a time;\n"
    "P dir/sub/\n"
    "P dir/\\x0bodd/\n";

static const char error_doc[] =
    BOM "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code>"
        "<Message>Server failed to authenticate the request. Make sure the value of "
        "Authorization header is formed correctly including the signature.\n"
        "RequestId:0c1a3e5f-201e-0001-1c2d-3b4a5c000000\n"
        "Time:2024-12-01T10:00:00.0000000Z</Message>"
        "<AuthenticationErrorDetail>The MAC signature found in the HTTP request 'abc=' is not "
        "the same as any computed signature.</AuthenticationErrorDetail></Error>";

/* Captured from Azurite 3.35.0 (tests/servers) answering this project's
 * signer: List Blobs with prefix, delimiter and include=metadata; a page
 * of one with a NextMarker; a 404 body. */
static const char azurite_list[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><EnumerationResults "
    "ServiceEndpoint=\"http://127.0.0.1:37693/devstoreaccount1\" ContainerName=\"ctr1\">"
    "<Prefix>dir/</Prefix><Marker/><MaxResults>5000</MaxResults><Delimiter>/</Delimiter>"
    "<Blobs><Blob><Name>dir/a b+c%d?\xc3\xa9#~.txt</Name><Properties><Creation-Time>"
    "Sun, 22 Nov 2026 08:54:44 GMT</Creation-Time><Last-Modified>Sun, 22 Nov 2026 08:54:44 "
    "GMT</Last-Modified>"
    "<Etag>0x27CF54F8DAF7000</Etag><Content-Length>11</Content-Length><Content-Type>"
    "text/plain</Content-Type><Content-MD5>XrY7u+Ae7tCTyyK7j1rNww==</Content-MD5>"
    "<BlobType>BlockBlob</BlobType><LeaseStatus>unlocked</LeaseStatus><LeaseState>"
    "available</LeaseState><ServerEncrypted>true</ServerEncrypted><AccessTier>"
    "Hot</AccessTier><AccessTierInferred>true</AccessTierInferred><AccessTierChangeTime>"
    "Sun, 22 Nov 2026 08:54:44 GMT</AccessTierChangeTime></Properties><Metadata>"
    "<mtime>2024-11-30T09:08:07.123456789Z</mtime></Metadata></Blob></Blobs>"
    "<NextMarker/></EnumerationResults>";

static const char azurite_page[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><EnumerationResults "
    "ServiceEndpoint=\"http://127.0.0.1:37693/devstoreaccount1\" ContainerName=\"ctr1\">"
    "<Prefix/><Marker/><MaxResults>1</MaxResults><Delimiter>/</Delimiter><Blobs>"
    "<BlobPrefix><Name>big/</Name></BlobPrefix></Blobs><NextMarker>big/file 2.bin</NextMarker>"
    "</EnumerationResults>";

static const char azurite_404[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n"
    "  <Code>BlobNotFound</Code>\n  <Message>The specified blob does not exist.\n"
    "RequestId:754f4886-77a3-4e02-88f4-4deb11e53c9f\nTime:2026-11-22T08:53:45.090Z</Message>\n"
    "</Error>";

struct rec {
	struct duet_buf log;
	int stop_after; /* >0: fail the Nth callback with DUET_E_CANCELLED */
	int calls;
};

static void
rec_text(struct duet_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f)
			duet_buf_printf(b, "\\x%02x", c);
		else
			duet_buf_putc(b, (char)c);
	}
}

static int
rec_blob(void *ctx, const struct duet_az_blob *b)
{
	struct rec *r = ctx;

	if (r->stop_after > 0 && ++r->calls == r->stop_after)
		return duet_err_set(DUET_E_CANCELLED, "stopped by the test");
	assert_int_equal(strlen(b->name), b->namelen);
	duet_buf_puts(&r->log, "B ");
	rec_text(&r->log, b->name, b->namelen);
	duet_buf_printf(&r->log, "|%lld|%lld|%lld|", (long long)b->size,
	                (long long)b->last_modified, (long long)b->mtime);
	if (b->has_md5)
		for (int i = 0; i < 16; i++)
			duet_buf_printf(&r->log, "%02x", b->md5[i]);
	else
		duet_buf_putc(&r->log, '-');
	duet_buf_printf(&r->log, "|%s|%s|%s|", b->etag, b->blob_type, b->access_tier);
	for (size_t i = 0; i < b->nmeta; i++) {
		rec_text(&r->log, b->meta[i].name, strlen(b->meta[i].name));
		duet_buf_putc(&r->log, '=');
		rec_text(&r->log, b->meta[i].value, strlen(b->meta[i].value));
		duet_buf_putc(&r->log, ';');
	}
	duet_buf_putc(&r->log, '\n');
	return 0;
}

static int
rec_prefix(void *ctx, const char *name, size_t len)
{
	struct rec *r = ctx;
	duet_buf_puts(&r->log, "P ");
	rec_text(&r->log, name, len);
	duet_buf_putc(&r->log, '\n');
	return 0;
}

/* Parses doc fed as [0,split) and [split,n) (split > n: byte by byte);
 * returns the result code, the log in r, the marker in marker. */
static int
parse_list(const char *doc, size_t n, size_t split, struct rec *r, struct duet_buf *marker)
{
	struct duet_az_list_cb cb = {rec_blob, rec_prefix, r};
	struct duet_az_xml *x = NULL;
	int rc = duet_az_xml_list_new(&cb, &x);

	if (rc != 0)
		return rc;
	if (split > n) {
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = duet_az_xml_feed(x, doc + i, 1);
	} else {
		rc = duet_az_xml_feed(x, doc, split);
		if (rc == 0)
			rc = duet_az_xml_feed(x, doc + split, n - split);
	}
	if (rc == 0)
		rc = duet_az_xml_end(x);
	if (rc == 0 && marker != NULL)
		duet_buf_puts(marker, duet_az_xml_next_marker(x));
	if (rc != 0)
		assert_int_equal(duet_az_xml_feed(x, "<", 1), rc); /* sticky */
	duet_az_xml_free(x);
	return rc;
}

static int
parse_str(const char *doc, struct rec *r)
{
	return parse_list(doc, strlen(doc), 0, r, NULL);
}

static void
test_list_full(void **state)
{
	struct rec r = {DUET_BUF_INIT, 0, 0};
	struct duet_buf m = DUET_BUF_INIT;

	(void)state;
	assert_int_equal(parse_list(list_doc, strlen(list_doc), 0, &r, &m), 0);
	assert_string_equal(r.log.p, list_want);
	assert_string_equal(m.p, "2!84!MDAwMDE4IWRpci9zdWIvZmlsZSE-");
	duet_buf_dispose(&r.log);
	duet_buf_dispose(&m);
}

static void
test_azurite_captured(void **state)
{
	struct rec r = {DUET_BUF_INIT, 0, 0};
	struct duet_buf m = DUET_BUF_INIT;
	struct duet_az_error e;

	(void)state;
	assert_int_equal(parse_list(azurite_list, strlen(azurite_list), 300, &r, &m), 0);
	assert_string_equal(r.log.p, "B dir/a b+c%d?\\xc3\\xa9#~.txt|11|1795337684000000000|"
	                             "1732957687123456789|5eb63bbbe01eeed093cb22bb8f5acdc3|"
	                             "0x27CF54F8DAF7000|BlockBlob|Hot|"
	                             "mtime=2024-11-30T09:08:07.123456789Z;\n");
	assert_string_equal(m.p, "");
	duet_buf_reset(&r.log);
	duet_buf_reset(&m);
	assert_int_equal(parse_list(azurite_page, strlen(azurite_page), 0, &r, &m), 0);
	assert_string_equal(r.log.p, "P big/\n");
	assert_string_equal(m.p, "big/file 2.bin");
	assert_int_equal(duet_az_error_parse(azurite_404, strlen(azurite_404), &e), 0);
	assert_string_equal(e.code, "BlobNotFound");
	assert_int_equal(duet_az_error_set(404, &e, "get nope"), DUET_E_NOTFOUND);
	assert_string_equal(duet_err_msg(), "azureblob: get nope: The specified blob does not "
	                                    "exist. (BlobNotFound, HTTP 404)");
	duet_buf_dispose(&r.log);
	duet_buf_dispose(&m);
}

static void
test_list_every_split(void **state)
{
	size_t n = strlen(list_doc);

	(void)state;
	for (size_t split = 0; split <= n + 1; split++) {
		struct rec r = {DUET_BUF_INIT, 0, 0};
		struct duet_buf m = DUET_BUF_INIT;
		assert_int_equal(parse_list(list_doc, n, split, &r, &m), 0);
		assert_string_equal(r.log.p, list_want);
		assert_string_equal(m.p, "2!84!MDAwMDE4IWRpci9zdWIvZmlsZSE-");
		duet_buf_dispose(&r.log);
		duet_buf_dispose(&m);
	}
}

static void
test_list_empty(void **state)
{
	static const char *docs[] = {
	    BOM "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults "
	        "ServiceEndpoint=\"http://127.0.0.1:10000/devstoreaccount1\" ContainerName=\"c\">"
	        "<Prefix/><MaxResults>5000</MaxResults><Blobs/><NextMarker/></EnumerationResults>",
	    "<EnumerationResults><Blobs></Blobs></EnumerationResults>",
	    "<EnumerationResults/>",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct rec r = {DUET_BUF_INIT, 0, 0};
		struct duet_buf m = DUET_BUF_INIT;
		assert_int_equal(parse_list(docs[i], strlen(docs[i]), 0, &r, &m), 0);
		assert_int_equal(r.log.len, 0);
		assert_non_null(m.p);
		assert_string_equal(m.p, "");
		duet_buf_dispose(&m);
	}
}

/* Refused with CORRUPT and a message containing `why`. */
static void
check_corrupt(const char *doc, const char *why)
{
	struct rec r = {DUET_BUF_INIT, 0, 0};
	assert_int_equal(parse_str(doc, &r), DUET_E_CORRUPT);
	if (strstr(duet_err_msg(), why) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", duet_err_msg(), why);
	assert_non_null(strstr(duet_err_msg(), "azureblob: "));
	duet_buf_dispose(&r.log);
}

static void
test_malformed(void **state)
{
	(void)state;
	check_corrupt("<EnumerationResults><Blobs><Blob><Name>a</Name></Blob></Blobs>",
	              "malformed XML in List Blobs response: ");
	assert_non_null(strstr(duet_err_msg(), " at line 1"));
	check_corrupt("<EnumerationResults>\n<Blobs></Blob>\n</EnumerationResults>",
	              "mismatched tag at line 2");
	check_corrupt("", "no element found");
	check_corrupt("   ", "no element found");
	check_corrupt("<EnumerationResults></EnumerationResults><x/>", "junk after document");
	check_corrupt("<Error><Code>x</Code></Error>", "unexpected root element");
	check_corrupt("<EnumerationResults><Blobs><Blob><Name>a&#0;</Name></Blob></Blobs>"
	              "</EnumerationResults>",
	              "malformed XML");
	check_corrupt("<EnumerationResults><Blobs><Blob><Name>&xxe;</Name></Blob></Blobs>"
	              "</EnumerationResults>",
	              "undefined entity");
	check_corrupt("<EnumerationResults>\xff\xfe</EnumerationResults>", "malformed XML");
}

static void
test_doctype_refused(void **state)
{
	(void)state;
	check_corrupt("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
	              "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
	              "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
	              "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
	              "]><EnumerationResults><Blobs><Blob><Name>&lol3;</Name></Blob></Blobs>"
	              "</EnumerationResults>",
	              "DOCTYPE not allowed");
	check_corrupt("<!DOCTYPE x SYSTEM \"file:///etc/passwd\"><EnumerationResults/>",
	              "DOCTYPE not allowed");
	check_corrupt(BOM "<!DOCTYPE EnumerationResults><EnumerationResults/>", "DOCTYPE");
}

static char *
doc_with_name(const char *attr, const char *name)
{
	struct duet_buf b = DUET_BUF_INIT;
	duet_buf_printf(&b,
	                "<EnumerationResults><Blobs><Blob><Name%s>%s</Name><Properties>"
	                "<Content-Length>1</Content-Length></Properties></Blob></Blobs>"
	                "</EnumerationResults>",
	                attr, name);
	return duet_buf_detach(&b);
}

static void
test_names_refused(void **state)
{
	char long_name[DUET_AZ_NAME_MAX + 2];
	char *doc;
	struct rec r = {DUET_BUF_INIT, 0, 0};

	(void)state;
	memset(long_name, 'n', DUET_AZ_NAME_MAX);
	long_name[DUET_AZ_NAME_MAX] = '\0';
	doc = doc_with_name("", long_name);
	assert_int_equal(parse_str(doc, &r), 0); /* exactly the cap: fine */
	assert_int_equal(r.log.len, 2 + DUET_AZ_NAME_MAX + strlen("|1|0|0|-||||\n"));
	duet_free(doc);
	long_name[DUET_AZ_NAME_MAX] = 'n';
	long_name[DUET_AZ_NAME_MAX + 1] = '\0';
	doc = doc_with_name("", long_name);
	check_corrupt(doc, "name longer than 4096 bytes");
	duet_free(doc);
	doc = doc_with_name(" Encoded=\"true\"", "a%00b");
	check_corrupt(doc, "name with a NUL byte");
	duet_free(doc);
	doc = doc_with_name(" Encoded=\"true\"", "a%zzb");
	check_corrupt(doc, "bad %-escape");
	duet_free(doc);
	doc = doc_with_name(" Encoded=\"true\"", "a%4");
	check_corrupt(doc, "bad %-escape");
	duet_free(doc);
	doc = doc_with_name("", "");
	check_corrupt(doc, "empty name");
	duet_free(doc);
	check_corrupt("<EnumerationResults><Blobs><Blob><Properties/></Blob></Blobs>"
	              "</EnumerationResults>",
	              "Blob without a Name");
	check_corrupt("<EnumerationResults><Blobs><BlobPrefix/></Blobs></EnumerationResults>",
	              "BlobPrefix without a Name");
	duet_buf_dispose(&r.log);
}

/* An encoded name may take three times the cap as text; decoded, the cap
 * applies. */
static void
test_encoded_long_name(void **state)
{
	struct duet_buf name = DUET_BUF_INIT;
	struct rec r = {DUET_BUF_INIT, 0, 0};
	char *doc;

	(void)state;
	for (int i = 0; i < DUET_AZ_NAME_MAX; i++)
		duet_buf_puts(&name, "%41");
	doc = doc_with_name(" Encoded=\"true\"", name.p);
	assert_int_equal(parse_str(doc, &r), 0);
	assert_int_equal(strspn(r.log.p + 2, "A"), DUET_AZ_NAME_MAX);
	duet_free(doc);
	duet_buf_puts(&name, "%41");
	doc = doc_with_name(" Encoded=\"true\"", name.p);
	check_corrupt(doc, "name longer than 4096 bytes");
	duet_free(doc);
	duet_buf_reset(&name);
	for (int i = 0; i < DUET_AZ_TEXT_MAX / 3 + 1; i++)
		duet_buf_puts(&name, "%41");
	doc = doc_with_name(" Encoded=\"true\"", name.p);
	check_corrupt(doc, "element text over 16 KiB");
	duet_free(doc);
	duet_buf_dispose(&name);
	duet_buf_dispose(&r.log);
}

static void
test_depth(void **state)
{
	struct duet_buf b = DUET_BUF_INIT;
	struct rec r = {DUET_BUF_INIT, 0, 0};

	(void)state;
	duet_buf_puts(&b, "<EnumerationResults>");
	for (int i = 0; i < DUET_AZ_DEPTH_MAX - 2; i++)
		duet_buf_puts(&b, "<x>");
	for (int i = 0; i < DUET_AZ_DEPTH_MAX - 2; i++)
		duet_buf_puts(&b, "</x>");
	duet_buf_puts(&b, "</EnumerationResults>");
	assert_int_equal(parse_str(b.p, &r), 0); /* depth DEPTH_MAX - 1 */
	duet_buf_reset(&b);
	duet_buf_puts(&b, "<EnumerationResults>");
	for (int i = 0; i < 1000; i++)
		duet_buf_puts(&b, "<x>");
	check_corrupt(b.p, "nested too deep");
	duet_buf_dispose(&b);
	duet_buf_dispose(&r.log);
}

static char *
doc_with_props(const char *props, const char *meta)
{
	struct duet_buf b = DUET_BUF_INIT;
	duet_buf_printf(&b,
	                "<EnumerationResults><Blobs><Blob><Name>n</Name><Properties>%s"
	                "</Properties><Metadata>%s</Metadata></Blob></Blobs>"
	                "</EnumerationResults>",
	                props, meta);
	return duet_buf_detach(&b);
}

static void
check_props(const char *props, const char *meta, int want_rc, const char *want)
{
	struct rec r = {DUET_BUF_INIT, 0, 0};
	char *doc = doc_with_props(props, meta);
	assert_int_equal(parse_str(doc, &r), want_rc);
	if (want != NULL)
		assert_string_equal(r.log.p, want);
	duet_free(doc);
	duet_buf_dispose(&r.log);
}

static void
test_properties(void **state)
{
	(void)state;
	check_props("", "", 0, "B n|-1|0|0|-||||\n");
	check_props("<Content-Length>999999999999999999</Content-Length>", "", 0,
	            "B n|999999999999999999|0|0|-||||\n");
	check_props("<Content-Length>12a</Content-Length>", "", DUET_E_CORRUPT, NULL);
	check_props("<Content-Length>-1</Content-Length>", "", DUET_E_CORRUPT, NULL);
	check_props("<Content-Length></Content-Length>", "", DUET_E_CORRUPT, NULL);
	check_props("<Content-Length>9999999999999999999</Content-Length>", "", DUET_E_CORRUPT,
	            NULL);
	check_props("<Last-Modified>yesterday</Last-Modified>", "", DUET_E_CORRUPT, NULL);
	check_props("<Content-MD5>not-base64</Content-MD5>", "", 0, "B n|-1|0|0|-||||\n");
	check_props("<Content-MD5>AAAA</Content-MD5>", "", 0, "B n|-1|0|0|-||||\n");
	check_props("<Content-MD5>1B2M2Y8AsgTpgAmY7PhCfg==</Content-MD5>", "", 0,
	            "B n|-1|0|0|d41d8cd98f00b204e9800998ecf8427e||||\n");
	check_props("<Etag>\"0x8D\"</Etag><BlobType>PageBlob</BlobType>"
	            "<AccessTier>Archive</AccessTier><Unknown><Deep>x</Deep></Unknown>",
	            "<mtime>2024-11-30T10:08:07+01:00</mtime>", 0,
	            "B n|-1|0|1732957687000000000|-|\"0x8D\"|PageBlob|Archive|"
	            "mtime=2024-11-30T10:08:07+01:00;\n");
	check_props("", "<MTime>2024-11-30T09:08:07Z</MTime>", 0,
	            "B n|-1|0|1732957687000000000|-||||MTime=2024-11-30T09:08:07Z;\n");
	check_props("", "<mtimes>2024-11-30T09:08:07Z</mtimes>", 0,
	            "B n|-1|0|0|-||||mtimes=2024-11-30T09:08:07Z;\n");
	check_props("<BlobType>BlockBlobBlockBlobBlockBlobBlockBlobBlockBlobBlockBlobBlockBlob"
	            "BlockBlob</BlobType>",
	            "", DUET_E_CORRUPT, NULL);
}

static void
test_metadata_caps(void **state)
{
	struct duet_buf m = DUET_BUF_INIT;
	char *doc;

	(void)state;
	for (int i = 0; i < DUET_AZ_META_COUNT; i++)
		duet_buf_printf(&m, "<k%d>v</k%d>", i, i);
	doc = doc_with_props("", m.p);
	{
		struct rec r = {DUET_BUF_INIT, 0, 0};
		assert_int_equal(parse_str(doc, &r), 0);
		assert_non_null(strstr(r.log.p, "k255=v;\n"));
		duet_buf_dispose(&r.log);
	}
	duet_free(doc);
	duet_buf_puts(&m, "<one>more</one>");
	doc = doc_with_props("", m.p);
	check_corrupt(doc, "more than 256 metadata entries");
	duet_free(doc);
	duet_buf_reset(&m);
	for (int i = 0; i < 5; i++) {
		duet_buf_printf(&m, "<big%d>", i);
		for (int k = 0; k < 4000; k++)
			duet_buf_putc(&m, 'v');
		duet_buf_printf(&m, "</big%d>", i);
	}
	doc = doc_with_props("", m.p);
	check_corrupt(doc, "over 16 KiB of metadata");
	duet_free(doc);
	duet_buf_dispose(&m);
}

static void
test_callback_stops(void **state)
{
	struct rec r = {DUET_BUF_INIT, 2, 0};

	(void)state;
	assert_int_equal(parse_str(list_doc, &r), DUET_E_CANCELLED);
	assert_string_equal(duet_err_msg(), "stopped by the test");
	assert_int_equal(r.calls, 2);
	assert_null(strstr(r.log.p, "P "));
	duet_buf_dispose(&r.log);
}

/* NULL callbacks are allowed: only the marker is wanted. */
static void
test_null_callbacks(void **state)
{
	struct duet_az_xml *x = NULL;

	(void)state;
	assert_int_equal(duet_az_xml_list_new(NULL, &x), 0);
	assert_int_equal(duet_az_xml_feed(x, list_doc, strlen(list_doc)), 0);
	assert_string_equal(duet_az_xml_next_marker(x), "");
	assert_int_equal(duet_az_xml_end(x), 0);
	assert_string_equal(duet_az_xml_next_marker(x), "2!84!MDAwMDE4IWRpci9zdWIvZmlsZSE-");
	duet_az_xml_free(x);
	duet_az_xml_free(NULL);
}

static void
test_error_doc(void **state)
{
	size_t n = strlen(error_doc);
	struct duet_az_error e;

	(void)state;
	for (size_t split = 0; split <= n; split++) {
		struct duet_az_xml *x = NULL;
		const struct duet_az_error *got;
		assert_int_equal(duet_az_xml_error_new(&x), 0);
		assert_int_equal(duet_az_xml_feed(x, error_doc, split), 0);
		assert_int_equal(duet_az_xml_feed(x, error_doc + split, n - split), 0);
		assert_int_equal(duet_az_xml_end(x), 0);
		got = duet_az_xml_error(x);
		assert_string_equal(got->code, "AuthenticationFailed");
		assert_non_null(strstr(got->message, "Server failed to authenticate the request."));
		assert_non_null(strstr(got->message, "\nTime:2024-12-01T10:00:00.0000000Z"));
		duet_az_xml_free(x);
	}
	assert_int_equal(duet_az_error_parse(error_doc, n, &e), 0);
	assert_string_equal(e.code, "AuthenticationFailed");
	assert_int_equal(duet_az_error_parse("<html><body>Bad Gateway</body></html>", 37, &e), 0);
	assert_string_equal(e.code, "");
	assert_string_equal(e.message, "");
	assert_int_equal(duet_az_error_parse("", 0, &e), 0);
	assert_string_equal(e.code, "");
	assert_int_equal(duet_az_error_parse("<Error><Code>BlobNotFound</Code>", 32, &e), 0);
	assert_string_equal(e.code, ""); /* cut short: not trusted */
}

/* A <Message> longer than the field is cut, not refused. */
static void
test_error_doc_long(void **state)
{
	struct duet_buf b = DUET_BUF_INIT;
	struct duet_az_error e;

	(void)state;
	duet_buf_puts(&b, "<Error><Code>ServerBusy</Code><Message>");
	for (int i = 0; i < 3000; i++)
		duet_buf_putc(&b, 'm');
	duet_buf_puts(&b, "</Message></Error>");
	assert_int_equal(duet_az_error_parse(b.p, b.len, &e), 0);
	assert_string_equal(e.code, "ServerBusy");
	assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
	duet_buf_dispose(&b);
}

static void
test_error_map(void **state)
{
	(void)state;
	/* The code alone decides (status 0 maps to nothing in particular). */
	assert_int_equal(duet_az_error_code(0, NULL), DUET_E_IO);
	assert_int_equal(duet_az_error_code(0, "BlobNotFound"), DUET_E_NOTFOUND);
	assert_int_equal(duet_az_error_code(0, "ContainerNotFound"), DUET_E_NOTFOUND);
	assert_int_equal(duet_az_error_code(0, "AuthenticationFailed"), DUET_E_AUTH);
	assert_int_equal(duet_az_error_code(0, "AuthorizationFailure"), DUET_E_AUTH);
	assert_int_equal(duet_az_error_code(0, "AuthorizationPermissionMismatch"), DUET_E_AUTH);
	assert_int_equal(duet_az_error_code(0, "InvalidAuthenticationInfo"), DUET_E_AUTH);
	assert_int_equal(duet_az_error_code(0, "ServerBusy"), DUET_E_TEMP);
	assert_int_equal(duet_az_error_code(0, "InternalError"), DUET_E_TEMP);
	assert_int_equal(duet_az_error_code(0, "OperationTimedOut"), DUET_E_TEMP);
	assert_int_equal(duet_az_error_code(0, "BlobAlreadyExists"), DUET_E_EXIST);
	assert_int_equal(duet_az_error_code(0, "ConditionNotMet"), DUET_E_CHANGED);
	/* Where the code says more than the status. */
	assert_int_equal(duet_az_error_code(400, "Md5Mismatch"), DUET_E_HASH);
	assert_int_equal(duet_az_error_code(400, "InvalidResourceName"), DUET_E_BADNAME);
	assert_int_equal(duet_az_error_code(409, "BlobArchived"), DUET_E_PERM);
	assert_int_equal(duet_az_error_code(409, "ContainerBeingDeleted"), DUET_E_TEMP);
	assert_int_equal(duet_az_error_code(400, "InvalidHeaderValue"), DUET_E_INVAL);
	/* Unknown codes and none: the status decides. */
	assert_int_equal(duet_az_error_code(404, NULL), DUET_E_NOTFOUND);
	assert_int_equal(duet_az_error_code(403, "SomethingNew"), DUET_E_AUTH);
	assert_int_equal(duet_az_error_code(401, ""), DUET_E_AUTH);
	assert_int_equal(duet_az_error_code(409, NULL), DUET_E_EXIST);
	assert_int_equal(duet_az_error_code(412, NULL), DUET_E_CHANGED);
	assert_int_equal(duet_az_error_code(429, NULL), DUET_E_TEMP);
	assert_int_equal(duet_az_error_code(408, NULL), DUET_E_TEMP);
	assert_int_equal(duet_az_error_code(500, NULL), DUET_E_TEMP);
	assert_int_equal(duet_az_error_code(503, "SomethingNew"), DUET_E_TEMP);
	assert_int_equal(duet_az_error_code(416, NULL), DUET_E_INVAL);
	assert_int_equal(duet_az_error_code(304, NULL), DUET_E_IO);
}

static void
test_error_set(void **state)
{
	struct duet_az_error e;

	(void)state;
	assert_int_equal(duet_az_error_parse(error_doc, strlen(error_doc), &e), 0);
	assert_int_equal(duet_az_error_set(403, &e, "list ctr/dir"), DUET_E_AUTH);
	assert_string_equal(
	    duet_err_msg(),
	    "azureblob: list ctr/dir: Server failed to authenticate the request. Make sure the "
	    "value of Authorization header is formed correctly including the signature. "
	    "(AuthenticationFailed, HTTP 403)");
	assert_int_equal(duet_err_code(), DUET_E_AUTH);
	assert_int_equal(duet_az_error_set(404, NULL, "head a.txt"), DUET_E_NOTFOUND);
	assert_string_equal(duet_err_msg(), "azureblob: head a.txt: HTTP 404");
	memset(&e, 0, sizeof(e));
	strcpy(e.code, "AuthorizationFailure");
	strcpy(e.message, "denied for https://a.blob.core.windows.net/c?sv=1&sig=S3CRET&se=2 now");
	assert_int_equal(duet_az_error_set(403, &e, "get b"), DUET_E_AUTH);
	assert_null(strstr(duet_err_msg(), "S3CRET"));
	assert_non_null(strstr(duet_err_msg(), "sig=REDACTED&se=2 now (AuthorizationFailure"));
	memset(&e, 0, sizeof(e));
	strcpy(e.code, "BlobNotFound");
	assert_int_equal(duet_az_error_set(404, &e, "get b"), DUET_E_NOTFOUND);
	assert_string_equal(duet_err_msg(), "azureblob: get b: BlobNotFound, HTTP 404");
}

static void
test_blocklist(void **state)
{
	const char *ids[] = {"AAAAAA==", "AAAAAQ==", "AAAAAg=="};
	const char *bad_chars[] = {"AAAA<A==", "AAAAAQ=="};
	const char *bad_len[] = {"AAAAAA==", "AAAAAAAA"};
	const char *bad_pad[] = {"AAAAAA=A"};
	const char *too_long[] = {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	                          "AAAAAAAAAAAAAAAAAAAAAAAA"};
	const char *empty[] = {""};
	const char *longest[] = {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	                         "AAAAAAAAAAAAAAAAAAAAA=="};
	struct duet_buf b = DUET_BUF_INIT;

	(void)state;
	assert_int_equal(duet_az_blocklist_xml(ids, 3, &b), 0);
	assert_string_equal(b.p, "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>"
	                         "<Latest>AAAAAA==</Latest><Latest>AAAAAQ==</Latest>"
	                         "<Latest>AAAAAg==</Latest></BlockList>");
	duet_buf_reset(&b);
	assert_int_equal(duet_az_blocklist_xml(ids, 0, &b), DUET_E_INVAL);
	assert_int_equal(duet_az_blocklist_xml(bad_chars, 2, &b), DUET_E_INVAL);
	assert_int_equal(duet_az_blocklist_xml(bad_len, 2, &b), DUET_E_INVAL);
	assert_int_equal(duet_az_blocklist_xml(bad_pad, 1, &b), DUET_E_INVAL);
	assert_int_equal(duet_az_blocklist_xml(empty, 1, &b), DUET_E_INVAL);
	assert_int_equal(duet_az_blocklist_xml(too_long, 1, &b), DUET_E_INVAL);
	assert_int_equal(b.len, 0);
	assert_int_equal(duet_az_blocklist_xml(longest, 1, &b), 0); /* 64 bytes */
	assert_non_null(strstr(b.p, "<Latest>AAAA"));
	duet_buf_dispose(&b);
}

static void
test_blocklist_many(void **state)
{
	static const char *ids[DUET_AZ_BLOCKS_MAX + 1];
	struct duet_buf b = DUET_BUF_INIT;
	struct rec r = {DUET_BUF_INIT, 0, 0};

	(void)state;
	for (size_t i = 0; i <= DUET_AZ_BLOCKS_MAX; i++)
		ids[i] = "MDAwMDAwMDAwMDAwMDAwMQ==";
	assert_int_equal(duet_az_blocklist_xml(ids, DUET_AZ_BLOCKS_MAX + 1, &b), DUET_E_INVAL);
	assert_int_equal(duet_az_blocklist_xml(ids, DUET_AZ_BLOCKS_MAX, &b), 0);
	/* well-formed: expat reads it back (as a non-listing, so "root") */
	assert_int_equal(parse_str(b.p, &r), DUET_E_CORRUPT);
	assert_non_null(strstr(duet_err_msg(), "unexpected root element"));
	duet_buf_dispose(&b);
	duet_buf_dispose(&r.log);
}

/* Each allocation (expat's included) may fail: NOMEM, never a crash or a
 * leak (the ASan build checks the leaks). */
static void
test_alloc_failures(void **state)
{
	int done = 0;

	(void)state;
	for (long n = 1; !done && n < 2000; n++) {
		struct rec r = {DUET_BUF_INIT, 0, 0};
		struct duet_buf m = DUET_BUF_INIT;
		int rc;
		duet_alloc_fail_at(n);
		rc = parse_list(list_doc, strlen(list_doc), 100, &r, &m);
		duet_alloc_fail_at(0);
		if (rc == 0) {
			assert_non_null(r.log.p);
			if (strcmp(r.log.p, list_want) == 0)
				done = 1;
		} else {
			assert_int_equal(rc, DUET_E_NOMEM);
		}
		duet_buf_dispose(&r.log);
		duet_buf_dispose(&m);
	}
	assert_true(done);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list_full),
	    cmocka_unit_test(test_azurite_captured),
	    cmocka_unit_test(test_list_every_split),
	    cmocka_unit_test(test_list_empty),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_doctype_refused),
	    cmocka_unit_test(test_names_refused),
	    cmocka_unit_test(test_encoded_long_name),
	    cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_properties),
	    cmocka_unit_test(test_metadata_caps),
	    cmocka_unit_test(test_callback_stops),
	    cmocka_unit_test(test_null_callbacks),
	    cmocka_unit_test(test_error_doc),
	    cmocka_unit_test(test_error_doc_long),
	    cmocka_unit_test(test_error_map),
	    cmocka_unit_test(test_error_set),
	    cmocka_unit_test(test_blocklist),
	    cmocka_unit_test(test_blocklist_many),
	    cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
