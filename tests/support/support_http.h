/*
 * support_http.h: helpers of the HTTP layer's tests (support_http.c):
 * the local test server, clients, and readers of the server's answers.
 */
#ifndef DUET_BACKENDS_HTTP_SUPPORT_HTTP_H
#define DUET_BACKENDS_HTTP_SUPPORT_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backends/http/http.h"

/* A running http_server.py. */
struct ht_srv {
	pid_t pid;
	int port;
	char base[64]; /* "http://127.0.0.1:PORT" or "https://..." */
};

extern struct ht_srv ht_plain, ht_tls; /* started by ht_group_setup */
extern char ht_tls_dir[64];      /* holds the TLS server's cert.pem, key.pem */

/* cmocka group fixtures: start / stop both servers (and the cert). */
int ht_group_setup(void **state);
int ht_group_teardown(void **state);

/* A sleep hook that records the retry waits instead of sleeping. */
struct ht_waits {
	int n;
	int64_t ns[32];
};
void ht_record_sleep(void *ctx, int64_t ns);

/* A client with `retries` attempts, 1-4 ms backoff, waits recorded in w
 * (NULL: real sleeps) and bucket bw (NULL: the global one). */
struct duet_http *ht_client(int retries, struct ht_waits *w, struct duet_bwlimit *bw);

/* out = s->base followed by the formatted path. */
void ht_url(char *out, size_t n, const struct ht_srv *s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A body-less request; r is reset first. */
int ht_req(struct duet_http *c, const char *method, const char *u,
    struct duet_http_resp *r);

/* The number after "name": in its nth (0-based) occurrence in s; -1. */
long ht_json_num(const char *s, const char *name, int nth);
/* The string after "name": in its nth occurrence ("null", "" absent). */
void ht_json_str(const char *s, const char *name, int nth, char *out, size_t n);
/* TCP connections the plain server accepted so far (asked through c). */
long ht_conns(struct duet_http *c);
/* The plain server's log of KEY as JSON text; caller frees (duet_free). */
char *ht_log(const char *key);
/* Occurrences of sub in s. */
int ht_count(const char *s, const char *sub);

/* The server's byte pattern: byte i of a body is (off + i) % 251. */
void ht_pattern(unsigned char *b, size_t n, size_t off);
void ht_sha256_hex(const void *p, size_t n, char out[65]);
double ht_now(void); /* CLOCK_MONOTONIC seconds */

/* A sink that adds the byte count to *(size_t *)ctx. */
int ht_sink_count(void *ctx, const void *data, size_t n);

#endif
