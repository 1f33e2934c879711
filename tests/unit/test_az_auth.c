/*
 * test_az_auth.c: the SharedKey StringToSign and signature, and the
 * encoding of names and query values (az_auth; az_conn for the emulator's
 * path style). test_az_conn.c has the config, SAS and time tests. Vectors: the two StringToSign
 * examples of Microsoft's "Call REST API operations with Shared Key authorization"
 * (MicrosoftDocs/azure-docs, storage-rest-api-auth.md; its account key is
 * not published, so only the strings are checked against it), the
 * repeated-parameter example of "Authorize with Shared Key", and HMACs
 * computed independently with the well-known devstoreaccount1 key:
 *   printf '<string>' | openssl dgst -sha256 -mac HMAC \
 *     -macopt hexkey:$(printf %s "$KEY" | base64 -d | xxd -p -c256) -binary | base64
 * (OpenSSL 3.0.22 CLI, Debian 12), hard-coded below.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "backends/azure/az_auth.h"
#include "backends/azure/az_conn.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"

#define NH(a) (sizeof(a) / sizeof((a)[0]))

/* The doc's List Containers StringToSign; HMAC with the dev key by openssl. */
static const char doc_sts_containers[] =
    "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Fri, 17 Nov 2017 01:07:37 GMT\n"
    "x-ms-version:2017-07-29\n/contosorest/\ncomp:list";
static const char doc_sig_containers[] = "igPR58Kqxz06HOlLbruuV1wmbsKR+ajxsPtp0UiJ4dg=";

static const char doc_sts_blobs[] =
    "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Fri, 17 Nov 2017 05:16:48 GMT\n"
    "x-ms-version:2017-07-29\n/contosorest/container-1\ncomp:list\nrestype:container";
static const char doc_sig_blobs[] = "7Ce5bkhWrTDCEvnIn5jO2yDOiLFgW30xNQKq725ST5M=";

static struct duet_az_key dev_key;

static int
setup(void **state)
{
	(void)state;
	return duet_az_key_decode(DUET_AZ_DEV_KEY, &dev_key);
}

/* StringToSign of one request, as a NUL-terminated string the test frees. */
static char *
sts(const char *account, const char *method, const char *path, const char *query,
    const struct duet_az_header *h, size_t nh)
{
	struct duet_buf b = DUET_BUF_INIT;
	assert_int_equal(duet_az_string_to_sign(account, method, path, query, h, nh, &b), 0);
	return duet_buf_detach(&b);
}

static void
check_sts(const char *want, const char *account, const char *method, const char *path,
          const char *query, const struct duet_az_header *h, size_t nh)
{
	char *got = sts(account, method, path, query, h, nh);
	assert_string_equal(got, want);
	duet_free(got);
}

static void
test_key_decode(void **state)
{
	static const unsigned char head[] = {0x11, 0xbc, 0xbc, 0xbd, 0xd3, 0x34, 0xdb, 0x13};
	static const unsigned char tail[] = {0x81, 0x1c, 0x17, 0xa4, 0xb2, 0x81, 0x8c, 0x1b};
	struct duet_az_key k;

	(void)state;
	assert_int_equal(dev_key.len, 64);
	assert_memory_equal(dev_key.b, head, sizeof(head));
	assert_memory_equal(dev_key.b + 64 - sizeof(tail), tail, sizeof(tail));
	assert_int_equal(duet_az_key_decode("not base64!", &k), DUET_E_AUTH);
	assert_null(strstr(duet_err_msg(), "not base64!"));
	assert_int_equal(k.len, 0);
	assert_int_equal(duet_az_key_decode("", &k), DUET_E_AUTH);
	assert_int_equal(duet_az_key_decode("QUJD", &k), 0);
	assert_int_equal(k.len, 3);
	duet_az_key_wipe(&k);
	assert_int_equal(k.len, 0);
	assert_int_equal(k.b[0], 0);
}

