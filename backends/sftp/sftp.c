/*
 * sftp.c: the SFTP backend's entry points: options (rclone's sftp keys),
 * open (connect, place the root, learn the server's extensions and
 * hashes), close, the janitor thread that closes idle sessions and keeps
 * the others alive, and the backend tables. The capability bits follow
 * the server and the options; since an operation is present exactly when
 * its bit is set, there is one const table per combination.
 */
#include "sftp.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "config/obscure.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"
#include "core/remote.h"
#include "sftp_int.h"

#include "config/obscure.h"

/* Weak: the program may or may not link a definition (config/obscure). */

static void sftp_close(struct duet_fs *fs);

int
sftp_expand(const char *in, char **out)
{
	const char *home = getenv("HOME");
	struct passwd pwb, *pw = NULL;
	char buf[4096];
	size_t hl, n;

	*out = NULL;
	if (in[0] != '~' || (in[1] != '/' && in[1] != '\0')) {
		*out = duet_strdup(in);
	} else {
		if ((home == NULL || home[0] == '\0') &&
		    getpwuid_r(geteuid(), &pwb, buf, sizeof(buf), &pw) == 0 && pw != NULL)
			home = pw->pw_dir;
		if (home == NULL)
			home = "";
		hl = strlen(home);
		n = hl + strlen(in);
		if ((*out = duet_malloc(n + 1)) != NULL)
			snprintf(*out, n + 1, "%s%s", home, in + 1);
	}
	return *out != NULL ? 0 : duet_err_set(DUET_E_NOMEM, "sftp: out of memory");
}

/* --- options --- */

static int
sftp_opt_bool(const struct duet_remote *r, const char *key, int def, int *out)
{
	static const char *const yes[] = {"1", "t", "true", "yes", "y", "on"};
	static const char *const no[] = {"0", "f", "false", "no", "n", "off"};
	const char *v = duet_remote_get(r, key);

	*out = def;
	if (v == NULL || v[0] == '\0')
		return 0;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = 0, 0;
	}
	return duet_err_set(DUET_E_USAGE, "sftp: option %s: \"%s\" is not true or false", key, v);
}

static int
sftp_opt_int(const struct duet_remote *r, const char *key, long def, long min, long max,
    long *out)
{
	const char *v = duet_remote_get(r, key);
	char *end;

	*out = def;
	if (v == NULL || v[0] == '\0')
		return 0;
	errno = 0;
	*out = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || *out < min || *out > max)
		return duet_err_set(DUET_E_USAGE, "sftp: option %s: \"%s\" is not a number from "
		    "%ld to %ld", key, v, min, max);
	return 0;
}

/* rclone durations: "1m0s", "90s", "500ms", "1h30m", "2d", plain seconds,
 * "off" (0). */
static int
sftp_opt_dur(const struct duet_remote *r, const char *key, int64_t def, int64_t *out)
{
	static const struct {
		const char *u;
		double ns;
	} units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
	    {"d", 86400e9}};
	const char *v = duet_remote_get(r, key), *p;
	double total = 0;

	*out = def;
	if (v == NULL || v[0] == '\0')
		return 0;
	if (strcmp(v, "off") == 0)
		return *out = 0, 0;
	for (p = v; *p != '\0';) {
		char *end;
		double x = strtod(p, &end), mult = 0;
		size_t ul = 0;
		if (end == p || x < 0)
			goto bad;
		while (end[ul] >= 'a' && end[ul] <= 'z')
			ul++;
		if (ul == 0 && p == v && end[0] == '\0')
			mult = 1e9; /* plain seconds */
		for (size_t i = 0; ul > 0 && i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].u) == ul && strncmp(end, units[i].u, ul) == 0)
				mult = units[i].ns;
		if (mult == 0)
			goto bad;
		total += x * mult;
		p = end + ul;
	}
	if (total > 9e18)
		goto bad;
	*out = (int64_t)total;
	return 0;
bad:
	return duet_err_set(DUET_E_USAGE, "sftp: option %s: \"%s\" is not a duration (e.g. 1m0s)",
	    key, v);
}

static int
sftp_opt_str(const struct duet_remote *r, const char *key, int expand, char **out)
{
	const char *v = duet_remote_get(r, key);
	*out = NULL;
	if (v == NULL || v[0] == '\0')
		return 0;
	if (expand)
		return sftp_expand(v, out);
	return (*out = duet_strdup(v)) != NULL ? 0 : duet_err_set(DUET_E_NOMEM, "sftp: out of memory");
}

