/*
 * sftp_exec.c: commands run on the server over an exec channel, for
 * hashes. At open one command tells whether a POSIX shell runs them and
 * whether md5sum and sha1sum (or the configured commands) answer; hash()
 * then runs "CMD 'path'" with the path single-quoted, so no name can
 * reach the shell as syntax. Without a shell there are no hashes.
 */
#include "sftp.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "sftp_int.h"

#define SFTP_EMPTY_MD5 "d41d8cd98f00b204e9800998ecf8427e"
#define SFTP_EMPTY_SHA1 "da39a3ee5e6b4b0d3255bfef95601890afd80709"

int
sftp_shell_quote(struct duet_buf *b, const char *s)
{
	int rc = duet_buf_putc(b, '\'');
	for (; rc == 0 && *s != '\0'; s++)
		rc = *s == '\'' ? duet_buf_puts(b, "'\\''") : duet_buf_putc(b, *s);
	return rc != 0 ? rc : duet_buf_putc(b, '\'');
}

/* Reads a channel stream to its end, keeping the first cap-1 bytes. */
static ssize_t
sftp_exec_drain(LIBSSH2_CHANNEL *ch, int stream, char *out, size_t cap)
{
	char tmp[4096];
	size_t len = 0;
	ssize_t n;

	while ((n = libssh2_channel_read_ex(ch, stream, tmp, sizeof(tmp))) > 0) {
		size_t k = (size_t)n < cap - 1 - len ? (size_t)n : cap - 1 - len;
		memcpy(out + len, tmp, k);
		len += k;
	}
	out[len] = '\0';
	return n < 0 ? n : (ssize_t)len;
}

/* Runs cmd; stdout into out, stderr into err (both cut and terminated),
 * the exit status into *status. Errors: the channel could not run it. */
static int
sftp_exec(struct sftp_conn *c, const char *cmd, char *out, size_t outcap, char *err,
    size_t errcap, int *status, const char *rel)
{
	LIBSSH2_CHANNEL *ch = libssh2_channel_open_session(c->ses);
	int rc = 0;

	*status = -1;
	if (ch == NULL)
		return sftp_err(c, "run a command for", rel);
	if (libssh2_channel_exec(ch, cmd) != 0 || sftp_exec_drain(ch, 0, out, outcap) < 0 ||
	    sftp_exec_drain(ch, SSH_EXTENDED_DATA_STDERR, err, errcap) < 0) {
		rc = sftp_err(c, "run a command for", rel);
	} else {
		(void)libssh2_channel_close(ch);
		(void)libssh2_channel_wait_closed(ch);
		*status = libssh2_channel_get_exit_status(ch);
	}
	libssh2_channel_free(ch);
	return rc;
}

static const char *
sftp_cmd(const struct sftp_fs *fs, enum duet_hash_kind k)
{
	if (k == DUET_HASH_MD5)
		return fs->o.md5_cmd != NULL ? fs->o.md5_cmd : "md5sum";
	return fs->o.sha1_cmd != NULL ? fs->o.sha1_cmd : "sha1sum";
}

/* 1 when text (a command's output) starts with the hex digest want,
 * GNU's '\' escape mark allowed before it. */
static int
sftp_starts_hex(const char *text, const char *want)
{
	size_t n = strlen(want);
	if (text[0] == '\\')
		text++;
	return strncmp(text, want, n) == 0 &&
	    (text[n] == '\0' || text[n] == ' ' || text[n] == '\t' || text[n] == '\n');
}

int
sftp_exec_probe(struct sftp_conn *c)
{
	struct sftp_fs *fs = c->fs;
	struct duet_buf cmd = DUET_BUF_INIT;
	char out[1024], err[256], *sep, *first;
	int status, rc;

	fs->base.hashes = 0;
	if (fs->o.shell == SFTP_SHELL_NONE || fs->o.disable_hashcheck)
		return 0;
	rc = duet_buf_printf(&cmd, "echo duet-$((6*7)); %s /dev/null; echo duet-sep; %s /dev/null",
	    sftp_cmd(fs, DUET_HASH_MD5), sftp_cmd(fs, DUET_HASH_SHA1));
	if (rc == 0)
		rc = sftp_exec(c, cmd.p, out, sizeof(out), err, sizeof(err), &status, "");
	duet_buf_dispose(&cmd);
	if (rc == DUET_E_NET || rc == DUET_E_NOMEM)
		return rc;
	first = strchr(out, '\n');
	if (rc != 0 || first == NULL || strncmp(out, "duet-42\n", 8) != 0) {
		duet_log(DUET_LOG_INFO, "sftp: %s: commands do not run in a POSIX shell there: "
		    "no hashes (set shell_type to skip the test)", fs->base.name);
		return 0;
	}
	first++;
	if ((sep = strstr(first, "duet-sep\n")) == NULL)
		return 0;
	*sep = '\0';
	if (sftp_starts_hex(first, SFTP_EMPTY_MD5))
		fs->base.hashes |= DUET_HASH_BIT(DUET_HASH_MD5);
	if (sftp_starts_hex(sep + 9, SFTP_EMPTY_SHA1))
		fs->base.hashes |= DUET_HASH_BIT(DUET_HASH_SHA1);
	duet_log(DUET_LOG_DEBUG, "sftp: %s: hashes from the server: md5 %s, sha1 %s",
	    fs->base.name, fs->base.hashes & DUET_HASH_BIT(DUET_HASH_MD5) ? "yes" : "no",
	    fs->base.hashes & DUET_HASH_BIT(DUET_HASH_SHA1) ? "yes" : "no");
	return 0;
}

