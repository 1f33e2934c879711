/*
 * sftp_auth.c: who the server is and who we are. The host key is checked
 * against known_hosts (known_hosts_file, else ~/.ssh/known_hosts), with
 * the host key algorithms ordered so that the server shows a key of a type
 * the file lists for it. Then the login: key (key_pem or key_file),
 * ssh-agent, password, keyboard-interactive. Secrets never reach a
 * message or a log line.
 */
#include "sftp.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"
#include "sftp_int.h"

/* Host key types in OpenSSH's order of preference, with what libssh2
 * calls them. */
static const struct {
	int kh;            /* LIBSSH2_KNOWNHOST_KEY_* */
	const char *algs;  /* for libssh2_session_method_pref */
} sftp_keytypes[] = {
	{LIBSSH2_KNOWNHOST_KEY_ED25519, "ssh-ed25519"},
	{LIBSSH2_KNOWNHOST_KEY_ECDSA_256, "ecdsa-sha2-nistp256"},
	{LIBSSH2_KNOWNHOST_KEY_ECDSA_384, "ecdsa-sha2-nistp384"},
	{LIBSSH2_KNOWNHOST_KEY_ECDSA_521, "ecdsa-sha2-nistp521"},
	{LIBSSH2_KNOWNHOST_KEY_SSHRSA, "rsa-sha2-512,rsa-sha2-256,ssh-rsa"},
};
#define SFTP_NKEYTYPES (sizeof(sftp_keytypes) / sizeof(sftp_keytypes[0]))

/* Reads an OpenSSH known_hosts file line by line into kh, "@revoked"
 * lines into rev. Lines libssh2 cannot parse (certificate authorities,
 * security-key types) are skipped rather than failing the whole file. */
static int
sftp_kh_read(LIBSSH2_KNOWNHOSTS *kh, LIBSSH2_KNOWNHOSTS *rev, const char *file)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL)
		return -errno;
	while ((n = getline(&line, &cap, f)) > 0) {
		char *p = line;
		LIBSSH2_KNOWNHOSTS *to = kh;
		if (strncmp(p, "@revoked", 8) == 0 && (p[8] == ' ' || p[8] == '\t')) {
			p += 9;
			to = rev;
		} else if (p[0] == '@') {
			continue; /* @cert-authority: certificates are not supported */
		}
		(void)libssh2_knownhost_readline(to, p, strlen(p), LIBSSH2_KNOWNHOST_FILE_OPENSSH);
	}
	free(line); /* getline's buffer */
	fclose(f);
	return 0;
}

/* Appends to prefs the algorithms of list this libssh2 supports (1.10's
 * method_pref mishandles names it does not know). */
static void
sftp_kh_append(char *prefs, size_t n, const char *list, const char **algs, int nalgs)
{
	char one[64];
	for (const char *s = list; *s != '\0';) {
		size_t l = strcspn(s, ",");
		snprintf(one, sizeof(one), "%.*s", (int)l, s);
		for (int i = 0; i < nalgs; i++)
			if (strcmp(algs[i], one) == 0) {
				if (prefs[0] != '\0')
					strncat(prefs, ",", n - strlen(prefs) - 1);
				strncat(prefs, one, n - strlen(prefs) - 1);
				break;
			}
		s += l + (s[l] == ',');
	}
}

/* Puts the key types known_hosts lists for the host first, so the server
 * is asked for a key we can check. A probe with a dummy key answers
 * MISMATCH exactly when the host has an entry of that type. */
static void
sftp_kh_prefs(struct sftp_conn *c, LIBSSH2_KNOWNHOSTS *kh)
{
	const struct sftp_opts *o = &c->fs->o;
	char prefs[512] = "";
	int known[SFTP_NKEYTYPES], any = 0, nalgs;
	const char **algs = NULL;

	for (size_t i = 0; i < SFTP_NKEYTYPES; i++) {
		int r = libssh2_knownhost_checkp(kh, o->host, o->port, "x", 1,
		    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
		    sftp_keytypes[i].kh, NULL);
		known[i] = r == LIBSSH2_KNOWNHOST_CHECK_MISMATCH;
		any |= known[i];
	}
	if (!any || (nalgs = libssh2_session_supported_algs(c->ses, LIBSSH2_METHOD_HOSTKEY,
	                        &algs)) <= 0)
		return;
	for (int pass = 1; pass >= 0; pass--)
		for (size_t i = 0; i < SFTP_NKEYTYPES; i++)
			if (known[i] == pass)
				sftp_kh_append(prefs, sizeof(prefs), sftp_keytypes[i].algs, algs, nalgs);
	libssh2_free(c->ses, (void *)algs);
	if (prefs[0] != '\0')
		(void)libssh2_session_method_pref(c->ses, LIBSSH2_METHOD_HOSTKEY, prefs);
}

