/*
 * sftp_conn.c: SSH sessions and the pool that shares them. A connection is
 * used by whoever holds its mutex; an operation takes an idle one (or
 * opens one while the pool is below its size, or waits for a busy one),
 * and a transport failure marks it broken so that its next user
 * reconnects. sftp_run retries an operation once on a fresh session.
 * libssh2 failures become DUET_E_* codes only in sftp_err().
 */
#include "sftp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"
#include "sftp_int.h"

int64_t
sftp_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- errors --- */

int
sftp_map_status(unsigned long st, const char **why)
{
	static const struct {
		int code;
		const char *why;
	} map[] = {
		{0, "ok"},
		{DUET_E_IO, "unexpected end of file"},
		{DUET_E_NOTFOUND, "no such file or directory"},
		{DUET_E_PERM, "permission denied"},
		{DUET_E_IO, "failure"},
		{DUET_E_INVAL, "bad message"},
		{DUET_E_NET, "no connection"},
		{DUET_E_NET, "connection lost"},
		{DUET_E_UNSUPPORTED, "operation not supported by the server"},
		{DUET_E_IO, "invalid handle"},
		{DUET_E_NOTFOUND, "no such path"},
		{DUET_E_EXIST, "file already exists"},
		{DUET_E_PERM, "write protected"},
		{DUET_E_IO, "no media"},
		{DUET_E_NOSPC, "no space left on the server"},
		{DUET_E_NOSPC, "quota exceeded"},
		{DUET_E_PERM, "unknown principal"},
		{DUET_E_TEMP, "lock conflict"},
		{DUET_E_NOTEMPTY, "directory not empty"},
		{DUET_E_NOTDIR, "not a directory"},
		{DUET_E_BADNAME, "invalid file name"},
		{DUET_E_LOOP, "too many symbolic links"},
	};
	if (st >= sizeof(map) / sizeof(map[0])) {
		*why = "unknown SFTP status";
		return DUET_E_IO;
	}
	*why = map[st].why;
	return map[st].code;
}

long
sftp_status(struct sftp_conn *c)
{
	if (c->ses == NULL || c->sftp == NULL ||
	    libssh2_session_last_errno(c->ses) != LIBSSH2_ERROR_SFTP_PROTOCOL)
		return -1;
	return (long)libssh2_sftp_last_error(c->sftp);
}

/* Failures after which the session cannot be trusted. */
static int
sftp_transport_err(int e)
{
	switch (e) {
	case LIBSSH2_ERROR_SOCKET_NONE:
	case LIBSSH2_ERROR_BANNER_RECV:
	case LIBSSH2_ERROR_BANNER_SEND:
	case LIBSSH2_ERROR_INVALID_MAC:
	case LIBSSH2_ERROR_KEX_FAILURE:
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE:
	case LIBSSH2_ERROR_TIMEOUT:
	case LIBSSH2_ERROR_DECRYPT:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
	case LIBSSH2_ERROR_PROTO:
	case LIBSSH2_ERROR_CHANNEL_CLOSED:
	case LIBSSH2_ERROR_CHANNEL_EOF_SENT:
	case LIBSSH2_ERROR_CHANNEL_UNKNOWN:
	case LIBSSH2_ERROR_SOCKET_TIMEOUT:
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_ENCRYPT:
	case LIBSSH2_ERROR_BAD_SOCKET:
		return 1;
	default:
		return 0;
	}
}

int
sftp_errx(const struct sftp_fs *fs, int code, const char *op, const char *rel, const char *why)
{
	const char *dir = fs->dir;
	int sep = dir[0] != '\0' && rel[0] != '\0' && strcmp(dir, "/") != 0;
	return duet_err_set(code, "sftp: %s %s:%s%s%s: %s", op, fs->o.host, dir, sep ? "/" : "",
	    rel, why);
}

int
sftp_err_wrap(const struct sftp_fs *fs, int code, const char *op, const char *rel)
{
	char why[1024];
	const char *m = duet_err_msg();
	if (strncmp(m, "sftp: ", 6) == 0)
		m += 6;
	snprintf(why, sizeof(why), "%s", m);
	return sftp_errx(fs, code, op, rel, why);
}

