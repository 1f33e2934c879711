/*
 * sftp_int.h: private to the SFTP backend (sftp*.c). The fs and connection
 * structs, the pool every operation takes a connection from, the one
 * libssh2 error mapping, and the helpers the files share. Nothing outside
 * backends/sftp/ includes it, except test_sftp.c for the few hooks marked
 * "tests".
 */
#ifndef DUET_BACKENDS_SFTP_INT_H
#define DUET_BACKENDS_SFTP_INT_H

#include <libssh2.h>
#include <libssh2_sftp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backend.h"

#define SFTP_DEFAULT_CONNS 4   /* pool size when `connections` is unset */
#define SFTP_MAX_CONNS 64      /* and its ceiling (also for 0 = unlimited) */
#define SFTP_CHUNK 30000       /* libssh2 1.10's largest READ/WRITE payload */
#define SFTP_IO_TIMEOUT_MS 300000  /* a blocking libssh2 call gives up (5 min) */
#define SFTP_CONNECT_TIMEOUT_MS 60000
#define SFTP_KEEPALIVE_S 30    /* keepalive@openssh.com on idle sessions */
#define SFTP_NAME_MAX 4096     /* longest name read from a directory */

enum sftp_shell {
	SFTP_SHELL_AUTO = 0, /* detect at open */
	SFTP_SHELL_UNIX = 1, /* a POSIX shell runs our commands */
	SFTP_SHELL_NONE = 2, /* no commands: no hashes */
};

/* The remote's options (rclone's sftp keys), parsed at open. */
struct sftp_opts {
	char *host;          /* owned */
	int port;            /* 22 */
	char *user;          /* owned; the local user name by default */
	char *pass;          /* revealed password or NULL; owned, wiped at free */
	char *key_file;      /* "~" expanded or NULL; owned */
	char *key_pass;      /* revealed passphrase or NULL; owned, wiped */
	char *key_pem;       /* inline key with real newlines, or NULL; owned, wiped */
	char *pubkey_file;   /* optional public key for key_file; owned */
	int use_agent;       /* key_use_agent */
	char *known_hosts;   /* known_hosts_file, "~" expanded, or NULL; owned */
	char *md5_cmd;       /* md5sum_command or NULL (auto: "md5sum"); owned */
	char *sha1_cmd;      /* sha1sum_command or NULL (auto: "sha1sum"); owned */
	enum sftp_shell shell;
	int disable_hashcheck;
	int set_modtime;     /* default 1 */
	int skip_links;      /* skip_links: symlinks skipped without a NOTICE */
	int64_t idle_ns;     /* idle_timeout; 0 keeps connections */
	int concurrency;     /* outstanding requests per file (default 64) */
	int conns;           /* pool size */
	char *subsystem;     /* "sftp"; owned */
	char *path_override; /* remote root for shell commands, or NULL; owned */
};

/* An SFTP handle a stream or a listing keeps open across calls. Reset of
 * its connection closes it and sets h to NULL (under the connection's
 * mutex, as every use of h). */
struct sftp_hnd {
	LIBSSH2_SFTP_HANDLE *h;
	struct sftp_hnd *next, *prev; /* in the connection's list */
};

/* One SSH session with its SFTP channel. Used by one thread at a time:
 * whoever holds mu. */
struct sftp_conn {
	pthread_mutex_t mu;
	struct sftp_fs *fs;
	int sock;                 /* -1 when not connected */
	LIBSSH2_SESSION *ses;     /* NULL when not connected */
	LIBSSH2_SFTP *sftp;
	LIBSSH2_CHANNEL *raw;     /* our own SFTP channel (extensions), or NULL */
	uint32_t raw_id;          /* next request id on raw */
	int raw_failed;           /* raw could not be started on this session */
	int broken;               /* transport failed: reconnect before use */
	struct sftp_hnd *handles; /* open handles, closed by a reset */
	int nhandles;
	int64_t last_used;        /* monotonic ns of the last release */
};

/* Extensions of the server (from the raw channel's VERSION). */
#define SFTP_EXT_POSIX_RENAME 0x01 /* posix-rename@openssh.com */
#define SFTP_EXT_COPY_DATA 0x02    /* copy-data */