int
sftp_hostkey_prepare(struct sftp_conn *c, LIBSSH2_KNOWNHOSTS **kh, LIBSSH2_KNOWNHOSTS **rev,
    int *explicit)
{
	const struct sftp_opts *o = &c->fs->o;
	char *def = NULL;
	const char *file = o->known_hosts;
	int rc = 0, e;

	*kh = *rev = NULL;
	*explicit = file != NULL;
	if (file == NULL) {
		if ((rc = sftp_expand("~/.ssh/known_hosts", &def)) != 0)
			return rc;
		file = def;
	}
	*kh = libssh2_knownhost_init(c->ses);
	*rev = libssh2_knownhost_init(c->ses);
	if (*kh == NULL || *rev == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "sftp: out of memory connecting to %s", o->host);
		goto out;
	}
	if ((e = sftp_kh_read(*kh, *rev, file)) != 0 && *explicit) {
		char why[256];
		if (strerror_r(-e, why, sizeof(why)) != 0)
			snprintf(why, sizeof(why), "cannot read it");
		rc = duet_err_set(DUET_E_USAGE, "sftp: known_hosts_file %s: %s", file, why);
		goto out;
	}
	sftp_kh_prefs(c, *kh);
out:
	duet_free(def);
	return rc;
}

/* "SHA256:<base64 without padding>" of the session's host key. */
static void
sftp_fingerprint(LIBSSH2_SESSION *s, char *out, size_t outlen)
{
	const char *h = libssh2_hostkey_hash(s, LIBSSH2_HOSTKEY_HASH_SHA256);
	unsigned char b64[64];
	int n;

	if (h == NULL) {
		snprintf(out, outlen, "SHA256:(unknown)");
		return;
	}
	n = EVP_EncodeBlock(b64, (const unsigned char *)h, 32);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(out, outlen, "SHA256:%.*s", n, (const char *)b64);
}

static int
sftp_kh_type(int hostkey_type, const char **name)
{
	switch (hostkey_type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		*name = "rsa";
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		*name = "dss";
		return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		*name = "ecdsa";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		*name = "ecdsa";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		*name = "ecdsa";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		*name = "ed25519";
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default:
		*name = "unknown";
		return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
	}
}

int
sftp_hostkey_check(struct sftp_conn *c, LIBSSH2_KNOWNHOSTS *kh, LIBSSH2_KNOWNHOSTS *rev,
    int explicit)
{
	struct sftp_fs *fs = c->fs;
	const struct sftp_opts *o = &fs->o;
	const char *key, *tname, *file = explicit ? o->known_hosts : "~/.ssh/known_hosts";
	char fp[80];
	size_t len;
	int type, mask, r;

	key = libssh2_session_hostkey(c->ses, &len, &type);
	if (key == NULL)
		return duet_err_set(DUET_E_NET, "sftp: connect %s:%d: the server sent no host key",
		    o->host, o->port);
	sftp_fingerprint(c->ses, fp, sizeof(fp));
	mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
	    sftp_kh_type(type, &tname);
	if (libssh2_knownhost_checkp(rev, o->host, o->port, key, len, mask, NULL) ==
	    LIBSSH2_KNOWNHOST_CHECK_MATCH)
		return duet_err_set(DUET_E_AUTH,
		    "sftp: connect %s:%d: the host key (%s %s) is marked @revoked in %s",
		    o->host, o->port, tname, fp, file);
	r = libssh2_knownhost_checkp(kh, o->host, o->port, key, len, mask, NULL);
	if (r == LIBSSH2_KNOWNHOST_CHECK_MATCH)
		return 0;
	if (r == LIBSSH2_KNOWNHOST_CHECK_MISMATCH)
		return duet_err_set(DUET_E_AUTH,
		    "sftp: connect %s:%d: HOST KEY MISMATCH: the server offers %s key %s, "
		    "which is not the key %s lists for it (someone may be intercepting the "
		    "connection; if the key was changed on purpose, update %s)",
		    o->host, o->port, tname, fp, file, file);
	if (explicit)
		return duet_err_set(DUET_E_AUTH,
		    "sftp: connect %s:%d: host key %s (%s) is not in known_hosts_file %s",
		    o->host, o->port, fp, tname, file);
	if (atomic_exchange(&fs->noticed, 1) == 0)
		duet_log(DUET_LOG_NOTICE,
		    "sftp: %s:%d: host key not verified (%s key %s); set known_hosts_file to "
		    "check it", o->host, o->port, tname, fp);
	return 0;
}

