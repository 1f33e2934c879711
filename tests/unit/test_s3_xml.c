/*
 * test_s3_xml.c: the S3 XML parsers (s3_xml); test_s3_util.c has the
 * error mapping, %-decoding and times. Documents follow the shapes of AWS's API
 * reference examples (ListObjectsV2, Error, InitiateMultipartUpload,
 * CompleteMultipartUpload, CopyObject, DeleteObjects) and MinIO's
 * ordering (EncodingType after the entries). Every document is also fed
 * split at every byte position and one byte at a time, and must give the
 * same result; cut short anywhere, it must fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/s3/s3_xml.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* What the callbacks saw, as text, and how many calls. */
struct rec {
	struct duet_buf log;
	int calls;
	int stop_at; /* return DUET_E_CANCELLED on this call (1-based); 0 never */
};

static void
rec_str(struct rec *r, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '\\')
			assert_int_equal(duet_buf_printf(&r->log, "\\x%02x", c), 0);
		else
			assert_int_equal(duet_buf_putc(&r->log, (char)c), 0);
	}
}

static int
rec_object(void *ctx, const struct duet_s3_object *o)
{
	struct rec *r = ctx;
	assert_int_equal(strlen(o->key), o->keylen);
	assert_int_equal(duet_buf_puts(&r->log, "O "), 0);
	rec_str(r, o->key, o->keylen);
	assert_int_equal(duet_buf_printf(&r->log, " %lld %lld %s %s\n", (long long)o->size,
	                                 (long long)o->mtime, o->etag, o->storage_class),
	                 0);
	return ++r->calls == r->stop_at ? DUET_E_CANCELLED : 0;
}

static int
rec_prefix(void *ctx, const char *p, size_t n)
{
	struct rec *r = ctx;
	assert_int_equal(duet_buf_puts(&r->log, "P "), 0);
	rec_str(r, p, n);
	assert_int_equal(duet_buf_putc(&r->log, '\n'), 0);
	return ++r->calls == r->stop_at ? DUET_E_CANCELLED : 0;
}

static int
rec_deleted(void *ctx, const char *key, size_t n, const char *code, const char *msg)
{
	struct rec *r = ctx;
	assert_int_equal(duet_buf_puts(&r->log, code ? "E " : "D "), 0);
	rec_str(r, key, n);
	if (code != NULL)
		assert_int_equal(duet_buf_printf(&r->log, " %s: %s", code, msg), 0);
	assert_int_equal(duet_buf_putc(&r->log, '\n'), 0);
	return ++r->calls == r->stop_at ? DUET_E_CANCELLED : 0;
}

static int
rec_upload(void *ctx, const char *key, size_t n, const char *id, int64_t initiated)
{
	struct rec *r = ctx;
	assert_int_equal(duet_buf_puts(&r->log, "U "), 0);
	rec_str(r, key, n);
	assert_int_equal(duet_buf_printf(&r->log, " %s %lld\n", id, (long long)initiated), 0);
	return ++r->calls == r->stop_at ? DUET_E_CANCELLED : 0;
}

enum doc_kind { K_LIST, K_DELETE, K_ERROR, K_INITIATE, K_COMPLETE, K_COPY, K_UPLOADS };

static int
new_parser(enum doc_kind k, struct rec *r, struct duet_s3_xml **x)
{
	const struct duet_s3_list_cb lcb = {rec_object, rec_prefix, r};
	const struct duet_s3_delete_cb dcb = {rec_deleted, r};
	const struct duet_s3_uploads_cb ucb = {rec_upload, r};

	switch (k) {
	case K_UPLOADS:
		return duet_s3_xml_uploads_new(&ucb, x);
	case K_LIST:
		return duet_s3_xml_list_new(&lcb, x);
	case K_DELETE:
		return duet_s3_xml_delete_new(&dcb, x);
	case K_ERROR:
		return duet_s3_xml_new(DUET_S3_XML_ERROR, x);
	case K_INITIATE:
		return duet_s3_xml_new(DUET_S3_XML_INITIATE, x);
	case K_COMPLETE:
		return duet_s3_xml_new(DUET_S3_XML_COMPLETE, x);
	default:
		return duet_s3_xml_new(DUET_S3_XML_COPY, x);
	}
}

/* Appends the result fields to the log. */
static void
log_result(struct rec *r, const struct duet_s3_result *res)
{
	assert_int_equal(duet_buf_printf(&r->log, "= t%d n[%s] c%ld u%d id[%s] e[%s] m%lld",
	                                 res->truncated, res->next_token, res->key_count,
	                                 res->url_encoded, res->upload_id, res->etag,
	                                 (long long)res->last_modified),
	                 0);
	if (res->error != NULL)
		assert_int_equal(duet_buf_printf(&r->log, " ERR[%s|%s|%s|%s|%s]", res->error->code,
		                                 res->error->message, res->error->request_id,
		                                 res->error->region, res->error->endpoint),
		                 0);
}