/* The HMAC alone, against openssl's. */
static void
test_hmac_vector(void **state)
{
	char sig[DUET_AZ_SIG_LEN];

	(void)state;
	assert_int_equal(
	    duet_az_hmac_b64(&dev_key, doc_sts_containers, strlen(doc_sts_containers), sig), 0);
	assert_string_equal(sig, doc_sig_containers);
	assert_int_equal(duet_az_hmac_b64(&dev_key, doc_sts_blobs, strlen(doc_sts_blobs), sig), 0);
	assert_string_equal(sig, doc_sig_blobs);
}

/* Microsoft's two worked examples, headers given in another order. */
static void
test_doc_examples(void **state)
{
	struct duet_az_header h1[] = {{"x-ms-version", "2017-07-29"},
	                              {"x-ms-date", "Fri, 17 Nov 2017 01:07:37 GMT"},
	                              {"Host", "contosorest.blob"}};
	struct duet_az_header h2[] = {{"X-MS-Date", "Fri, 17 Nov 2017 05:16:48 GMT"},
	                              {"x-ms-version", "2017-07-29"}};
	struct duet_buf line = DUET_BUF_INIT;

	(void)state;
	check_sts(doc_sts_containers, "contosorest", "GET", "/", "comp=list", h1, NH(h1));
	check_sts(doc_sts_blobs, "contosorest", "GET", "/container-1",
	          "restype=container&comp=list", h2, NH(h2));
	assert_int_equal(
	    duet_az_sign("contosorest", &dev_key, "GET", "/", "comp=list", h1, NH(h1), &line), 0);
	assert_string_equal(line.p, "Authorization: SharedKey contosorest:"
	                            "igPR58Kqxz06HOlLbruuV1wmbsKR+ajxsPtp0UiJ4dg=");
	duet_buf_dispose(&line);
}

/* "Authorize with Shared Key": repeated names, values sorted and joined;
 * names lower-cased. */
static void
test_repeated_params(void **state)
{
	struct duet_az_header h[] = {{"x-ms-date", "D"}};
	(void)state;
	check_sts("GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:D\n/myaccount/mycontainer\ncomp:list\n"
	          "include:metadata,snapshots,uncommittedblobs\nrestype:container",
	          "myaccount", "GET", "/mycontainer",
	          "restype=container&comp=list&include=snapshots&include=metadata&include="
	          "uncommittedblobs",
	          h, NH(h));
	check_sts("GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:D\n/a/c\ncomp:List\nempty:\nflag:", "a",
	          "GET", "/c", "COMP=List&&empty=&flag", h, NH(h));
}

static void
test_get_blob(void **state)
{
	struct duet_az_header h[] = {{"x-ms-version", DUET_AZ_API_VERSION},
	                             {"User-Agent", "duet"},
	                             {"x-ms-date", "Sun, 01 Dec 2024 10:00:00 GMT"},
	                             {"x-ms-client-request-id", "  42  "}};
	(void)state;
	check_sts("GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-client-request-id:42\n"
	          "x-ms-date:Sun, 01 Dec 2024 10:00:00 GMT\nx-ms-version:2021-12-02\n"
	          "/acct/ctr/dir/f.txt",
	          "acct", "GET", "/ctr/dir/f.txt", NULL, h, NH(h));
}

/* Put Blob on the emulator: every standard slot it uses, metadata, the
 * account twice; signature from openssl. */
