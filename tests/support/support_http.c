/*
 * support_http.c: what the HTTP layer's tests share: http_server.py started
 * as a child (plain HTTP and TLS with a throwaway self-signed certificate),
 * clients with recorded retry waits, and small readers of the server's
 * JSON answers. Not a test itself (linked into test_http and
 * test_http_body).
 */
#include "support_http.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"

struct ht_srv ht_plain, ht_tls;
char ht_tls_dir[64];

/* The server script: $DUET_HTTP_TEST_SERVER, else next to this file. */
static void
server_path(char *out, size_t n)
{
	const char *env = getenv("DUET_HTTP_TEST_SERVER");
	const char *slash = strrchr(__FILE__, '/');

	if (env != NULL)
		snprintf(out, n, "%s", env);
	else if (slash != NULL)
		snprintf(out, n, "%.*s/http_server.py", (int)(slash - __FILE__), __FILE__);
	else
		snprintf(out, n, "http_server.py");
}

static int
srv_start(struct ht_srv *s, const char *cert, const char *key)
{
	char path[4096], line[64];
	int fds[2];
	size_t got = 0;
	struct pollfd pfd;
	ssize_t r;

	server_path(path, sizeof(path));
	if (pipe(fds) != 0)
		return -1;
	s->pid = fork();
	if (s->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (cert != NULL)
			execlp("python3", "python3", path, "--cert", cert, "--key", key, (char *)NULL);
		else
			execlp("python3", "python3", path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	while (got < sizeof(line) - 1 && memchr(line, '\n', got) == NULL) {
		if (poll(&pfd, 1, 10000) <= 0)
			break;
		r = read(fds[0], line + got, sizeof(line) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fds[0]);
	line[got] = '\0';
	if (sscanf(line, "PORT %d", &s->port) != 1) {
		fprintf(stderr, "test server %s did not start: %s\n", path, line);
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
		return -1;
	}
	snprintf(s->base, sizeof(s->base), "%s://127.0.0.1:%d", cert ? "https" : "http",
	    s->port);
	return 0;
}

static void
srv_stop(struct ht_srv *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
}

int
ht_group_setup(void **state)
{
	char cmd[512];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (srv_start(&ht_plain, NULL, NULL) != 0)
		return -1;
	snprintf(ht_tls_dir, sizeof(ht_tls_dir), "/tmp/duet-http-tls-XXXXXX");
	if (mkdtemp(ht_tls_dir) == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 "
	    "-addext subjectAltName=IP:127.0.0.1 -keyout %s/key.pem -out %s/cert.pem "
	    ">/dev/null 2>&1", ht_tls_dir, ht_tls_dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/cert.pem", ht_tls_dir);
	{
		char key[128];
		snprintf(key, sizeof(key), "%s/key.pem", ht_tls_dir);
		if (srv_start(&ht_tls, cmd, key) != 0)
			return -1;
	}
	return 0;
}

int
ht_group_teardown(void **state)
{
	char cmd[256];

	(void)state;
	srv_stop(&ht_plain);
	srv_stop(&ht_tls);
	if (ht_tls_dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", ht_tls_dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

void
ht_record_sleep(void *ctx, int64_t ns)
{
	struct ht_waits *w = ctx;

	if (w->n < 32)
		w->ns[w->n] = ns;
	w->n++;
}

struct duet_http *
ht_client(int retries, struct ht_waits *w, struct duet_bwlimit *bw)
{
	struct duet_http_opts o;
	struct duet_http *c = NULL;

	duet_http_opts_init(&o);
	o.low_level_retries = retries;
	o.backoff_ms = 1;
	o.backoff_max_ms = 4;
	o.sleep = w != NULL ? ht_record_sleep : NULL;
	o.sleep_ctx = w;
	o.bwlimit = bw;
	assert_int_equal(duet_http_new(&o, &c), 0);
	return c;
}

void
ht_url(char *out, size_t n, const struct ht_srv *s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void
ht_url(char *out, size_t n, const struct ht_srv *s, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(out, n, "%s", s->base);

	va_start(ap, fmt);
	vsnprintf(out + k, n - (size_t)k, fmt, ap);
	va_end(ap);
}

int
ht_req(struct duet_http *c, const char *method, const char *u,
    struct duet_http_resp *r)
{
	struct duet_http_req q = {0};

	q.method = method;
	q.url = u;
	duet_http_resp_dispose(r);
	duet_http_resp_init(r);
	return duet_http_do(c, &q, r);
}

/* A number after "name": in the n-th (0-based) occurrence; -1 if none. */
long
ht_json_num(const char *s, const char *name, int nth)
{
	char pat[64];
	const char *p = s;

	snprintf(pat, sizeof(pat), "\"%s\": ", name);
	for (; p != NULL; nth--) {
		p = strstr(p, pat);
		if (p == NULL)
			return -1;
		p += strlen(pat);
		if (nth == 0)
			return strtol(p, NULL, 10);
	}
	return -1;
}

/* The string after "name": in the n-th occurrence into out ("null" if
 * null, "" if absent). */
void
ht_json_str(const char *s, const char *name, int nth, char *out, size_t n)
{
	char pat[64];
	const char *p = s, *e;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "\"%s\": ", name);
	for (; nth >= 0; nth--) {
		p = strstr(p, pat);
		if (p == NULL)
			return;
		p += strlen(pat);
	}
	if (*p != '"') {
		snprintf(out, n, "null");
		return;
	}
	e = strchr(p + 1, '"');
	snprintf(out, n, "%.*s", (int)(e - p - 1), p + 1);
}

long
ht_conns(struct duet_http *c)
{
	char u[128];
	struct duet_http_resp r;
	long n;

	duet_http_resp_init(&r);
	ht_url(u, sizeof(u), &ht_plain, "/conns");
	assert_int_equal(ht_req(c, "GET", u, &r), 0);
	n = ht_json_num(r.body.p, "conns", 0);
	duet_http_resp_dispose(&r);
	return n;
}

/* The server's log of KEY, as a JSON text (caller frees). */
char *
ht_log(const char *key)
{
	struct duet_http *c = ht_client(1, NULL, NULL);
	struct duet_http_resp r;
	char u[128], *s;

	duet_http_resp_init(&r);
	ht_url(u, sizeof(u), &ht_plain, "/log/%s", key);
	assert_int_equal(ht_req(c, "GET", u, &r), 0);
	s = duet_buf_detach(&r.body);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
	return s != NULL ? s : duet_strdup("[]");
}

int
ht_count(const char *s, const char *sub)
{
	int n = 0;

	while ((s = strstr(s, sub)) != NULL) {
		n++;
		s++;
	}
	return n;
}

void
ht_pattern(unsigned char *b, size_t n, size_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)((off + i) % 251);
}

void
ht_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	int i;

	assert_int_equal(EVP_Digest(p, n, md, &len, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

double
ht_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
int
ht_sink_count(void *ctx, const void *data, size_t n)
{
	(void)data;
	*(size_t *)ctx += n;
	return 0;
}