/*
 * Parses doc fed in pieces: at the offsets in cuts[] (ascending), or one
 * byte at a time when step is 1. Returns the rc; the log gets the entries
 * and, on success, the result. *msg (if not NULL) gets the error message.
 */
static int
parse_cuts(enum doc_kind k, const char *doc, size_t len, const size_t *cuts, size_t ncuts, int step,
           struct rec *r)
{
	struct duet_s3_xml *x = NULL;
	size_t at = 0;
	int rc = new_parser(k, r, &x);

	for (size_t i = 0; rc == 0 && i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;
		for (; rc == 0 && at < to; at += step ? 1 : to - at)
			rc = duet_s3_xml_feed(x, doc + at, step ? 1 : to - at);
	}
	if (rc == 0)
		rc = duet_s3_xml_end(x);
	if (x != NULL && (rc == 0 || duet_s3_xml_result(x)->error != NULL))
		log_result(r, duet_s3_xml_result(x));
	duet_s3_xml_free(x);
	return rc;
}

static int
parse_whole(enum doc_kind k, const char *doc, struct rec *r)
{
	return parse_cuts(k, doc, strlen(doc), NULL, 0, 0, r);
}

static void
rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
}

/* Parses doc whole and checks the log. */
static void
check_doc(enum doc_kind k, const char *doc, int want_rc, const char *want_log)
{
	struct rec r;

	rec_init(&r);
	assert_int_equal(parse_whole(k, doc, &r), want_rc);
	assert_string_equal(r.log.p ? r.log.p : "", want_log);
	duet_buf_dispose(&r.log);
}