void
sftp_err_save(struct sftp_errsave *s)
{
	s->code = duet_err_code();
	snprintf(s->msg, sizeof(s->msg), "%s", duet_err_msg());
}

void
sftp_err_restore(const struct sftp_errsave *s)
{
	if (s->code != 0)
		duet_err_set(s->code, "%s", s->msg);
	else
		duet_err_clear();
}

int
sftp_err(struct sftp_conn *c, const char *op, const char *rel)
{
	const char *why = "connection closed";
	char *msg = NULL, buf[256];
	int e = LIBSSH2_ERROR_SOCKET_DISCONNECT, code;
	long st;

	if (c->ses != NULL) {
		e = libssh2_session_last_error(c->ses, &msg, NULL, 0);
		why = msg != NULL ? msg : "unknown libssh2 error";
	}
	if ((st = e == LIBSSH2_ERROR_SFTP_PROTOCOL ? sftp_status(c) : -1) >= 0) {
		code = sftp_map_status((unsigned long)st, &why);
		if (code == DUET_E_NET)
			c->broken = 1;
	} else if (sftp_transport_err(e)) {
		c->broken = 1;
		code = DUET_E_NET;
		snprintf(buf, sizeof(buf), "connection lost (%s)", why);
		why = buf;
	} else {
		code = e == LIBSSH2_ERROR_ALLOC ? DUET_E_NOMEM : DUET_E_IO;
	}
	return sftp_errx(c->fs, code, op, rel, why);
}

/* --- connecting --- */

static void
sftp_init_once(void)
{
	(void)libssh2_init(0);
}

