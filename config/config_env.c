/*
 * config_env.c: where the config file lives, and the environment
 * variables DUET_CONFIG_<NAME>_<KEY> that override or supply a remote's
 * keys, merged with the file when a `name:path` spec is looked up (as
 * rclone does with RCLONE_CONFIG_<NAME>_<KEY>). Part of config.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

extern char **environ;

#define CFG_ENV_PREFIX "DUET_CONFIG_"
#define ENV_NAME_MAX 1024 /* longest variable name looked for */

static int
env_nomem(void)
{
	return duet_err_set(DUET_E_NOMEM, "out of memory reading the config");
}

/* ---- location ---- */

int
duet_config_path(const char *flag, char **out)
{
	struct duet_buf b = DUET_BUF_INIT;
	const char *env = getenv("DUET_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int rc;

	*out = NULL;
	if (flag != NULL && flag[0] == '\0')
		return duet_err_set(DUET_E_USAGE, "--config needs a file name");
	if (flag != NULL)
		rc = duet_buf_puts(&b, flag);
	else if (env != NULL && env[0] != '\0')
		rc = duet_buf_puts(&b, env);
	else if (xdg != NULL && xdg[0] == '/')
		rc = duet_buf_printf(&b, "%s/duet/duet.conf", xdg);
	else if (home != NULL && home[0] != '\0')
		rc = duet_buf_printf(&b, "%s/.config/duet/duet.conf", home);
	else
		return duet_err_set(DUET_E_NOTFOUND, "can't place the config file: $HOME is not "
		                                     "set; use --config FILE or set $DUET_CONFIG");
	if (rc != 0) {
		duet_buf_dispose(&b);
		return env_nomem();
	}
	*out = duet_buf_detach(&b);
	return 0;
}

/* ---- environment ---- */

/*
 * Writes "DUET_CONFIG_<NAME>_" (+ "<KEY>" when key is not NULL) into out,
 * upper-cased with '-' as '_'. Returns the length, or 0 when it does not
 * fit (no such variable is worth looking for). No allocation, so a lookup
 * can't silently skip a variable when memory is short.
 */
static size_t
env_name(char *out, size_t cap, const char *name, const char *key)
{
	const char *parts[4] = {CFG_ENV_PREFIX, name, "_", key};
	size_t n = 0;
	for (int i = 0; i < 4 && parts[i] != NULL; i++)
		for (const char *p = parts[i]; *p != '\0'; p++) {
			char ch = *p == '-' ? '_' : *p;
			if (n + 1 >= cap)
				return 0;
			out[n++] = ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
		}
	out[n] = '\0';
	return n;
}

const char *
duet_config_getenv(const char *name, const char *key)
{
	char buf[ENV_NAME_MAX];
	return env_name(buf, sizeof(buf), name, key) ? getenv(buf) : NULL;
}

/*
 * 1 when the variable's rest (after DUET_CONFIG_<NAME>_) belongs to a
 * longer remote name: DUET_CONFIG_A_B_HOST is B_HOST of remote "a" unless
 * a remote "a_b" (or "a-b") exists in the file or as DUET_CONFIG_A_B_TYPE.
 */
static int
env_longer(const struct duet_config *c, const char *pre, size_t pren, const char *rest,
           size_t restn)
{
	char b[ENV_NAME_MAX], s[ENV_NAME_MAX];
	int hit = 0;

	for (size_t i = 1; !hit && i < restn; i++) {
		if (rest[i] != '_' || pren + i + 6 > sizeof(b))
			continue;
		memcpy(b, pre, pren);
		memcpy(b + pren, rest, i);
		memcpy(b + pren + i, "_TYPE", 6);
		hit = getenv(b) != NULL;
		/* A section whose spelling "..._<SECTION>_" is "..._<NAME>_<REST[:i]>_". */
		for (size_t j = 0; c != NULL && !hit && j < c->nsec; j++)
			hit = env_name(s, sizeof(s), c->sec[j].name, NULL) == pren + i + 1 &&
			      memcmp(s, b, pren + i + 1) == 0;
	}
	return hit;
}

struct env_kv {
	char *key;         /* lower-cased; owned */
	const char *value; /* borrowed from the environment */
};

static int
env_kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct env_kv *)a)->key, ((const struct env_kv *)b)->key);
}