/* AWS's order: EncodingType before the entries, keys url-encoded. */
static const char list_aws[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>bucket</Name><Prefix></Prefix><KeyCount>4</KeyCount><MaxKeys>1000</MaxKeys>"
    "<Delimiter>%2F</Delimiter><EncodingType>url</EncodingType>"
    "<IsTruncated>false</IsTruncated>\n"
    "  <Contents>\n    <Key>dir%2Fa+b.txt</Key>\n"
    "    <LastModified>2009-10-12T17:50:30.000Z</LastModified>\n"
    "    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>\n"
    "    <ChecksumAlgorithm>CRC32</ChecksumAlgorithm>\n"
    "    <Size>434234</Size>\n"
    "    <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>"
    "<DisplayName>mtd@amazon.com</DisplayName></Owner>\n"
    "    <StorageClass>STANDARD</StorageClass>\n  </Contents>\n"
    "  <Contents><Key>caf%C3%A9%2Bp%25q%01</Key>"
    "<LastModified>2023-01-02T03:04:05.123456789Z</LastModified>"
    "<ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag><Size>0</Size>"
    "<StorageClass>GLACIER</StorageClass></Contents>\n"
    "  <CommonPrefixes><Prefix>sub%2F</Prefix></CommonPrefixes>\n"
    "  <CommonPrefixes><Prefix>sp+ace%2F</Prefix></CommonPrefixes>\n"
    "</ListBucketResult>";

static const char list_want[] =
    "O dir/a b.txt 434234 1255369830000000000 fba9dede5f27731c9771645a39863328 STANDARD\n"
    "O caf\\xc3\\xa9+p%q\\x01 0 1672628645123456789 3858f62230ac3c915f300c664312c11f-9 GLACIER\n"
    "P sub/\n"
    "P sp ace/\n"
    "= t0 n[] c4 u1 id[] e[] m0";

/* MinIO's order: the same listing with EncodingType last. */
static const char list_minio[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>bucket</Name><Prefix></Prefix><KeyCount>4</KeyCount><MaxKeys>1000</MaxKeys>"
    "<Delimiter>%2F</Delimiter><IsTruncated>false</IsTruncated>"
    "<Contents><Key>dir%2Fa+b.txt</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
    "<ETag>&#34;fba9dede5f27731c9771645a39863328&#34;</ETag><Size>434234</Size>"
    "<StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>caf%C3%A9%2Bp%25q%01</Key>"
    "<LastModified>2023-01-02T03:04:05.123456789Z</LastModified>"
    "<ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag><Size>0</Size>"
    "<StorageClass>GLACIER</StorageClass></Contents>"
    "<CommonPrefixes><Prefix>sub%2F</Prefix></CommonPrefixes>"
    "<CommonPrefixes><Prefix>sp+ace%2F</Prefix></CommonPrefixes>"
    "<EncodingType>url</EncodingType></ListBucketResult>\n";

/* No encoding asked for: '+' and '%' are the key's own. */
static const char list_plain[] =
    "<ListBucketResult><Name>b</Name><IsTruncated>true</IsTruncated>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "<Contents><Key>a+b%20c &amp; &lt;d&gt; \xc3\xa9</Key><Size>7</Size></Contents>"
    "<KeyCount>1</KeyCount></ListBucketResult>";

static const char list_plain_want[] =
    "O a+b%20c & <d> \\xc3\\xa9 7 0  \n"
    "= t1 n[1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=] c1 u0 id[] e[] m0";

static const char error_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Error>\n  <Code>NoSuchKey</Code>\n"
    "  <Message>The resource you requested does not exist</Message>\n"
    "  <Resource>/mybucket/myfoto.jpg</Resource>\n"
    "  <RequestId>4442587FB7D0A2F9</RequestId>\n"
    "  <HostId>eftixk72aD6Ap51TnqcoF8eFidJG9Z/2mkiDFu8yU9AS1ed4OpIszj7UDNEHGran</HostId>\n"
    "</Error>";

static const char initiate_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Bucket>example-bucket</Bucket><Key>example-object</Key>"
    "<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
    "</InitiateMultipartUploadResult>";

/* with the white space S3 sends while it assembles the parts */
static const char complete_doc[] =
    "   \n  \n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Location>http://Example-Bucket.s3.Region.amazonaws.com/Example-Object</Location>"
    "<Bucket>Example-Bucket</Bucket><Key>Example-Object</Key>"
    "<ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag>"
    "</CompleteMultipartUploadResult>";

static const char complete_error_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n              \n"
    "<Error><Code>InternalError</Code>"
    "<Message>We encountered an internal error. Please try again.</Message>"
    "<RequestId>656c76696e6727732072657175657374</RequestId>"
    "<HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId></Error>";

static const char copy_doc[] =
    "<CopyObjectResult><LastModified>2009-10-28T22:32:00.000Z</LastModified>"
    "<ETag>\"9b2cf535f27731c974343645a3985328\"</ETag></CopyObjectResult>";

static const char delete_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Deleted><Key>sample1.txt</Key></Deleted>"
    "<Deleted><Key>dir/v.txt</Key><VersionId>OYcLXagmS.WaD..oyH4KRguB95_YhLs7</VersionId>"
    "<DeleteMarker>true</DeleteMarker></Deleted>"
    "<Error><Key>sample2.txt</Key><Code>AccessDenied</Code><Message>Access Denied</Message>"
    "</Error></DeleteResult>";

static const struct {
	enum doc_kind k;
	const char *doc;
	int rc;
	const char *log;
} docs[] = {
    {K_LIST, list_aws, 0, list_want},
    {K_LIST, list_minio, 0, list_want},
    {K_LIST, list_plain, 0, list_plain_want},
    {K_ERROR, error_doc, 0,
     "= t0 n[] c-1 u0 id[] e[] m0 ERR[NoSuchKey|The resource you requested does not "
     "exist|4442587FB7D0A2F9||]"},
    {K_INITIATE, initiate_doc, 0,
     "= t0 n[] c-1 u0 id[VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA] e[] m0"},
    {K_COMPLETE, complete_doc, 0, "= t0 n[] c-1 u0 id[] e[3858f62230ac3c915f300c664312c11f-9] m0"},
    {K_COMPLETE, complete_error_doc, DUET_E_TEMP,
     "= t0 n[] c-1 u0 id[] e[] m0 ERR[InternalError|We encountered an internal error. "
     "Please try again.|656c76696e6727732072657175657374||]"},
    {K_COPY, copy_doc, 0,
     "= t0 n[] c-1 u0 id[] e[9b2cf535f27731c974343645a3985328] m1256769120000000000"},
    {K_DELETE, delete_doc, 0,
     "D sample1.txt\nD dir/v.txt\nE sample2.txt AccessDenied: Access Denied\n"
     "= t0 n[] c-1 u0 id[] e[] m0"},
};

static void
test_documents(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(docs); i++)
		check_doc(docs[i].k, docs[i].doc, docs[i].rc, docs[i].log);
}

/* Every split in two, and one byte at a time, gives the same result. */
static void
test_every_split(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(docs); i++) {
		size_t len = strlen(docs[i].doc);
		for (size_t cut = 0; cut <= len; cut++) {
			struct rec r;
			rec_init(&r);
			assert_int_equal(parse_cuts(docs[i].k, docs[i].doc, len, &cut, 1, 0, &r),
			                 docs[i].rc);
			assert_string_equal(r.log.p, docs[i].log);
			duet_buf_dispose(&r.log);
		}
		{
			struct rec r;
			rec_init(&r);
			assert_int_equal(parse_cuts(docs[i].k, docs[i].doc, len, NULL, 0, 1, &r),
			                 docs[i].rc);
			assert_string_equal(r.log.p, docs[i].log);
			duet_buf_dispose(&r.log);
		}
	}
}