static void
test_put_blob_emulator(void **state)
{
	static const char want[] =
	    "PUT\n\n\n11\nXrY7u+Ae7tCTyyK7j1rNww==\ntext/plain\n\n\n\n*\n\n\n"
	    "x-ms-blob-type:BlockBlob\nx-ms-date:Sun, 01 Dec 2024 10:00:00 GMT\n"
	    "x-ms-meta-mtime:2024-11-30T09:08:07.123456789Z\nx-ms-version:2021-12-02\n"
	    "/devstoreaccount1/devstoreaccount1/ctr1/dir/a%20b.txt";
	struct duet_az_header h[] = {
	    {"x-ms-version", "2021-12-02"},   {"x-ms-meta-mtime", "2024-11-30T09:08:07.123456789Z"},
	    {"content-type", " text/plain "}, {"Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww=="},
	    {"x-ms-blob-type", "BlockBlob"},  {"Content-Length", "11"},
	    {"If-None-Match", "*"},           {"x-ms-date", "Sun, 01 Dec 2024 10:00:00 GMT"},
	    {"Expect", "100-continue"}};
	struct duet_az_conf conf = {.use_emulator = 1};
	struct duet_az_conn c;
	struct duet_buf url = DUET_BUF_INIT, path = DUET_BUF_INIT, line = DUET_BUF_INIT;

	(void)state;
	assert_int_equal(duet_az_conn_init(&c, &conf), 0);
	assert_int_equal(duet_az_conn_url(&c, "ctr1", "dir/a b.txt", NULL, &url, &path), 0);
	assert_string_equal(url.p, "http://127.0.0.1:10000/devstoreaccount1/ctr1/dir/a%20b.txt");
	assert_string_equal(path.p, "/devstoreaccount1/ctr1/dir/a%20b.txt");
	check_sts(want, c.account, "PUT", path.p, NULL, h, NH(h));
	assert_int_equal(duet_az_conn_authorize(&c, "PUT", path.p, NULL, h, NH(h), &line), 0);
	assert_string_equal(line.p, "Authorization: SharedKey devstoreaccount1:"
	                            "sAigcueU8rj488NtAnBb2zCINEM/j8IJsMgHT3gqGzw=");
	duet_buf_dispose(&url);
	duet_buf_dispose(&path);
	duet_buf_dispose(&line);
	duet_az_conn_dispose(&c);
}