/* keyboard-interactive: every prompt gets the password. libssh2 frees the
 * answers with its allocator (the C library's), hence plain strdup. */
static LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC(sftp_kbdint)
{
	const struct sftp_conn *c = *abstract;
	(void)name;
	(void)name_len;
	(void)instruction;
	(void)instruction_len;
	(void)prompts;
	for (int i = 0; i < num_prompts; i++) {
		responses[i].text = strdup(c->fs->o.pass);
		responses[i].length = responses[i].text != NULL ? (unsigned)strlen(c->fs->o.pass) : 0;
	}
}

/* The key blob of an OpenSSH public key file ("type base64 comment"),
 * for picking that key from the agent. 0 and *blob (duet_free) or -1. */
static int
sftp_pub_blob(const char *file, unsigned char **blob, size_t *len)
{
	FILE *f = fopen(file, "r");
	char line[16384], *b64, *end;
	int n, pad = 0;

	*blob = NULL;
	if (f == NULL)
		return -1;
	b64 = fgets(line, sizeof(line), f) != NULL ? strchr(line, ' ') : NULL;
	fclose(f);
	if (b64 == NULL)
		return -1;
	b64++;
	end = b64 + strcspn(b64, " \t\r\n");
	*end = '\0';
	if ((*blob = duet_malloc((size_t)(end - b64) + 4)) == NULL)
		return -1;
	n = EVP_DecodeBlock(*blob, (unsigned char *)b64, (int)(end - b64));
	for (const char *p = end; p > b64 && p[-1] == '='; p--)
		pad++;
	if (n < 0 || n < pad) {
		duet_free(*blob);
		*blob = NULL;
		return -1;
	}
	*len = (size_t)(n - pad);
	return 0;
}

/* Login through ssh-agent; with key_file (or pubkey_file) only that key. */
static int
sftp_auth_agent(struct sftp_conn *c, char *why, size_t wl)
{
	const struct sftp_opts *o = &c->fs->o;
	struct libssh2_agent_publickey *id = NULL, *prev = NULL;
	unsigned char *want = NULL;
	size_t wantlen = 0;
	char pub[4096];
	LIBSSH2_AGENT *ag = libssh2_agent_init(c->ses);
	int ok = 0;

	if (o->pubkey_file != NULL || o->key_file != NULL) {
		snprintf(pub, sizeof(pub), "%s%s", o->pubkey_file ? o->pubkey_file : o->key_file,
		    o->pubkey_file ? "" : ".pub");
		if (sftp_pub_blob(pub, &want, &wantlen) != 0)
			snprintf(why, wl, "cannot read the public key %.400s for the agent", pub);
	}
	if (ag == NULL || (want == NULL && (o->pubkey_file || o->key_file)))
		goto out;
	if (libssh2_agent_connect(ag) != 0 || libssh2_agent_list_identities(ag) != 0) {
		snprintf(why, wl, "no ssh-agent answers (SSH_AUTH_SOCK)");
		goto out;
	}
	snprintf(why, wl, "the agent has no key the server accepts");
	while (!ok && libssh2_agent_get_identity(ag, &id, prev) == 0) {
		prev = id;
		if (want != NULL && (id->blob_len != wantlen || memcmp(id->blob, want, wantlen) != 0))
			continue;
		ok = libssh2_agent_userauth(ag, o->user, id) == 0;
	}
	libssh2_agent_disconnect(ag);
out:
	if (ag != NULL)
		libssh2_agent_free(ag);
	duet_free(want);
	return ok;
}