/* Cut short anywhere before the root closes, a document fails. */
static void
test_cut_short(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(docs); i++) {
		size_t len = strlen(docs[i].doc),
		       root_end = strrchr(docs[i].doc, '>') - docs[i].doc;
		for (size_t cut = 0; cut <= root_end; cut++) {
			struct rec r;
			int rc;
			rec_init(&r);
			rc = parse_cuts(docs[i].k, docs[i].doc, cut, NULL, 0, 0, &r);
			assert_int_equal(rc, DUET_E_CORRUPT);
			assert_non_null(strstr(duet_err_msg(), "s3: malformed XML in "));
			duet_buf_dispose(&r.log);
		}
		(void)len;
	}
}

/* Entries reach the callback as they complete when the encoding is known
 * first (AWS), and not before it when it comes last (MinIO). */
static void
test_streaming_order(void **state)
{
	const char *mark = "</Contents>";
	struct duet_s3_list_cb cb;
	struct duet_s3_xml *x;
	struct rec r;
	size_t upto;

	(void)state;
	rec_init(&r);
	cb = (struct duet_s3_list_cb){rec_object, rec_prefix, &r};
	upto = (size_t)(strstr(list_aws, mark) - list_aws) + strlen(mark);
	assert_int_equal(duet_s3_xml_list_new(&cb, &x), 0);
	assert_int_equal(duet_s3_xml_feed(x, list_aws, upto), 0);
	assert_int_equal(r.calls, 1);
	duet_s3_xml_free(x);

	r.calls = 0;
	upto = (size_t)(strstr(list_minio, "<EncodingType>") - list_minio);
	assert_int_equal(duet_s3_xml_list_new(&cb, &x), 0);
	assert_int_equal(duet_s3_xml_feed(x, list_minio, upto), 0);
	assert_int_equal(r.calls, 0);
	assert_int_equal(duet_s3_xml_feed(x, list_minio + upto, strlen(list_minio) - upto), 0);
	assert_int_equal(r.calls, 4);
	assert_int_equal(duet_s3_xml_end(x), 0);
	assert_int_equal(duet_s3_xml_end(x), 0); /* a second end is harmless */
	assert_int_equal(duet_s3_xml_feed(x, "x", 1), DUET_E_INVAL);
	duet_s3_xml_free(x);
	duet_buf_dispose(&r.log);
}

static void
expect_fail(enum doc_kind k, const char *doc, int want_rc, const char *msg_part)
{
	struct rec r;

	rec_init(&r);
	assert_int_equal(parse_whole(k, doc, &r), want_rc);
	if (strstr(duet_err_msg(), msg_part) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", duet_err_msg(), msg_part);
	duet_buf_dispose(&r.log);
}

static void
test_malformed(void **state)
{
	(void)state;
	expect_fail(K_LIST, "", DUET_E_CORRUPT,
	            "s3: malformed XML in ListObjectsV2 response: no element found at line 1");
	expect_fail(K_LIST, "  \n ", DUET_E_CORRUPT, "no element found");
	expect_fail(K_LIST, "<ListBucketResult><Contents></ListBucketResult>", DUET_E_CORRUPT,
	            "s3: malformed XML in ListObjectsV2 response: mismatched tag at line 1");
	expect_fail(K_LIST, "<ListBucketResult>\n<Contents>\n<Key>a</Key>\n</Contents>\n",
	            DUET_E_CORRUPT, "at line 5");
	expect_fail(K_LIST, "<ListBucketResult/><ListBucketResult/>", DUET_E_CORRUPT,
	            "junk after document element");
	expect_fail(K_ERROR, "<html><body>Bad Gateway</body>", DUET_E_CORRUPT,
	            "unexpected root element in error response");
	expect_fail(K_LIST,
	            "<ListBucketResult><Contents><Key>a&bogus;</Key></Contents>"
	            "</ListBucketResult>",
	            DUET_E_CORRUPT, "undefined entity");
	expect_fail(K_LIST,
	            "<ListBucketResult><Contents><Key>a&#0;</Key></Contents>"
	            "</ListBucketResult>",
	            DUET_E_CORRUPT, "reference to invalid character number");
	expect_fail(K_COPY, "<CompleteMultipartUploadResult/>", DUET_E_CORRUPT,
	            "unexpected root element in CopyObject response");
	expect_fail(K_DELETE,
	            "<DeleteResult><Deleted><VersionId>1</VersionId></Deleted>"
	            "</DeleteResult>",
	            DUET_E_CORRUPT, "Deleted without Key");
	expect_fail(K_DELETE, "<DeleteResult><Error><Code>X</Code></Error></DeleteResult>",
	            DUET_E_CORRUPT, "Error without Key");
	expect_fail(K_LIST,
	            "<ListBucketResult><Contents><Size>1</Size></Contents>"
	            "</ListBucketResult>",
	            DUET_E_CORRUPT, "Contents without Key");
	expect_fail(K_LIST, "<ListBucketResult><CommonPrefixes/></ListBucketResult>",
	            DUET_E_CORRUPT, "CommonPrefixes without Prefix");
	expect_fail(K_LIST,
	            "<ListBucketResult><Contents><Key>a<b/>c</Key></Contents>"
	            "</ListBucketResult>",
	            DUET_E_CORRUPT, "element inside a text element");
}

static void
test_bad_values(void **state)
{
	static const struct {
		const char *inner;
		const char *msg;
	} t[] = {
	    {"<Contents><Key>a</Key><Size>-1</Size></Contents>", "bad Size"},
	    {"<Contents><Key>a</Key><Size>12a</Size></Contents>", "bad Size"},
	    {"<Contents><Key>a</Key><Size>1234567890123456789</Size></Contents>", "bad Size"},
	    {"<Contents><Key>a</Key><Size></Size></Contents>", "bad Size"},
	    {"<Contents><Key>a</Key><LastModified>yesterday</LastModified></Contents>",
	     "bad LastModified"},
	    {"<IsTruncated>maybe</IsTruncated>", "bad IsTruncated"},
	    {"<KeyCount>x</KeyCount>", "bad KeyCount"},
	    {"<EncodingType>base64</EncodingType>", "unknown EncodingType"},
	    {"<EncodingType>url</EncodingType><Contents><Key>a%zz</Key></Contents>",
	     "bad %-escape in an encoded key in ListObjectsV2 response at line 1"},
	    {"<EncodingType>url</EncodingType><Contents><Key>a%4</Key></Contents>", "bad %-escape"},
	    {"<Contents><Key>a</Key><StorageClass>"
	     "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
	     "</StorageClass></Contents>",
	     "over-long StorageClass"},
	    {"<EncodingType>url</EncodingType><EncodingType></EncodingType>",
	     "EncodingType after the listing was read"},
	};
	char doc[512];

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		snprintf(doc, sizeof(doc), "<ListBucketResult>%s</ListBucketResult>", t[i].inner);
		expect_fail(K_LIST, doc, DUET_E_CORRUPT, t[i].msg);
	}
}