static void
test_put_block(void **state)
{
	struct duet_az_header h[] = {{"Content-Length", "4194304"},
	                             {"x-ms-date", "D"},
	                             {"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}};
	struct duet_buf q = DUET_BUF_INIT;

	(void)state;
	assert_int_equal(duet_az_query_add(&q, "comp", "block"), 0);
	assert_int_equal(duet_az_query_add(&q, "blockid", "AAAAAAAAAAE+/w=="), 0);
	assert_string_equal(q.p, "comp=block&blockid=AAAAAAAAAAE%2B%2Fw%3D%3D");
	check_sts("PUT\n\n\n4194304\n1B2M2Y8AsgTpgAmY7PhCfg==\n\n\n\n\n\n\n\nx-ms-date:D\n"
	          "/acct/ctr/big.bin\nblockid:AAAAAAAAAAE+/w==\ncomp:block",
	          "acct", "PUT", "/ctr/big.bin", q.p, h, NH(h));
	duet_buf_dispose(&q);
}

static void
test_put_block_list(void **state)
{
	struct duet_az_header h[] = {{"Content-Type", "application/xml"},
	                             {"Content-Length", "120"},
	                             {"x-ms-blob-content-md5", "XrY7u+Ae7tCTyyK7j1rNww=="},
	                             {"x-ms-meta-mtime", "2024-11-30T09:08:07.000000000Z"},
	                             {"x-ms-date", "D"},
	                             {"x-ms-access-tier", "Cool"}};
	(void)state;
	check_sts(
	    "PUT\n\n\n120\n\napplication/xml\n\n\n\n\n\n\nx-ms-access-tier:Cool\n"
	    "x-ms-blob-content-md5:XrY7u+Ae7tCTyyK7j1rNww==\nx-ms-date:D\n"
	    "x-ms-meta-mtime:2024-11-30T09:08:07.000000000Z\n/acct/ctr/big.bin\ncomp:blocklist",
	    "acct", "PUT", "/ctr/big.bin", "comp=blocklist", h, NH(h));
}

static void
test_list_blobs(void **state)
{
	struct duet_az_header h[] = {{"x-ms-date", "D"}, {"x-ms-version", "2021-12-02"}};
	struct duet_buf q = DUET_BUF_INIT;

	(void)state;
	assert_int_equal(duet_az_query_add(&q, "restype", "container"), 0);
	assert_int_equal(duet_az_query_add(&q, "comp", "list"), 0);
	assert_int_equal(duet_az_query_add(&q, "prefix", "dir/sub x+/"), 0);
	assert_int_equal(duet_az_query_add(&q, "delimiter", "/"), 0);
	assert_int_equal(duet_az_query_add(&q, "marker", "2!88!MDAw%"), 0);
	assert_int_equal(duet_az_query_add(&q, "include", "metadata"), 0);
	assert_string_equal(q.p, "restype=container&comp=list&prefix=dir%2Fsub%20x%2B%2F&"
	                         "delimiter=%2F&marker=2%2188%21MDAw%25&include=metadata");
	check_sts("GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:D\nx-ms-version:2021-12-02\n/acct/ctr\n"
	          "comp:list\ndelimiter:/\ninclude:metadata\nmarker:2!88!MDAw%\n"
	          "prefix:dir/sub x+/\nrestype:container",
	          "acct", "GET", "/ctr", q.p, h, NH(h));
	/* A raw '+' is a space to Azure and Azurite alike. */
	check_sts("GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:D\nx-ms-version:2021-12-02\n/acct/ctr\n"
	          "prefix:a b",
	          "acct", "GET", "/ctr", "prefix=a+b", h, NH(h));
	duet_buf_dispose(&q);
}

/* Range goes in its slot; x-ms-range among the canonical headers. */
static void
test_range(void **state)
{
	struct duet_az_header h1[] = {{"Range", "bytes=0-1023"}, {"x-ms-date", "D"}};
	struct duet_az_header h2[] = {{"x-ms-range", "bytes=0-1023"}, {"x-ms-date", "D"}};
	(void)state;
	check_sts("GET\n\n\n\n\n\n\n\n\n\n\nbytes=0-1023\nx-ms-date:D\n/a/c/b", "a", "GET", "/c/b",
	          "", h1, NH(h1));
	check_sts("GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:D\nx-ms-range:bytes=0-1023\n/a/c/b", "a",
	          "GET", "/c/b", "", h2, NH(h2));
}

static void
test_content_length(void **state)
{
	struct duet_az_header zero[] = {{"Content-Length", "0"}, {"x-ms-date", "D"}};
	struct duet_az_header five[] = {{"Content-Length", "5"}, {"x-ms-date", "D"}};
	(void)state;
	check_sts("PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:D\n/a/c\nrestype:container", "a", "PUT",
	          "/c", "restype=container", zero, NH(zero));
	check_sts("PUT\n\n\n5\n\n\n\n\n\n\n\n\nx-ms-date:D\n/a/c/b", "a", "PUT", "/c/b", NULL, five,
	          NH(five));
}

/* Date is signed only when x-ms-date is not sent. */
static void
test_date_slot(void **state)
{
	struct duet_az_header only[] = {{"Date", "Sun, 01 Dec 2024 10:00:00 GMT"}};
	struct duet_az_header both[] = {{"Date", "Sun, 01 Dec 2024 10:00:00 GMT"},
	                                {"x-ms-date", "D"}};
	(void)state;
	check_sts("HEAD\n\n\n\n\n\nSun, 01 Dec 2024 10:00:00 GMT\n\n\n\n\n\n/a/c/b", "a", "HEAD",
	          "/c/b", NULL, only, NH(only));
	check_sts("HEAD\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:D\n/a/c/b", "a", "HEAD", "/c/b", NULL,
	          both, NH(both));
}

static void
test_sign_errors(void **state)
{
	struct duet_az_header crlf[] = {{"x-ms-meta-a", "x\r\nInjected: 1"}};
	struct duet_az_header dup[] = {{"x-ms-date", "D"}, {"X-MS-DATE", "E"}};
	struct duet_az_header dup2[] = {{"Content-Type", "a"}, {"content-type", "b"}};
	struct duet_az_key none = {{0}, 0};
	struct duet_buf b = DUET_BUF_INIT;

	(void)state;
	assert_int_equal(duet_az_string_to_sign("a", "GET", "/c", NULL, crlf, 1, &b), DUET_E_INVAL);
	assert_int_equal(duet_az_string_to_sign("a", "GET", "/c", NULL, dup, 2, &b), DUET_E_INVAL);
	assert_int_equal(duet_az_string_to_sign("a", "GET", "/c", NULL, dup2, 2, &b), DUET_E_INVAL);
	assert_int_equal(duet_az_string_to_sign("a", "GET", "/c", "x=%zz", NULL, 0, &b),
	                 DUET_E_INVAL);
	assert_int_equal(duet_az_string_to_sign("a", "GET", "/c", "x=a%00b", NULL, 0, &b),
	                 DUET_E_INVAL);
	assert_int_equal(duet_az_string_to_sign("a", "GET", "/c", "x=%4", NULL, 0, &b),
	                 DUET_E_INVAL);
	assert_int_equal(duet_az_string_to_sign("a", "GET", "c", NULL, NULL, 0, &b), DUET_E_INVAL);
	assert_int_equal(duet_az_string_to_sign("", "GET", "/c", NULL, NULL, 0, &b), DUET_E_INVAL);
	assert_int_equal(duet_az_sign("a", &none, "GET", "/c", NULL, NULL, 0, &b), DUET_E_INVAL);
	duet_buf_dispose(&b);
}

static void
test_path_encode(void **state)
{
	struct duet_buf b = DUET_BUF_INIT, d = DUET_BUF_INIT;
	const char *name = "d i r/a+b%c?d#e&f=g~h_i-j.k\xc3\xa9\xe2\x82\xac!*'()";

	(void)state;
	assert_int_equal(duet_az_path_encode(&b, name), 0);
	assert_string_equal(b.p, "d%20i%20r/a%2Bb%25c%3Fd%23e%26f%3Dg~h_i-j.k%C3%A9%E2%82%AC"
	                         "%21%2A%27%28%29");
	assert_int_equal(duet_az_pct_decode(b.p, b.len, &d), 0);
	assert_string_equal(d.p, name);
	duet_buf_reset(&b);
	assert_int_equal(duet_az_query_add(&b, "prefix", "a/b c"), 0);
	assert_string_equal(b.p, "prefix=a%2Fb%20c");
	duet_buf_reset(&d);
	assert_int_equal(duet_az_pct_decode("a+b%2b", 6, &d), 0);
	assert_string_equal(d.p, "a+b+");
	assert_int_equal(duet_az_pct_decode("%G0", 3, &d), DUET_E_INVAL);
	duet_buf_dispose(&b);
	duet_buf_dispose(&d);
}

/* The URL path and the signed resource are the same bytes, for every
 * awkward character. */
static void
test_names_url_and_signature(void **state)
{
	static const char *names[] = {"a b.txt",     "\xe6\xbc\xa2\xe5\xad\x97/\xc3\xa9t\xc3\xa9",
	                              "x+y.txt",     "100%.txt",
	                              "what?.txt",   "#tag",
	                              "dir/sub/../f"};
	struct duet_az_conf conf = {.account = "acct", .key = DUET_AZ_DEV_KEY};
	struct duet_az_header h[] = {{"x-ms-date", "D"}};
	struct duet_az_conn c;

	(void)state;
	assert_int_equal(duet_az_conn_init(&c, &conf), 0);
	for (size_t i = 0; i < NH(names); i++) {
		struct duet_buf url = DUET_BUF_INIT, path = DUET_BUF_INIT, enc = DUET_BUF_INIT;
		char *s;
		assert_int_equal(duet_az_conn_url(&c, "ctr", names[i], NULL, &url, &path), 0);
		assert_int_equal(duet_az_path_encode(&enc, names[i]), 0);
		assert_string_equal(url.p + strlen("https://acct.blob.core.windows.net/ctr/"),
		                    enc.p);
		assert_null(strpbrk(enc.p, " +?#"));
		s = sts(c.account, "GET", path.p, NULL, h, NH(h));
		assert_string_equal(strstr(s, "\n/acct/") + 1 + strlen("/acct"), path.p);
		assert_string_equal(path.p + strlen("/ctr/"), enc.p);
		duet_free(s);
		duet_buf_dispose(&url);
		duet_buf_dispose(&path);
		duet_buf_dispose(&enc);
	}
	duet_az_conn_dispose(&c);
}

static void
test_base64(void **state)
{
	struct duet_buf b = DUET_BUF_INIT;
	unsigned char out[8];
	size_t n;

	(void)state;
	assert_int_equal(duet_az_base64_encode("hello", 5, &b), 0);
	assert_string_equal(b.p, "aGVsbG8=");
	assert_int_equal(duet_az_base64_decode(b.p, b.len, out, sizeof(out), &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(duet_az_base64_decode("aGVsbA==", 8, out, sizeof(out), &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(duet_az_base64_decode("aGVsbG8", 7, out, sizeof(out), &n), DUET_E_INVAL);
	assert_int_equal(duet_az_base64_decode("aG=sbG8=", 8, out, sizeof(out), &n), DUET_E_INVAL);
	assert_int_equal(duet_az_base64_decode("aGVs bG8", 8, out, sizeof(out), &n), DUET_E_INVAL);
	assert_int_equal(duet_az_base64_decode("aGVsbG8gd29ybGQ=", 16, out, sizeof(out), &n),
	                 DUET_E_INVAL);
	duet_buf_dispose(&b);
}

/* Every allocation of signing, URL building and SAS parsing may fail and
 * is reported as NOMEM without a leak (the ASan build checks the leaks). */
static void
test_alloc_failures(void **state)
{
	struct duet_az_header h[] = {
	    {"x-ms-date", "D"}, {"x-ms-version", "V"}, {"Content-Length", "3"}};
	int done = 0;

	(void)state;
	for (long n = 1; !done && n < 500; n++) {
		struct duet_az_conf conf = {.sas_url = "http://127.0.0.1:1/acct/c?sv=1&sig=x"};
		struct duet_az_conn c;
		struct duet_buf url = DUET_BUF_INIT, path = DUET_BUF_INIT, line = DUET_BUF_INIT;
		int rc;

		duet_alloc_fail_at(n);
		rc = duet_az_conn_init(&c, &conf);
		if (rc == 0) {
			rc = duet_az_conn_url(&c, "c", "a b", "comp=block&blockid=QQ%3D%3D", &url,
			                      &path);
			if (rc == 0)
				rc = duet_az_sign(c.account, &dev_key, "PUT", path.p,
				                  "comp=block&blockid=QQ%3D%3D", h, NH(h), &line);
			duet_az_conn_dispose(&c);
		}
		duet_alloc_fail_at(0);
		if (rc == 0) {
			assert_non_null(strstr(line.p, "SharedKey acct:"));
			done = 1;
		} else {
			assert_int_equal(rc, DUET_E_NOMEM);
		}
		duet_buf_dispose(&url);
		duet_buf_dispose(&path);
		duet_buf_dispose(&line);
	}
	assert_true(done);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_decode),
	    cmocka_unit_test(test_hmac_vector),
	    cmocka_unit_test(test_doc_examples),
	    cmocka_unit_test(test_repeated_params),
	    cmocka_unit_test(test_get_blob),
	    cmocka_unit_test(test_put_blob_emulator),
	    cmocka_unit_test(test_put_block),
	    cmocka_unit_test(test_put_block_list),
	    cmocka_unit_test(test_list_blobs),
	    cmocka_unit_test(test_range),
	    cmocka_unit_test(test_content_length),
	    cmocka_unit_test(test_date_slot),
	    cmocka_unit_test(test_sign_errors),
	    cmocka_unit_test(test_path_encode),
	    cmocka_unit_test(test_names_url_and_signature),
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