struct sftp_hash_arg {
	const char *path;
	enum duet_hash_kind k;
	struct duet_hashes *out;
	const char *cmd;
};

/* The path the server's shell sees: path_override replaces the root. */
static int
sftp_shell_path(const struct sftp_fs *fs, const char *rel, char **out)
{
	const char *o = fs->o.path_override;
	size_t ol, n;
	int rc;

	if ((rc = sftp_rpath(fs, rel, out)) != 0)
		return rc;
	if (o == NULL && (*out)[0] == '-') {
		/* A relative path that would read as an option. */
		char *dot = duet_path_join(".", *out);
		duet_free(*out);
		*out = dot;
		return dot != NULL ? 0 : duet_err_set(DUET_E_NOMEM, "sftp: out of memory hashing %s", rel);
	}
	if (o == NULL)
		return 0;
	duet_free(*out);
	for (ol = strlen(o); ol > 1 && o[ol - 1] == '/'; ol--)
		;
	n = ol + strlen(rel) + 2;
	if ((*out = duet_malloc(n)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory hashing %s", rel);
	snprintf(*out, n, "%.*s%s%s", (int)ol, o,
	    rel[0] == '\0' || (ol == 1 && o[0] == '/') ? "" : "/", rel);
	return 0;
}

static int
sftp_hash_fn(struct sftp_conn *c, void *arg)
{
	struct sftp_hash_arg *x = arg;
	struct duet_buf cmd = DUET_BUF_INIT;
	LIBSSH2_SFTP_ATTRIBUTES a;
	char out[512], err[256], hex[2 * DUET_HASH_MAXLEN + 1], *p = NULL;
	size_t hl = 2 * duet_hash_size(x->k);
	int status = -1, rc;

	if ((rc = sftp_shell_path(c->fs, x->path, &p)) != 0)
		return rc;
	if ((rc = duet_buf_printf(&cmd, "%s ", x->cmd)) == 0 && (rc = sftp_shell_quote(&cmd, p)) == 0)
		rc = sftp_exec(c, cmd.p, out, sizeof(out), err, sizeof(err), &status, x->path);
	duet_buf_dispose(&cmd);
	duet_free(p);
	if (rc != 0)
		return rc;
	p = out[0] == '\\' ? out + 1 : out;
	if (status == 0 && strlen(p) > hl && (p[hl] == ' ' || p[hl] == '\t' || p[hl] == '\n')) {
		memcpy(hex, p, hl);
		hex[hl] = '\0';
		x->out->mask = 0;
		if (duet_hash_from_hex(x->out, x->k, hex) == 0)
			return 0;
	}
	/* The command failed: say why the file could not be hashed. */
	if ((rc = sftp_stat_c(c, x->path, 1, &a)) != 0)
		return rc;
	if (LIBSSH2_SFTP_S_ISDIR(a.permissions))
		return sftp_errx(c->fs, DUET_E_ISDIR, "hash", x->path, "is a directory");
	err[strcspn(err, "\n")] = '\0';
	snprintf(out, sizeof(out), "%s failed (exit status %d)%s%s", x->cmd, status,
	    err[0] != '\0' ? ": " : "", err);
	return sftp_errx(c->fs, DUET_E_IO, "hash", x->path, out);
}

int
sftp_op_hash(struct duet_fs *dfs, const char *path, enum duet_hash_kind k,
    struct duet_hashes *out)
{
	struct sftp_fs *fs = (struct sftp_fs *)dfs;
	struct sftp_hash_arg x = {path, k, out, NULL};

	if (!(fs->base.hashes & DUET_HASH_BIT(k)))
		return sftp_errx(fs, DUET_E_UNSUPPORTED, "hash", path, "no such hash on this server");
	x.cmd = sftp_cmd(fs, k);
	return sftp_run(fs, "hash", path, sftp_hash_fn, &x);
}