/* Keys that cannot be names: empty, NUL, over 4096 bytes once decoded. */
static void
test_bad_keys(void **state)
{
	struct duet_buf doc = DUET_BUF_INIT;
	struct rec r;

	(void)state;
	expect_fail(K_LIST, "<ListBucketResult><Contents><Key></Key></Contents></ListBucketResult>",
	            DUET_E_BADNAME, "empty key");
	expect_fail(K_LIST,
	            "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>"
	            "a%00b</Key></Contents></ListBucketResult>",
	            DUET_E_BADNAME, "key with a NUL byte");
	expect_fail(K_LIST,
	            "<ListBucketResult><Contents><Key>a%00b</Key></Contents>"
	            "<EncodingType>url</EncodingType></ListBucketResult>",
	            DUET_E_BADNAME, "key with a NUL byte");
	expect_fail(K_DELETE, "<DeleteResult><Deleted><Key></Key></Deleted></DeleteResult>",
	            DUET_E_BADNAME, "empty key");

	/* 4096 raw bytes pass, 4097 do not */
	for (int over = 0; over <= 1; over++) {
		duet_buf_reset(&doc);
		assert_int_equal(duet_buf_puts(&doc, "<ListBucketResult><Contents><Key>"), 0);
		for (int i = 0; i < DUET_S3_NAME_MAX + over; i++)
			assert_int_equal(duet_buf_putc(&doc, 'k'), 0);
		assert_int_equal(duet_buf_puts(&doc, "</Key></Contents></ListBucketResult>"), 0);
		rec_init(&r);
		assert_int_equal(parse_whole(K_LIST, doc.p, &r), over ? DUET_E_BADNAME : 0);
		if (over)
			assert_non_null(strstr(duet_err_msg(), "key longer than 4096 bytes"));
		duet_buf_dispose(&r.log);
	}
	/* encoded: 4096 decoded bytes pass (12288 sent), 4097 do not */
	for (int over = 0; over <= 1; over++) {
		duet_buf_reset(&doc);
		assert_int_equal(duet_buf_puts(&doc, "<ListBucketResult><EncodingType>url"
		                                     "</EncodingType><Contents><Key>"),
		                 0);
		for (int i = 0; i < DUET_S3_NAME_MAX + over; i++)
			assert_int_equal(duet_buf_puts(&doc, "%41"), 0);
		assert_int_equal(duet_buf_puts(&doc, "</Key></Contents></ListBucketResult>"), 0);
		rec_init(&r);
		assert_int_equal(parse_whole(K_LIST, doc.p, &r), over ? DUET_E_BADNAME : 0);
		duet_buf_dispose(&r.log);
	}
	/* a key text over the 16 KiB text cap fails while it streams in */
	duet_buf_reset(&doc);
	assert_int_equal(duet_buf_puts(&doc, "<ListBucketResult><Contents><Key>"), 0);
	for (int i = 0; i < DUET_S3_TEXT_MAX + 1; i++)
		assert_int_equal(duet_buf_putc(&doc, 'k'), 0);
	rec_init(&r);
	assert_int_equal(parse_whole(K_LIST, doc.p, &r), DUET_E_BADNAME);
	duet_buf_dispose(&r.log);
	duet_buf_dispose(&doc);
}