/* libssh2's last message, for a reason that names no secret. */
static const char *
sftp_lastmsg(LIBSSH2_SESSION *s)
{
	char *m = NULL;
	libssh2_session_last_error(s, &m, NULL, 0);
	return m != NULL ? m : "unknown error";
}

static int
sftp_auth_key(struct sftp_conn *c, char *why, size_t wl)
{
	const struct sftp_opts *o = &c->fs->o;
	unsigned ul = (unsigned)strlen(o->user);
	int rc;

	if (o->key_pem != NULL)
		rc = libssh2_userauth_publickey_frommemory(c->ses, o->user, ul, NULL, 0, o->key_pem,
		    strlen(o->key_pem), o->key_pass);
	else
		rc = libssh2_userauth_publickey_fromfile_ex(c->ses, o->user, ul, o->pubkey_file,
		    o->key_file, o->key_pass);
	if (rc != 0)
		snprintf(why, wl, "%s %s: %s", o->key_pem ? "key_pem" : "key_file",
		    o->key_pem ? "(inline)" : o->key_file,
		    rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED || rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED
		        ? "the server refused the key" : sftp_lastmsg(c->ses));
	return rc == 0;
}

static int
sftp_auth_pass(struct sftp_conn *c, const char *methods, char *why, size_t wl)
{
	const struct sftp_opts *o = &c->fs->o;
	unsigned ul = (unsigned)strlen(o->user);
	int rc = LIBSSH2_ERROR_METHOD_NONE;

	if (strstr(methods, "password") != NULL)
		rc = libssh2_userauth_password_ex(c->ses, o->user, ul, o->pass,
		    (unsigned)strlen(o->pass), NULL);
	else if (strstr(methods, "keyboard-interactive") != NULL)
		rc = libssh2_userauth_keyboard_interactive_ex(c->ses, o->user, ul, sftp_kbdint);
	if (rc == LIBSSH2_ERROR_METHOD_NONE)
		snprintf(why, wl, "the server takes no password (it offers: %s)", methods);
	else if (rc == LIBSSH2_ERROR_PASSWORD_EXPIRED)
		snprintf(why, wl, "the password has expired");
	else if (rc != 0)
		snprintf(why, wl, "wrong password or user (%s)",
		    rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED ? "permission denied"
		                                              : sftp_lastmsg(c->ses));
	return rc == 0;
}

int
sftp_login(struct sftp_conn *c)
{
	const struct sftp_opts *o = &c->fs->o;
	const char *methods;
	char why[3][512] = {"", "", ""};
	int ok = 0, haskey = o->key_pem != NULL || o->key_file != NULL;

	methods = libssh2_userauth_list(c->ses, o->user, (unsigned)strlen(o->user));
	if (methods == NULL) {
		if (libssh2_userauth_authenticated(c->ses))
			return 0; /* "none" was enough */
		return duet_err_set(DUET_E_NET, "sftp: login to %s:%d: %s", o->host, o->port,
		    sftp_lastmsg(c->ses));
	}
	if (haskey && !o->use_agent && strstr(methods, "publickey") != NULL)
		ok = sftp_auth_key(c, why[0], sizeof(why[0]));
	if (!ok && (o->use_agent || (!haskey && o->pass == NULL)) &&
	    strstr(methods, "publickey") != NULL)
		ok = sftp_auth_agent(c, why[1], sizeof(why[1]));
	if (!ok && o->pass != NULL)
		ok = sftp_auth_pass(c, methods, why[2], sizeof(why[2]));
	if (ok)
		return 0;
	if (why[0][0] == '\0' && why[1][0] == '\0' && why[2][0] == '\0')
		snprintf(why[0], sizeof(why[0]), "no usable credentials (the server offers: %s; "
		    "set pass, key_file, key_pem or key_use_agent)", methods);
	return duet_err_set(DUET_E_AUTH, "sftp: login to %s:%d as %s failed: %s%s%s%s%s",
	    o->host, o->port, o->user, why[0], why[0][0] && (why[1][0] || why[2][0]) ? "; " : "",
	    why[1], why[1][0] && why[2][0] ? "; " : "", why[2]);
}