/* 1 when section s has a key whose environment spelling is k[0:n]. */
static int
env_has_key(const struct duet_config_section *s, const char *k, size_t n)
{
	char b[ENV_NAME_MAX];
	size_t pre = strlen(CFG_ENV_PREFIX) + 1; /* "DUET_CONFIG_" + "_" with an empty name */
	for (size_t i = 0; s != NULL && i < s->nkv; i++)
		if (env_name(b, sizeof(b), "", s->kv[i].key) == pre + n &&
		    memcmp(b + pre, k, n) == 0)
			return 1;
	return 0;
}

/* Collects DUET_CONFIG_<NAME>_<KEY> variables the file section lacks. */
static int
env_collect(const struct duet_config *c, const struct duet_config_section *s, const char *name,
            struct env_kv **out, size_t *nout)
{
	char pre[ENV_NAME_MAX];
	struct env_kv *v = NULL, *nv;
	size_t n = 0, pren = env_name(pre, sizeof(pre), name, NULL);
	int rc = 0;

	for (char **e = environ; pren > 0 && e != NULL && *e != NULL; e++) {
		const char *rest = *e + pren, *eq;
		size_t kn;
		if (strncmp(*e, pre, pren) != 0 || (eq = strchr(rest, '=')) == NULL)
			continue;
		kn = (size_t)(eq - rest);
		if (kn == 0 || (kn == 4 && memcmp(rest, "TYPE", 4) == 0) ||
		    env_has_key(s, rest, kn) || env_longer(c, pre, pren, rest, kn))
			continue;
		if ((nv = duet_reallocarray(v, n + 1, sizeof(*v))) == NULL ||
		    (nv[n].key = duet_strndup(rest, kn)) == NULL) {
			v = nv ? nv : v;
			rc = env_nomem();
			break;
		}
		v = nv;
		for (char *p = v[n].key; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		v[n++].value = eq + 1;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), env_kv_cmp);
	*out = v;
	*nout = n;
	return rc;
}

/* Adds the file's keys (environment overrides applied), then env-only ones. */
static int
env_lookup_keys(const struct duet_config *c, const struct duet_config_section *s, const char *name,
                struct duet_remote *r)
{
	struct env_kv *ev = NULL;
	size_t nev = 0;
	int rc = 0;

	for (size_t i = 0; s != NULL && rc == 0 && i < s->nkv; i++) {
		const char *v = duet_config_getenv(name, s->kv[i].key);
		if (strcmp(s->kv[i].key, "type") != 0)
			rc = duet_remote_add(r, s->kv[i].key, v ? v : s->kv[i].value);
	}
	if (rc == 0)
		rc = env_collect(c, s, name, &ev, &nev);
	for (size_t i = 0; rc == 0 && i < nev; i++)
		rc = duet_remote_add(r, ev[i].key, ev[i].value);
	for (size_t i = 0; i < nev; i++)
		duet_free(ev[i].key);
	duet_free(ev);
	return rc;
}

int
duet_config_lookup(void *ctx, const char *name, struct duet_remote *r)
{
	const struct duet_config *c = ctx;
	const struct duet_config_section *s = c ? duet_config_find(c, name) : NULL;
	const char *type = duet_config_getenv(name, "type");

	if (type != NULL && type[0] == '\0')
		type = NULL; /* an empty variable defines nothing */
	if (s == NULL && type == NULL)
		return DUET_E_NOTFOUND;
	if (type == NULL)
		type = duet_config_get(c, name, "type");
	if (type == NULL || type[0] == '\0')
		return duet_err_set(
		    DUET_E_INVAL,
		    "%s:%u: remote [%s] has no \"type\" key; add one, e.g. with 'duet config "
		    "update %s type local'",
		    c->path, s->line, name, name);
	duet_free(r->type);
	if ((r->type = duet_strdup(type)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory looking up remote %s", name);
	return env_lookup_keys(c, s, name, r);
}