static void
test_text_caps(void **state)
{
	struct duet_buf doc = DUET_BUF_INIT;
	struct duet_s3_error e;

	(void)state;
	/* an over-long token is corrupt */
	assert_int_equal(duet_buf_puts(&doc, "<ListBucketResult><NextContinuationToken>"), 0);
	for (int i = 0; i < DUET_S3_TEXT_MAX + 1; i++)
		assert_int_equal(duet_buf_putc(&doc, 't'), 0);
	assert_int_equal(duet_buf_puts(&doc, "</NextContinuationToken></ListBucketResult>"), 0);
	expect_fail(K_LIST, doc.p, DUET_E_CORRUPT, "element text over 16 KiB");
	/* an over-long message is cut to fit, control characters made spaces */
	duet_buf_reset(&doc);
	assert_int_equal(duet_buf_puts(&doc, "<Error><Code>SlowDown</Code><Message>a\nb\t"), 0);
	for (int i = 0; i < 3 * DUET_S3_TEXT_MAX; i++)
		assert_int_equal(duet_buf_putc(&doc, 'm'), 0);
	assert_int_equal(duet_buf_puts(&doc, "</Message></Error>"), 0);
	assert_int_equal(duet_s3_error_parse(doc.p, doc.len, &e), 0);
	assert_string_equal(e.code, "SlowDown");
	assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
	assert_memory_equal(e.message, "a b mmm", 7);
	duet_buf_dispose(&doc);
}

/* A DOCTYPE, so any entity, is refused before anything expands. */
static void
test_entities_refused(void **state)
{
	static const char bomb[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
	    " <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	    "]>\n<ListBucketResult><Contents><Key>&lol9;</Key></Contents></ListBucketResult>";
	static const char external[] =
	    "<!DOCTYPE Error [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	    "<Error><Code>&x;</Code></Error>";
	struct duet_s3_error e;
	struct rec r;

	(void)state;
	expect_fail(K_LIST, bomb, DUET_E_CORRUPT,
	            "s3: DOCTYPE not allowed in ListObjectsV2 response at line 2");
	rec_init(&r);
	assert_int_equal(parse_whole(K_LIST, bomb, &r), DUET_E_CORRUPT);
	assert_int_equal(r.calls, 0);
	duet_buf_dispose(&r.log);
	expect_fail(K_ERROR, external, DUET_E_CORRUPT, "DOCTYPE not allowed");
	assert_int_equal(duet_s3_error_parse(external, strlen(external), &e), 0);
	assert_string_equal(e.code, "");
}

static void
test_depth(void **state)
{
	struct duet_buf doc = DUET_BUF_INIT;

	(void)state;
	assert_int_equal(duet_buf_puts(&doc, "<ListBucketResult><Contents><Key>a</Key>"), 0);
	for (int i = 0; i < DUET_S3_DEPTH_MAX; i++)
		assert_int_equal(duet_buf_puts(&doc, "<Owner>"), 0);
	expect_fail(K_LIST, doc.p, DUET_E_CORRUPT, "elements nested too deep");
	/* one level less is fine */
	duet_buf_reset(&doc);
	assert_int_equal(duet_buf_puts(&doc, "<ListBucketResult><Contents><Key>a</Key>"), 0);
	for (int i = 0; i < DUET_S3_DEPTH_MAX - 2; i++)
		assert_int_equal(duet_buf_puts(&doc, "<O>"), 0);
	for (int i = 0; i < DUET_S3_DEPTH_MAX - 2; i++)
		assert_int_equal(duet_buf_puts(&doc, "</O>"), 0);
	assert_int_equal(duet_buf_puts(&doc, "</Contents></ListBucketResult>"), 0);
	check_doc(K_LIST, doc.p, 0, "O a -1 0  \n= t0 n[] c-1 u0 id[] e[] m0");
	duet_buf_dispose(&doc);
}

/* A callback's nonzero value stops the parse and sticks. */
static void
test_callback_stops(void **state)
{
	const struct duet_s3_list_cb cb = {rec_object, rec_prefix, NULL};
	struct duet_s3_list_cb c2 = cb;
	struct duet_s3_xml *x;
	struct rec r;

	(void)state;
	rec_init(&r);
	r.stop_at = 2;
	c2.ctx = &r;
	assert_int_equal(duet_s3_xml_list_new(&c2, &x), 0);
	assert_int_equal(duet_s3_xml_feed(x, list_aws, strlen(list_aws)), DUET_E_CANCELLED);
	assert_int_equal(duet_s3_xml_feed(x, "<a/>", 4), DUET_E_CANCELLED);
	assert_int_equal(duet_s3_xml_end(x), DUET_E_CANCELLED);
	assert_int_equal(r.calls, 2);
	duet_s3_xml_free(x);
	/* also when held back and delivered at the end */
	r.calls = 0;
	assert_int_equal(duet_s3_xml_list_new(&c2, &x), 0);
	assert_int_equal(duet_s3_xml_feed(x, list_minio, strlen(list_minio)), DUET_E_CANCELLED);
	assert_int_equal(r.calls, 2);
	duet_s3_xml_free(x);
	duet_buf_dispose(&r.log);
	/* and NULL callbacks are allowed */
	assert_int_equal(duet_s3_xml_list_new(NULL, &x), 0);
	assert_int_equal(duet_s3_xml_feed(x, list_aws, strlen(list_aws)), 0);
	assert_int_equal(duet_s3_xml_end(x), 0);
	assert_int_equal(duet_s3_xml_result(x)->key_count, 4);
	duet_s3_xml_free(x);
	(void)cb;
}