/* Non-blocking connect bounded by SFTP_CONNECT_TIMEOUT_MS; 0 or errno. */
static int
sftp_tcp_one(const struct addrinfo *ai, int *out)
{
	struct pollfd p;
	socklen_t sl = sizeof(int);
	int fd, e = 0, one = 1, fl;

	if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) < 0)
		return errno;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	fl = fcntl(fd, F_GETFL);
	(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			e = errno;
		} else {
			p.fd = fd;
			p.events = POLLOUT;
			int n = poll(&p, 1, SFTP_CONNECT_TIMEOUT_MS);
			if (n == 0)
				e = ETIMEDOUT;
			else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0)
				e = errno;
		}
	}
	if (e == 0 && fcntl(fd, F_SETFL, fl) != 0)
		e = errno;
	if (e != 0) {
		close(fd);
		return e;
	}
	/* Requests are small and answered one by one: no Nagle delay. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*out = fd;
	return 0;
}

static int
sftp_tcp(struct sftp_conn *c)
{
	const struct sftp_opts *o = &c->fs->o;
	struct addrinfo hints, *res = NULL;
	char port[16], why[256];
	int rc, e = EHOSTUNREACH;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(port, sizeof(port), "%d", o->port);
	if ((rc = getaddrinfo(o->host, port, &hints, &res)) != 0) {
		if (rc != EAI_SYSTEM || strerror_r(errno, why, sizeof(why)) != 0)
			snprintf(why, sizeof(why), "%s", gai_strerror(rc));
		return duet_err_set(DUET_E_NET, "sftp: connect %s:%d: %s", o->host, o->port, why);
	}
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
		if ((e = sftp_tcp_one(ai, &c->sock)) == 0)
			break;
	freeaddrinfo(res);
	if (e != 0) {
		if (strerror_r(e, why, sizeof(why)) != 0)
			snprintf(why, sizeof(why), "error %d", e);
		return duet_err_set(DUET_E_NET, "sftp: connect %s:%d: %s", o->host, o->port, why);
	}
	return 0;
}

/* SSH handshake and host key check. */
static int
sftp_handshake(struct sftp_conn *c)
{
	const struct sftp_opts *o = &c->fs->o;
	LIBSSH2_KNOWNHOSTS *kh = NULL, *rev = NULL;
	int rc, explicit;

	c->ses = libssh2_session_init_ex(NULL, NULL, NULL, c);
	if (c->ses == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory connecting to %s", o->host);
	libssh2_session_set_blocking(c->ses, 1);
	/* Until logged in, the connect timeout; then the I/O one. */
	libssh2_session_set_timeout(c->ses, SFTP_CONNECT_TIMEOUT_MS);
	if ((rc = sftp_hostkey_prepare(c, &kh, &rev, &explicit)) != 0)
		goto out;
	if (libssh2_session_handshake(c->ses, c->sock) != 0) {
		char *m = NULL;
		libssh2_session_last_error(c->ses, &m, NULL, 0);
		rc = duet_err_set(DUET_E_NET, "sftp: connect %s:%d: SSH handshake failed: %s",
		    o->host, o->port, m != NULL ? m : "unknown error");
		goto out;
	}
	rc = sftp_hostkey_check(c, kh, rev, explicit);
out:
	if (kh != NULL)
		libssh2_knownhost_free(kh);
	if (rev != NULL)
		libssh2_knownhost_free(rev);
	return rc;
}

/* A new session on c: TCP, SSH, host key, login, SFTP. */
static int
sftp_connect(struct sftp_conn *c)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const struct sftp_opts *o = &c->fs->o;
	int rc;

	pthread_once(&once, sftp_init_once);
	if ((rc = sftp_tcp(c)) != 0 || (rc = sftp_handshake(c)) != 0 || (rc = sftp_login(c)) != 0)
		goto out;
	libssh2_session_set_timeout(c->ses, SFTP_IO_TIMEOUT_MS);
	libssh2_keepalive_config(c->ses, 1, SFTP_KEEPALIVE_S);
	if (strcmp(o->subsystem, "sftp") == 0) {
		c->sftp = libssh2_sftp_init(c->ses);
	} else {
		/* libssh2 1.10 starts only "sftp"; other subsystems through
		 * our own channel are not supported. */
		rc = duet_err_set(DUET_E_USAGE, "sftp: %s: subsystem \"%s\" is not supported",
		    o->host, o->subsystem);
		goto out;
	}
	if (c->sftp == NULL) {
		char *m = NULL;
		libssh2_session_last_error(c->ses, &m, NULL, 0);
		rc = duet_err_set(DUET_E_IO, "sftp: %s:%d: cannot start the sftp subsystem: %s",
		    o->host, o->port, m != NULL ? m : "unknown error");
	}
out:
	if (rc != 0) {
		c->broken = 1;
		sftp_conn_reset(c);
	}
	return rc;
}

/* --- handles and the pool --- */

void
sftp_hnd_add(struct sftp_conn *c, struct sftp_hnd *x, LIBSSH2_SFTP_HANDLE *h)
{
	x->h = h;
	x->prev = NULL;
	x->next = c->handles;
	if (c->handles != NULL)
		c->handles->prev = x;
	c->handles = x;
	c->nhandles++;
}

static void
sftp_hnd_unlink(struct sftp_conn *c, struct sftp_hnd *x)
{
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		c->handles = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	x->next = x->prev = NULL;
	c->nhandles--;
}

int
sftp_hnd_close(struct sftp_conn *c, struct sftp_hnd *x)
{
	int rc = 0;
	if (x->h == NULL)
		return 0;
	rc = libssh2_sftp_close_handle(x->h);
	x->h = NULL;
	sftp_hnd_unlink(c, x);
	return rc;
}

void
sftp_conn_reset(struct sftp_conn *c)
{
	/* A broken transport answers nothing: shut the socket first so that
	 * the closing calls below fail at once instead of waiting. */
	if (c->broken && c->sock >= 0)
		shutdown(c->sock, SHUT_RDWR);
	while (c->handles != NULL)
		(void)sftp_hnd_close(c, c->handles);
	sftp_raw_stop(c);
	if (c->sftp != NULL)
		libssh2_sftp_shutdown(c->sftp);
	if (c->ses != NULL) {
		if (!c->broken)
			libssh2_session_disconnect(c->ses, "closing");
		libssh2_session_free(c->ses);
	}
	if (c->sock >= 0)
		close(c->sock);
	c->sftp = NULL;
	c->ses = NULL;
	c->sock = -1;
	c->broken = 0;
	c->raw_failed = 0;
}