struct sftp_fs {
	struct duet_fs base;
	struct sftp_opts o;
	char *dir;          /* remote directory of the root, no trailing '/'
	                       (except "/"); "" is the login directory; the
	                       parent when the root names a file; owned */
	char *suffix;       /* temp name suffix (".partial"); owned */
	enum duet_links links;
	int inplace;
	atomic_uint ext;    /* SFTP_EXT_* the server offers */
	atomic_int noticed; /* the unverified host key NOTICE was logged */
	pthread_mutex_t pool_mu; /* guards nconn, rr, stop */
	pthread_cond_t pool_cv;  /* wakes the janitor at close */
	struct sftp_conn *conns; /* o.conns slots; owned */
	int nconn;               /* slots in use */
	unsigned rr;             /* round robin when all are busy */
	int stop;                /* close: the janitor ends */
	int janitor_on;
	pthread_t janitor;
};

/* --- sftp.c --- */

/* 1 when b is one of the SFTP backend's tables (one per capability set). */
int sftp_is_sftp(const struct duet_backend *b);

/* --- sftp_conn.c: the pool --- */

/* Takes a connection (connected, mu held) for one operation. Errors:
 * DUET_E_NET (cannot connect), DUET_E_AUTH (login or host key refused). */
int sftp_conn_get(struct sftp_fs *fs, struct sftp_conn **out);
/* Gives it back (unlocks). */
void sftp_conn_put(struct sftp_conn *c);
/* With mu held: reconnects when c is broken or closed. */
int sftp_conn_ready(struct sftp_conn *c);
/* With mu held: closes every handle, the session and the socket. */
void sftp_conn_reset(struct sftp_conn *c);
/* Runs fn on a pooled connection; when the transport broke, reconnects
 * and runs it once more. Returns fn's result; a failure to connect is
 * reported as a failure of op on rel. */
int sftp_run(struct sftp_fs *fs, const char *op, const char *rel,
    int (*fn)(struct sftp_conn *c, void *arg), void *arg);
/* Registers an open handle with c (mu held). */
void sftp_hnd_add(struct sftp_conn *c, struct sftp_hnd *x, LIBSSH2_SFTP_HANDLE *h);
/* Closes x's handle if still open and unregisters it (mu held). Returns
 * libssh2's result (0 when already closed). */
int sftp_hnd_close(struct sftp_conn *c, struct sftp_hnd *x);
/* Closes idle connections and sends keepalives (the janitor's tick). */
void sftp_pool_tick(struct sftp_fs *fs);
int64_t sftp_now(void);

/* --- sftp_auth.c --- */

/* Loads known_hosts (known_hosts_file, else ~/.ssh/known_hosts when it
 * exists) into *kh and its @revoked lines into *rev, and orders the host
 * key algorithms (before the handshake). *explicit: the file was
 * configured. DUET_E_USAGE when a configured file cannot be read. */
int sftp_hostkey_prepare(struct sftp_conn *c, LIBSSH2_KNOWNHOSTS **kh,
    LIBSSH2_KNOWNHOSTS **rev, int *explicit);
/* After the handshake: DUET_E_AUTH naming the SHA256 fingerprint when the
 * key is revoked, differs, or (explicit) is not listed; an unknown host
 * without a configured file is accepted with one NOTICE per fs. */
int sftp_hostkey_check(struct sftp_conn *c, LIBSSH2_KNOWNHOSTS *kh, LIBSSH2_KNOWNHOSTS *rev,
    int explicit);
/* Logs in (key, agent, password, keyboard-interactive). DUET_E_AUTH with
 * what was tried and why it failed, never a secret. */
int sftp_login(struct sftp_conn *c);
/* "~/x" with $HOME (or the user's home) expanded; other paths copied. */
int sftp_expand(const char *in, char **out);

/* --- sftp_conn.c: errors --- */

/* The libssh2 mapping: classifies c's last failure (marking c broken when
 * the transport failed), sets "sftp: OP HOST:PATH: why" (rel is the path
 * below the root, "" the root) and returns the DUET_E_* code. */
int sftp_err(struct sftp_conn *c, const char *op, const char *rel);
/* The same message with a code and reason the caller decided. */
int sftp_errx(const struct sftp_fs *fs, int code, const char *op, const char *rel,
    const char *why);
/* Sets "sftp: OP HOST:PATH: <this thread's message>" with code: a
 * connection failure told as the failure of an operation. */
int sftp_err_wrap(const struct sftp_fs *fs, int code, const char *op, const char *rel);
/* This thread's error, kept across best-effort cleanup. */
struct sftp_errsave {
	int code;
	char msg[1024];
};
void sftp_err_save(struct sftp_errsave *s);
void sftp_err_restore(const struct sftp_errsave *s);
/* The SFTP status of c's last failure, or -1 when it failed below SFTP. */
long sftp_status(struct sftp_conn *c);
/* The DUET_E_* code and reason of an SFTP status code. */
int sftp_map_status(unsigned long st, const char **why);