/* No more than DUET_S3_PENDING_MAX entries wait for EncodingType. */
static void
test_pending_cap(void **state)
{
	struct duet_buf doc = DUET_BUF_INIT;
	struct rec r;

	(void)state;
	for (int extra = 0; extra <= 1; extra++) {
		duet_buf_reset(&doc);
		assert_int_equal(duet_buf_puts(&doc, "<ListBucketResult>"), 0);
		for (int i = 0; i < DUET_S3_PENDING_MAX + extra; i++)
			assert_int_equal(
			    duet_buf_printf(&doc, "<Contents><Key>%d</Key></Contents>", i), 0);
		assert_int_equal(duet_buf_puts(&doc, "<EncodingType>url</EncodingType>"
		                                     "</ListBucketResult>"),
		                 0);
		rec_init(&r);
		if (extra)
			expect_fail(K_LIST, doc.p, DUET_E_CORRUPT,
			            "too many entries before EncodingType");
		else
			assert_int_equal(parse_whole(K_LIST, doc.p, &r), 0);
		if (!extra)
			assert_int_equal(r.calls, DUET_S3_PENDING_MAX);
		duet_buf_dispose(&r.log);
	}
	duet_buf_dispose(&doc);
}

static void
test_error_parse(void **state)
{
	static const char redirect[] =
	    "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to "
	    "access must be addressed using the specified endpoint.</Message>"
	    "<Endpoint>bucket.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>bucket</Bucket>"
	    "<RequestId>R1</RequestId></Error>";
	static const char region[] =
	    "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is "
	    "wrong; expecting 'eu-central-1'</Message><Region>eu-central-1</Region></Error>";
	struct duet_s3_error e;

	(void)state;
	assert_int_equal(duet_s3_error_parse(redirect, strlen(redirect), &e), 0);
	assert_string_equal(e.code, "PermanentRedirect");
	assert_string_equal(e.endpoint, "bucket.s3.eu-west-1.amazonaws.com");
	assert_string_equal(e.request_id, "R1");
	assert_int_equal(duet_s3_error_set(301, &e, "list dir"), DUET_E_INVAL);
	assert_string_equal(
	    duet_err_msg(),
	    "s3: list dir: The bucket you are attempting to access must be addressed using the "
	    "specified endpoint. (PermanentRedirect, HTTP 301); use endpoint "
	    "bucket.s3.eu-west-1.amazonaws.com");
	assert_int_equal(duet_s3_error_parse(region, strlen(region), &e), 0);
	assert_string_equal(e.region, "eu-central-1");
	assert_int_equal(duet_s3_error_set(400, &e, "get a"), DUET_E_AUTH);
	assert_non_null(strstr(duet_err_msg(), "; the bucket is in region eu-central-1"));
	/* not an error document: empty, and still 0 */
	assert_int_equal(duet_s3_error_parse("<html>502</html>", 16, &e), 0);
	assert_string_equal(e.code, "");
	assert_int_equal(duet_s3_error_parse("", 0, &e), 0);
	assert_string_equal(e.message, "");
	assert_int_equal(duet_s3_error_parse("<Error><Code>X", 14, &e), 0);
	assert_string_equal(e.code, "");
}

static void
test_error_set(void **state)
{
	struct duet_s3_error e;

	(void)state;
	assert_int_equal(duet_s3_error_set(404, NULL, "head a/b"), DUET_E_NOTFOUND);
	assert_string_equal(duet_err_msg(), "s3: head a/b: HTTP 404");
	memset(&e, 0, sizeof(e));
	snprintf(e.code, sizeof(e.code), "SlowDown");
	assert_int_equal(duet_s3_error_set(503, &e, "put x"), DUET_E_TEMP);
	assert_string_equal(duet_err_msg(), "s3: put x: SlowDown (HTTP 503)");
	snprintf(e.message, sizeof(e.message), "Please reduce your request rate.");
	assert_int_equal(duet_s3_error_set(503, &e, "put x"), DUET_E_TEMP);
	assert_string_equal(duet_err_msg(),
	                    "s3: put x: Please reduce your request rate. (SlowDown, HTTP 503)");
	/* the 200-with-Error path: duet_s3_xml_end sets the same message */
	check_doc(K_COMPLETE, complete_error_doc, DUET_E_TEMP, docs[6].log);
	assert_string_equal(
	    duet_err_msg(),
	    "s3: CompleteMultipartUpload: We encountered an internal error. Please try again. "
	    "(InternalError, HTTP 200)");
	check_doc(K_COPY, "<Error><Code>NoSuchKey</Code></Error>", DUET_E_NOTFOUND,
	          "= t0 n[] c-1 u0 id[] e[] m0 ERR[NoSuchKey||||]");
}