/* A secret, stored obscured as rclone does. */
static int
sftp_opt_secret(const struct duet_remote *r, const char *key, char **out)
{
	const char *v = duet_remote_get(r, key);
	int rc;

	*out = NULL;
	if (v == NULL || v[0] == '\0')
		return 0;
	if ((rc = duet_obscure_reveal(v, out)) != 0)
		return duet_err_set(DUET_E_USAGE, "sftp: option %s: cannot reveal the obscured value "
		    "(store it with 'duet obscure')", key);
	return 0;
}

/* key_pem as rclone stores it: one line, "\n" (or "\r\n") escapes. */
static int
sftp_opt_pem(const struct duet_remote *r, char **out)
{
	const char *v = duet_remote_get(r, "key_pem");
	char *p;
	size_t n = 0;

	*out = NULL;
	if (v == NULL || v[0] == '\0')
		return 0;
	if ((p = duet_malloc(strlen(v) + 2)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory");
	for (const char *s = v; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == 'r' && s[2] == '\\' && s[3] == 'n')
			s += 2;
		if (s[0] == '\\' && s[1] == 'n') {
			p[n++] = '\n';
			s++;
		} else {
			p[n++] = *s;
		}
	}
	if (n > 0 && p[n - 1] != '\n')
		p[n++] = '\n';
	p[n] = '\0';
	*out = p;
	return 0;
}

static int
sftp_opt_shell(const struct duet_remote *r, enum sftp_shell *out)
{
	const char *v = duet_remote_get(r, "shell_type");

	*out = SFTP_SHELL_AUTO;
	if (v == NULL || v[0] == '\0')
		return 0;
	if (strcmp(v, "unix") == 0)
		*out = SFTP_SHELL_UNIX;
	else if (strcmp(v, "none") == 0)
		*out = SFTP_SHELL_NONE;
	else if (strcmp(v, "powershell") == 0 || strcmp(v, "cmd") == 0) {
		duet_log(DUET_LOG_NOTICE, "sftp: shell_type %s is not supported: no hashes", v);
		*out = SFTP_SHELL_NONE;
	} else
		return duet_err_set(DUET_E_USAGE, "sftp: option shell_type: \"%s\" is not unix, "
		    "powershell, cmd or none", v);
	return 0;
}

static int
sftp_opt_user(const struct duet_remote *r, char **out)
{
	struct passwd pwb, *pw = NULL;
	const char *u = duet_remote_get(r, "user");
	char buf[4096];

	if ((u == NULL || u[0] == '\0') &&
	    getpwuid_r(geteuid(), &pwb, buf, sizeof(buf), &pw) == 0 && pw != NULL)
		u = pw->pw_name;
	if (u == NULL || u[0] == '\0')
		u = getenv("USER");
	if (u == NULL || u[0] == '\0')
		return duet_err_set(DUET_E_USAGE, "sftp: no user given and none known locally");
	return (*out = duet_strdup(u)) != NULL ? 0 : duet_err_set(DUET_E_NOMEM, "sftp: out of memory");
}

static int
sftp_opts_parse(const struct duet_remote *r, struct sftp_opts *o)
{
	long port, conc, conns;
	int rc;

	if (duet_remote_get(r, "server_command") != NULL)
		return duet_err_set(DUET_E_USAGE, "sftp: option server_command is not supported");
	if ((rc = sftp_opt_str(r, "host", 0, &o->host)) != 0)
		return rc;
	if (o->host == NULL)
		return duet_err_set(DUET_E_USAGE, "sftp: %s: the remote has no host", r->spec);
	if ((rc = sftp_opt_user(r, &o->user)) != 0 ||
	    (rc = sftp_opt_int(r, "port", 22, 1, 65535, &port)) != 0 ||
	    (rc = sftp_opt_secret(r, "pass", &o->pass)) != 0 ||
	    (rc = sftp_opt_secret(r, "key_file_pass", &o->key_pass)) != 0 ||
	    (rc = sftp_opt_str(r, "key_file", 1, &o->key_file)) != 0 ||
	    (rc = sftp_opt_pem(r, &o->key_pem)) != 0 ||
	    (rc = sftp_opt_str(r, "pubkey_file", 1, &o->pubkey_file)) != 0 ||
	    (rc = sftp_opt_bool(r, "key_use_agent", 0, &o->use_agent)) != 0 ||
	    (rc = sftp_opt_str(r, "known_hosts_file", 1, &o->known_hosts)) != 0 ||
	    (rc = sftp_opt_str(r, "md5sum_command", 0, &o->md5_cmd)) != 0 ||
	    (rc = sftp_opt_str(r, "sha1sum_command", 0, &o->sha1_cmd)) != 0 ||
	    (rc = sftp_opt_shell(r, &o->shell)) != 0 ||
	    (rc = sftp_opt_bool(r, "disable_hashcheck", 0, &o->disable_hashcheck)) != 0 ||
	    (rc = sftp_opt_bool(r, "set_modtime", 1, &o->set_modtime)) != 0 ||
	    (rc = sftp_opt_bool(r, "skip_links", 0, &o->skip_links)) != 0 ||
	    (rc = sftp_opt_dur(r, "idle_timeout", 60000000000LL, &o->idle_ns)) != 0 ||
	    (rc = sftp_opt_int(r, "concurrency", 64, 1, 1024, &conc)) != 0 ||
	    (rc = sftp_opt_int(r, "connections", SFTP_DEFAULT_CONNS, 0, 100000, &conns)) != 0 ||
	    (rc = sftp_opt_str(r, "subsystem", 0, &o->subsystem)) != 0 ||
	    (rc = sftp_opt_str(r, "path_override", 0, &o->path_override)) != 0)
		return rc;
	o->port = (int)port;
	o->concurrency = (int)conc;
	o->conns = conns == 0 || conns > SFTP_MAX_CONNS ? SFTP_MAX_CONNS : (int)conns;
	if (o->subsystem == NULL && (o->subsystem = duet_strdup("sftp")) == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory");
	return 0;
}

/* Frees a secret after overwriting it. */
static void
sftp_wipe(char *s)
{
	if (s == NULL)
		return;
	for (volatile char *p = s; *p != '\0'; p++)
		*p = '\0';
	duet_free(s);
}

static void
sftp_opts_free(struct sftp_opts *o)
{
	duet_free(o->host);
	duet_free(o->user);
	sftp_wipe(o->pass);
	sftp_wipe(o->key_pass);
	sftp_wipe(o->key_pem);
	duet_free(o->key_file);
	duet_free(o->pubkey_file);
	duet_free(o->known_hosts);
	duet_free(o->md5_cmd);
	duet_free(o->sha1_cmd);
	duet_free(o->subsystem);
	duet_free(o->path_override);
}

/* --- the janitor --- */

static void *
sftp_janitor(void *arg)
{
	struct sftp_fs *fs = arg;
	int64_t tick = fs->o.idle_ns > 0 && fs->o.idle_ns / 2 < 5000000000LL ? fs->o.idle_ns / 2
	                                                                      : 5000000000LL;
	struct timespec ts;

	if (tick < 50000000)
		tick = 50000000;
	pthread_mutex_lock(&fs->pool_mu);
	while (!fs->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)(tick / 1000000000);
		ts.tv_nsec += (long)(tick % 1000000000);
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		(void)pthread_cond_timedwait(&fs->pool_cv, &fs->pool_mu, &ts);
		if (fs->stop)
			break;
		pthread_mutex_unlock(&fs->pool_mu);
		sftp_pool_tick(fs);
		pthread_mutex_lock(&fs->pool_mu);
	}
	pthread_mutex_unlock(&fs->pool_mu);
	return NULL;
}

/* --- open --- */

/* The root: a directory (maybe missing), or a file whose parent becomes
 * the root with base.file set. */
static int
sftp_place_root(struct sftp_conn *c)
{
	struct sftp_fs *fs = c->fs;
	LIBSSH2_SFTP_ATTRIBUTES a;
	char *slash;

	if (sftp_stat_c(c, "", 1, &a) != 0)
		return duet_err_code() == DUET_E_NOTFOUND ? 0 : duet_err_code();
	if (!(a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) || LIBSSH2_SFTP_S_ISDIR(a.permissions))
		return 0;
	slash = strrchr(fs->dir, '/');
	if ((fs->base.file = duet_strdup(slash != NULL ? slash + 1 : fs->dir)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory opening %s", fs->base.name);
	if (slash == NULL)
		fs->dir[0] = '\0';
	else
		slash[slash == fs->dir] = '\0'; /* a file in "/" keeps "/" */
	return 0;
}

/* fs->canon: "sftp:user@host:port:" + the absolute root (resolved by the
 * server where it exists, else the login directory + the root). fs->ident
 * is the same without the port: a server moved to another port keeps its
 * bisync pairs. */
static int
sftp_canon(struct sftp_conn *c)
{
	struct sftp_fs *fs = c->fs;
	char real[4096], *p = NULL;
	const char *abs = real, *rest = "";
	size_t n;
	int rc;

	if ((rc = sftp_rpath(fs, "", &p)) != 0)
		return rc;
	if (libssh2_sftp_realpath(c->sftp, p, real, sizeof(real)) <= 0) {
		if (fs->dir[0] == '/')
			abs = fs->dir;
		else if (libssh2_sftp_realpath(c->sftp, ".", real, sizeof(real)) > 0)
			rest = fs->dir;
		else
			abs = fs->dir;
	}
	n = strlen(fs->o.user) + strlen(fs->o.host) + strlen(abs) + strlen(rest) + 32;
	if ((fs->base.canon = duet_malloc(n)) != NULL)
		snprintf(fs->base.canon, n, "sftp:%s@%s:%d:%s%s%s", fs->o.user, fs->o.host, fs->o.port,
		    abs, rest[0] != '\0' && strcmp(abs, "/") != 0 ? "/" : "", rest);
	if ((fs->base.ident = duet_malloc(n)) != NULL)
		snprintf(fs->base.ident, n, "sftp:%s@%s:%s%s%s", fs->o.user, fs->o.host,
		    abs, rest[0] != '\0' && strcmp(abs, "/") != 0 ? "/" : "", rest);
	duet_free(p);
	return fs->base.canon != NULL && fs->base.ident != NULL
	    ? 0 : duet_err_set(DUET_E_NOMEM, "sftp: out of memory");
}

/* Everything open needs from the server, on its first connection. */
static int
sftp_first_contact(struct sftp_fs *fs)
{
	struct sftp_conn *c;
	int rc;

	if ((rc = sftp_conn_get(fs, &c)) != 0)
		return rc;
	if ((rc = sftp_place_root(c)) != 0 || (rc = sftp_canon(c)) != 0)
		goto out;
	rc = sftp_raw_start(c);
	if (rc == DUET_E_UNSUPPORTED) {
		duet_log(DUET_LOG_DEBUG, "sftp: %s: %s", fs->base.name, duet_err_msg());
		rc = 0;
	}
	if (rc == 0)
		rc = sftp_exec_probe(c);
out:
	sftp_conn_put(c);
	return rc;
}

static int
sftp_fs_new(const struct duet_remote *r, const struct duet_fs_opts *o, struct sftp_fs **out)
{
	struct sftp_fs *fs = duet_calloc(1, sizeof(*fs));
	pthread_condattr_t ca;
	size_t pl = strlen(r->path);
	char *name = NULL;
	int rc;

	*out = NULL;
	if (fs == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory opening %s", r->path);
	pthread_mutex_init(&fs->pool_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&fs->pool_cv, &ca);
	pthread_condattr_destroy(&ca);
	*out = fs;
	if ((rc = sftp_opts_parse(r, &fs->o)) != 0)
		return rc;
	/* Without `connections`, the pool grows to what the command runs at
	 * once (--transfers, --checkers). */
	if (duet_remote_get(r, "connections") == NULL && o != NULL && o->parallel > 0)
		fs->o.conns = o->parallel < SFTP_MAX_CONNS ? o->parallel : SFTP_MAX_CONNS;
	/* The name shows the root as "srv:/a/b", without trailing slashes. */
	while (pl > 1 && r->path[pl - 1] == '/')
		pl--;
	name = duet_malloc(strlen(r->name ? r->name : fs->o.host) + pl + 2);
	if (name == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory opening %s", r->path);
	snprintf(name, strlen(r->name ? r->name : fs->o.host) + pl + 2, "%s:%.*s",
	    r->name ? r->name : fs->o.host, (int)pl, r->path);
	rc = duet_fs_init(&fs->base, &duet_sftp_backend, name, r->path);
	duet_free(name);
	if (rc != 0)
		return rc;
	fs->dir = duet_strndup(r->path, pl);
	fs->suffix = duet_strdup(o != NULL && o->partial_suffix ? o->partial_suffix : ".partial");
	fs->conns = duet_calloc((size_t)fs->o.conns, sizeof(*fs->conns));
	if (fs->dir == NULL || fs->suffix == NULL || fs->conns == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory opening %s", r->path);
	for (int i = 0; i < fs->o.conns; i++) {
		pthread_mutex_init(&fs->conns[i].mu, NULL);
		fs->conns[i].fs = fs;
		fs->conns[i].sock = -1;
	}
	if (o != NULL) {
		fs->links = o->links == DUET_LINKS_FOLLOW ? DUET_LINKS_FOLLOW : DUET_LINKS_SKIP;
		fs->inplace = o->inplace;
		if (o->links == DUET_LINKS_STORE)
			duet_log(DUET_LOG_NOTICE, "sftp: %s: -l/--links is not supported on sftp: "
			    "symlinks are skipped", fs->base.name);
	}
	fs->base.precision = 1000000000; /* SFTP v3 times are seconds */
	return 0;
}

#define SFTP_TABLE(cp, mt)                                                              \
	{                                                                               \
		.name = "sftp", .open = sftp_open, .close = sftp_close,                 \
		.list = sftp_op_list, .stat = sftp_op_stat,                            \
		.open_read = sftp_op_open_read, .open_write = sftp_op_open_write,      \
		.mkdir = sftp_op_mkdir, .rmdir = sftp_op_rmdir,                        \
		.remove = sftp_op_remove, .move = sftp_op_move, .copy = cp,            \
		.set_mtime = mt, .move_from = sftp_op_move_from, .hash = sftp_op_hash, \
	}

static int sftp_open(const struct duet_remote *r, const struct duet_fs_opts *o,
    struct duet_fs **out);

const struct duet_backend duet_sftp_backend = SFTP_TABLE(sftp_op_copy, sftp_op_set_mtime);
static const struct duet_backend sftp_nocopy = SFTP_TABLE(NULL, sftp_op_set_mtime);
static const struct duet_backend sftp_nomtime = SFTP_TABLE(sftp_op_copy, NULL);
static const struct duet_backend sftp_neither = SFTP_TABLE(NULL, NULL);

int
sftp_is_sftp(const struct duet_backend *b)
{
	return b == &duet_sftp_backend || b == &sftp_nocopy || b == &sftp_nomtime ||
	    b == &sftp_neither;
}

static int
sftp_open(const struct duet_remote *r, const struct duet_fs_opts *o, struct duet_fs **out)
{
	struct sftp_fs *fs = NULL;
	int rc, copy, mt;

	*out = NULL;
	if ((rc = sftp_fs_new(r, o, &fs)) != 0 || (rc = sftp_first_contact(fs)) != 0)
		goto out;
	copy = (atomic_load(&fs->ext) & SFTP_EXT_COPY_DATA) != 0;
	mt = fs->o.set_modtime;
	fs->base.ops = copy ? (mt ? &duet_sftp_backend : &sftp_nomtime)
	                    : (mt ? &sftp_nocopy : &sftp_neither);
	fs->base.caps = DUET_CAP_MOVE | DUET_CAP_DIRS | DUET_CAP_SLOW_HASH |
	    (copy ? DUET_CAP_COPY : 0) | (mt ? DUET_CAP_SETMTIME : 0);
	if (pthread_create(&fs->janitor, NULL, sftp_janitor, fs) == 0)
		fs->janitor_on = 1;
out:
	if (rc != 0) {
		sftp_close(fs != NULL ? &fs->base : NULL);
		return rc;
	}
	*out = &fs->base;
	return 0;
}

static void
sftp_close(struct duet_fs *dfs)
{
	struct sftp_fs *fs = (struct sftp_fs *)dfs;

	if (fs == NULL)
		return;
	if (fs->janitor_on) {
		pthread_mutex_lock(&fs->pool_mu);
		fs->stop = 1;
		pthread_cond_signal(&fs->pool_cv);
		pthread_mutex_unlock(&fs->pool_mu);
		pthread_join(fs->janitor, NULL);
	}
	for (int i = 0; fs->conns != NULL && i < fs->o.conns; i++) {
		pthread_mutex_lock(&fs->conns[i].mu);
		sftp_conn_reset(&fs->conns[i]);
		pthread_mutex_unlock(&fs->conns[i].mu);
		pthread_mutex_destroy(&fs->conns[i].mu);
	}
	pthread_mutex_destroy(&fs->pool_mu);
	pthread_cond_destroy(&fs->pool_cv);
	duet_free(fs->conns);
	duet_free(fs->dir);
	duet_free(fs->suffix);
	sftp_opts_free(&fs->o);
	duet_fs_dispose(&fs->base);
	duet_free(fs);
}