int
sftp_conn_ready(struct sftp_conn *c)
{
	if (c->ses != NULL && !c->broken)
		return 0;
	if (c->ses != NULL || c->sock >= 0)
		sftp_conn_reset(c);
	return sftp_connect(c);
}

/* An idle connection (mu taken), a live one first; pool_mu held. */
static struct sftp_conn *
sftp_pool_idle(struct sftp_fs *fs)
{
	unsigned n = (unsigned)fs->nconn;

	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < n; i++) {
			struct sftp_conn *x = &fs->conns[(fs->rr + i) % n];
			if (pthread_mutex_trylock(&x->mu) != 0)
				continue;
			if (pass == 1 || x->ses != NULL)
				return x;
			pthread_mutex_unlock(&x->mu);
		}
	return NULL;
}

int
sftp_conn_get(struct sftp_fs *fs, struct sftp_conn **out)
{
	struct sftp_conn *c;
	int locked, rc;

	*out = NULL;
	pthread_mutex_lock(&fs->pool_mu);
	c = sftp_pool_idle(fs);
	locked = c != NULL;
	if (c == NULL && fs->nconn < fs->o.conns) {
		c = &fs->conns[fs->nconn++];
		pthread_mutex_lock(&c->mu); /* a new slot: nobody else holds it */
		locked = 1;
	}
	if (c == NULL)
		c = &fs->conns[fs->rr % (unsigned)fs->nconn];
	fs->rr++;
	pthread_mutex_unlock(&fs->pool_mu);
	if (!locked)
		pthread_mutex_lock(&c->mu); /* all busy: wait for this one */
	if ((rc = sftp_conn_ready(c)) != 0) {
		sftp_conn_put(c);
		return rc;
	}
	*out = c;
	return 0;
}

void
sftp_conn_put(struct sftp_conn *c)
{
	c->last_used = sftp_now();
	pthread_mutex_unlock(&c->mu);
}

int
sftp_run(struct sftp_fs *fs, const char *op, const char *rel,
    int (*fn)(struct sftp_conn *c, void *arg), void *arg)
{
	struct sftp_conn *c;
	int rc;

	if ((rc = sftp_conn_get(fs, &c)) != 0)
		return sftp_err_wrap(fs, rc, op, rel);
	rc = fn(c, arg);
	if (rc != 0 && c->broken) {
		/* Once more on a fresh session of the same slot: a new one,
		 * whatever state the others are in. */
		duet_log(DUET_LOG_DEBUG, "sftp: %s:%d: connection lost, reconnecting: %s",
		    fs->o.host, fs->o.port, duet_err_msg());
		if ((rc = sftp_conn_ready(c)) != 0)
			rc = sftp_err_wrap(fs, rc, op, rel);
		else
			rc = fn(c, arg);
	}
	sftp_conn_put(c);
	return rc;
}

void
sftp_pool_tick(struct sftp_fs *fs)
{
	int64_t now = sftp_now();
	int next;

	pthread_mutex_lock(&fs->pool_mu);
	for (int i = 0; i < fs->nconn; i++) {
		struct sftp_conn *c = &fs->conns[i];
		if (pthread_mutex_trylock(&c->mu) != 0)
			continue; /* in use: not idle */
		if (c->ses != NULL && c->nhandles == 0 && fs->o.idle_ns > 0 &&
		    now - c->last_used >= fs->o.idle_ns)
			sftp_conn_reset(c);
		else if (c->ses != NULL && !c->broken && libssh2_keepalive_send(c->ses, &next) != 0)
			c->broken = 1;
		pthread_mutex_unlock(&c->mu);
	}
	pthread_mutex_unlock(&fs->pool_mu);
}