static void
test_alloc_failures(void **state)
{
	static const enum doc_kind kinds[] = {K_LIST, K_LIST, K_DELETE, K_COMPLETE};
	const char *texts[] = {list_aws, list_minio, delete_doc, complete_error_doc};
	const char *wants[] = {list_want, list_want, docs[8].log, docs[6].log};
	const int rcs[] = {0, 0, 0, DUET_E_TEMP};

	(void)state;
	for (size_t d = 0; d < NELEM(kinds); d++) {
		int done = 0;
		for (long n = 1; !done && n < 5000; n++) {
			struct rec r;
			int rc;
			rec_init(&r);
			/* the log must not allocate while failures are armed */
			assert_int_equal(duet_buf_reserve(&r.log, 8192), 0);
			duet_alloc_fail_at(n);
			rc = parse_whole(kinds[d], texts[d], &r);
			duet_alloc_fail_at(0);
			if (rc == rcs[d] && r.log.p != NULL && strcmp(r.log.p, wants[d]) == 0)
				done = 1;
			else
				assert_int_equal(rc, DUET_E_NOMEM);
			duet_buf_dispose(&r.log);
		}
		assert_true(done);
	}
}

/* ListMultipartUploads (duet cleanup): keys as sent (entities
 * decoded), ids, Initiated; the paging markers; an Upload missing its id
 * or with a bad time is a corrupt document, not a skipped entry. */
static void
test_uploads(void **state)
{
	static const char doc[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Bucket>b</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>"
	    "<NextKeyMarker>my-movie.m2ts</NextKeyMarker>"
	    "<NextUploadIdMarker>YW55IGlkZWEgd2h5</NextUploadIdMarker>"
	    "<MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>"
	    "<Upload><Key>a &amp; b/my-divisor</Key>"
	    "<UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>"
	    "<Initiator><ID>x</ID></Initiator><StorageClass>STANDARD</StorageClass>"
	    "<Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload>"
	    "<Upload><Key>my-movie.m2ts</Key><UploadId>YW55IGlkZWEgd2h5</UploadId>"
	    "</Upload></ListMultipartUploadsResult>";
	struct duet_s3_xml *x = NULL;
	struct rec r;
	(void)state;

	check_doc(K_UPLOADS, doc, 0,
	    "U a & b/my-divisor XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw 1289422113000000000\n"
	    "U my-movie.m2ts YW55IGlkZWEgd2h5 0\n"
	    "= t1 n[] c-1 u0 id[] e[] m0");
	rec_init(&r);
	assert_int_equal(new_parser(K_UPLOADS, &r, &x), 0);
	assert_int_equal(duet_s3_xml_feed(x, doc, strlen(doc)), 0);
	assert_int_equal(duet_s3_xml_end(x), 0);
	assert_string_equal(duet_s3_xml_result(x)->next_key_marker, "my-movie.m2ts");
	assert_string_equal(duet_s3_xml_result(x)->next_upload_id_marker, "YW55IGlkZWEgd2h5");
	duet_s3_xml_free(x);
	duet_buf_dispose(&r.log);
	check_doc(K_UPLOADS, "<ListMultipartUploadsResult><Upload><Key>k</Key></Upload>"
	    "</ListMultipartUploadsResult>", DUET_E_CORRUPT, "");
	check_doc(K_UPLOADS, "<ListMultipartUploadsResult><Upload><Key>k</Key><UploadId>i"
	    "</UploadId><Initiated>yesterday</Initiated></Upload></ListMultipartUploadsResult>",
	    DUET_E_CORRUPT, "");
	check_doc(K_UPLOADS, "<ListBucketResult></ListBucketResult>", DUET_E_CORRUPT, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uploads),
	    cmocka_unit_test(test_documents),        cmocka_unit_test(test_every_split),
	    cmocka_unit_test(test_cut_short),        cmocka_unit_test(test_streaming_order),
	    cmocka_unit_test(test_malformed),        cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_bad_keys),         cmocka_unit_test(test_text_caps),
	    cmocka_unit_test(test_entities_refused), cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_callback_stops),   cmocka_unit_test(test_pending_cap),
	    cmocka_unit_test(test_error_parse),      cmocka_unit_test(test_error_set),
	    cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