/* --- sftp_ops.c --- */

/* The remote path of rel ("" the root), new string, or NULL with
 * DUET_E_NOMEM set; DUET_E_BADNAME for "", "." or ".." segments. */
int sftp_rpath(const struct sftp_fs *fs, const char *rel, char **out);
/* lstat (or stat when follow) of rel into *a; errors mapped. */
int sftp_stat_c(struct sftp_conn *c, const char *rel, int follow, LIBSSH2_SFTP_ATTRIBUTES *a);
/* mkdir -p of rel on c. */
int sftp_mkdir_c(struct sftp_conn *c, const char *rel);
/* Removes rel (a file) on c. */
int sftp_remove_c(struct sftp_conn *c, const char *rel);
/* Renames remote path src to remote path dst replacing dst (posix-rename
 * when offered, else a rename that moves dst aside first); rel names dst
 * in messages. DUET_E_NOTFOUND when src or dst's parent is missing. */
int sftp_replace_c(struct sftp_conn *c, const char *src, const char *dst, const char *rel);
/* Temp name for final (a base name) into out. */
void sftp_tmpname(const struct sftp_fs *fs, const char *final, char *out, size_t outlen);
/* ns since the epoch of attributes (0 unknown). */
int64_t sftp_attr_ns(const LIBSSH2_SFTP_ATTRIBUTES *a);

/* The listing state for one directory (tests: sftp_list_entry). */
struct sftp_listctx {
	struct sftp_fs *fs;
	const char *dir;  /* relative directory listed */
	duet_list_fn fn;
	void *ctx;
	int soft;         /* first per-entry error (DUET_E_BADNAME...) */
};
/* Checks one name read from the server and hands the entry to lc->fn
 * ("." and ".." and our temp names skipped; symlinks, already followed
 * with -L, skipped with a NOTICE). Returns fn's result; a bad name is
 * logged at ERROR, skipped and remembered in lc->soft (DUET_E_BADNAME). */
int sftp_list_entry(struct sftp_listctx *lc, const char *name, size_t nl,
    const LIBSSH2_SFTP_ATTRIBUTES *a);

int sftp_op_list(struct duet_fs *fs, const char *dir, duet_list_fn fn, void *ctx);
int sftp_op_stat(struct duet_fs *fs, const char *path, struct duet_entry *e);
int sftp_op_mkdir(struct duet_fs *fs, const char *dir);
int sftp_op_rmdir(struct duet_fs *fs, const char *dir);
int sftp_op_remove(struct duet_fs *fs, const char *path);
int sftp_op_move(struct duet_fs *fs, const char *src, const char *dst);
int sftp_op_move_from(struct duet_fs *fs, struct duet_fs *src_fs, const char *src,
    const char *dst);
int sftp_op_set_mtime(struct duet_fs *fs, const char *path, int64_t mtime);

/* --- sftp_io.c --- */

int sftp_op_open_read(struct duet_fs *fs, const char *path, int64_t offset,
    struct duet_rstream **out);
int sftp_op_open_write(struct duet_fs *fs, const char *path, int64_t size,
    struct duet_wstream **out);

/* --- sftp_raw.c: our own SFTP channel for the extensions libssh2 1.10
 * lacks --- */

/* Starts c's raw channel if not yet (mu held) and records the server's
 * extensions in fs->ext. DUET_E_UNSUPPORTED when it cannot be started. */
int sftp_raw_start(struct sftp_conn *c);
/* Closes the raw channel (mu held). */
void sftp_raw_stop(struct sftp_conn *c);
/* posix-rename@openssh.com of remote paths; 0, or the mapped error with
 * the message naming rel. */
int sftp_raw_posix_rename(struct sftp_conn *c, const char *src, const char *dst,
    const char *rel);
int sftp_op_copy(struct duet_fs *fs, const char *src, const char *dst);

/* --- sftp_exec.c: commands over an exec channel --- */

/* Decides fs->base.hashes: detects the shell (shell_type unset) and
 * whether md5sum/sha1sum answer, with one command. */
int sftp_exec_probe(struct sftp_conn *c);
int sftp_op_hash(struct duet_fs *fs, const char *path, enum duet_hash_kind k,
    struct duet_hashes *out);
/* Appends s single-quoted for a POSIX shell to b. */
struct duet_buf;
int sftp_shell_quote(struct duet_buf *b, const char *s);

#endif
