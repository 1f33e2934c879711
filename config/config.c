/*
 * config.c: the config file of named remotes (rclone.conf's INI format).
 *
 * Parsing works on the whole file in memory, one line at a time; every
 * error names PATH:LINE and says how to fix it. Comment lines are kept,
 * attached to the section or key that follows them, so that saving does
 * not lose a user's notes. Saving is atomic (temp file, fsync, rename,
 * fsync of the directory). The file's location and the environment
 * overrides live in config_env.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"

#define CFG_MAX_FILE (16u << 20) /* a config file larger than this is a mistake */

/* ---- small helpers ---- */

static int
cfg_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Trims [*s, *s + *n) in place. */
static void
cfg_trim(const char **s, size_t *n)
{
	while (*n > 0 && cfg_space(**s))
		(*s)++, (*n)--;
	while (*n > 0 && cfg_space((*s)[*n - 1]))
		(*n)--;
}

static int
cfg_nomem(void)
{
	return duet_err_set(DUET_E_NOMEM, "out of memory reading the config file");
}

/* Appends n bytes of a comment line and '\n' to *dst (NULL: a new string). */
static int
cfg_comment_add(char **dst, const char *s, size_t n)
{
	size_t old = *dst ? strlen(*dst) : 0;
	char *p = duet_realloc(*dst, old + n + 2);
	if (p == NULL)
		return cfg_nomem();
	memcpy(p + old, s, n);
	p[old + n] = '\n';
	p[old + n + 1] = '\0';
	*dst = p;
	return 0;
}

static void
cfg_kv_dispose(struct duet_config_kv *kv)
{
	duet_free(kv->key);
	duet_free(kv->value);
	duet_free(kv->comment);
}

static void
cfg_section_dispose(struct duet_config_section *s)
{
	for (size_t i = 0; i < s->nkv; i++)
		cfg_kv_dispose(&s->kv[i]);
	duet_free(s->kv);
	duet_free(s->name);
	duet_free(s->comment);
}

void
duet_config_free(struct duet_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nsec; i++)
		cfg_section_dispose(&c->sec[i]);
	duet_free(c->sec);
	duet_free(c->path);
	duet_free(c->tail);
	duet_free(c);
}

/* Creates an empty config for path. */
static struct duet_config *
cfg_new(const char *path)
{
	struct duet_config *c = duet_calloc(1, sizeof(*c));
	if (c == NULL || (c->path = duet_strdup(path)) == NULL) {
		duet_free(c);
		return NULL;
	}
	return c;
}

/* ---- lookups and edits ---- */

struct duet_config_section *
duet_config_find(const struct duet_config *c, const char *name)
{
	for (size_t i = 0; i < c->nsec; i++)
		if (strcmp(c->sec[i].name, name) == 0)
			return &c->sec[i];
	return NULL;
}

static struct duet_config_kv *
cfg_kv_find(const struct duet_config_section *s, const char *key)
{
	for (size_t i = 0; i < s->nkv; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			return &s->kv[i];
	return NULL;
}

const char *
duet_config_get(const struct duet_config *c, const char *section, const char *key)
{
	struct duet_config_section *s = duet_config_find(c, section);
	struct duet_config_kv *kv = s ? cfg_kv_find(s, key) : NULL;
	return kv ? kv->value : NULL;
}

int
duet_config_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || name[0] == '-' || name[0] == ' ' || name[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("_-.+@ ", ch) != NULL))
			return 0;
	}
	return 1;
}

/* Appends a section; name and comment are taken over (freed on error). */
static int
cfg_section_push(struct duet_config *c, char *name, char *comment, unsigned line)
{
	struct duet_config_section *v;
	v = duet_reallocarray(c->sec, c->nsec + 1, sizeof(*v));
	if (v == NULL) {
		duet_free(name);
		duet_free(comment);
		return cfg_nomem();
	}
	c->sec = v;
	memset(&v[c->nsec], 0, sizeof(*v));
	v[c->nsec].name = name;
	v[c->nsec].comment = comment;
	v[c->nsec].line = line;
	c->nsec++;
	return 0;
}

/* Appends a key; key, value and comment are taken over (freed on error). */
static int
cfg_kv_push(struct duet_config_section *s, char *key, char *value, char *comment, unsigned line)
{
	struct duet_config_kv *v;
	v = duet_reallocarray(s->kv, s->nkv + 1, sizeof(*v));
	if (v == NULL) {
		duet_free(key);
		duet_free(value);
		duet_free(comment);
		return cfg_nomem();
	}
	s->kv = v;
	v[s->nkv].key = key;
	v[s->nkv].value = value;
	v[s->nkv].comment = comment;
	v[s->nkv].line = line;
	s->nkv++;
	return 0;
}

int
duet_config_add(struct duet_config *c, const char *name)
{
	char *copy;
	if (!duet_config_name_ok(name))
		return duet_err_set(
		    DUET_E_BADNAME,
		    "invalid remote name \"%s\": use letters, digits, '_', '-', '.', '+', '@' "
		    "and spaces, not starting with '-' or a space, not ending with a space",
		    name);
	if (duet_config_find(c, name) != NULL)
		return duet_err_set(DUET_E_EXIST, "remote \"%s\" already exists in %s", name,
		                    c->path);
	if ((copy = duet_strdup(name)) == NULL)
		return cfg_nomem();
	return cfg_section_push(c, copy, NULL, 0);
}

int
duet_config_delete(struct duet_config *c, const char *name)
{
	struct duet_config_section *s = duet_config_find(c, name);
	size_t i;
	if (s == NULL)
		return duet_err_set(DUET_E_NOTFOUND, "no remote \"%s\" in %s", name, c->path);
	i = (size_t)(s - c->sec);
	cfg_section_dispose(s);
	memmove(&c->sec[i], &c->sec[i + 1], (c->nsec - i - 1) * sizeof(*s));
	c->nsec--;
	return 0;
}

/* Why key or value can't be written to the file so it reads back, or NULL. */
static const char *
cfg_kv_bad(const char *key, const char *value)
{
	size_t kn = strlen(key), vn = strlen(value);
	if (kn == 0)
		return "the key is empty";
	if (strpbrk(key, "=:\r\n") != NULL)
		return "the key holds '=', ':' or a line break";
	if (strchr("#;[", key[0]) != NULL)
		return "the key begins with '#', ';' or '['";
	if (cfg_space(key[0]) || cfg_space(key[kn - 1]))
		return "the key begins or ends with a space";
	if (strpbrk(value, "\r\n") != NULL)
		return "the value holds a line break";
	if (vn > 0 && (cfg_space(value[0]) || cfg_space(value[vn - 1])))
		return "the value begins or ends with a space, which the file can't keep";
	return NULL;
}

int
duet_config_set(struct duet_config *c, const char *section, const char *key, const char *value)
{
	struct duet_config_section *s = duet_config_find(c, section);
	struct duet_config_kv *kv;
	const char *why = cfg_kv_bad(key, value);
	char *k, *v;

	if (s == NULL)
		return duet_err_set(DUET_E_NOTFOUND, "no remote \"%s\" in %s", section, c->path);
	if (why != NULL)
		return duet_err_set(DUET_E_INVAL, "can't set \"%s\" of remote \"%s\": %s", key,
		                    section, why);
	if ((v = duet_strdup(value)) == NULL)
		return cfg_nomem();
	if ((kv = cfg_kv_find(s, key)) != NULL) {
		duet_free(kv->value);
		kv->value = v;
		return 0;
	}
	if ((k = duet_strdup(key)) == NULL) {
		duet_free(v);
		return cfg_nomem();
	}
	return cfg_kv_push(s, k, v, NULL, 0);
}

int
duet_config_unset(struct duet_config *c, const char *section, const char *key)
{
	struct duet_config_section *s = duet_config_find(c, section);
	struct duet_config_kv *kv = s ? cfg_kv_find(s, key) : NULL;
	size_t i;
	if (kv == NULL)
		return duet_err_set(DUET_E_NOTFOUND, "remote \"%s\" in %s has no key \"%s\"",
		                    section, c->path, key);
	i = (size_t)(kv - s->kv);
	cfg_kv_dispose(kv);
	memmove(&s->kv[i], &s->kv[i + 1], (s->nkv - i - 1) * sizeof(*kv));
	s->nkv--;
	return 0;
}

/* ---- parsing ---- */

struct cfg_parser {
	struct duet_config *c;
	char *pending; /* comment lines waiting for their item; owned */
	unsigned line; /* current line number, from 1 */
};

static int
cfg_parse_section(struct cfg_parser *p, const char *s, size_t n)
{
	struct duet_config_section *dup;
	char *name;

	if (n < 2 || s[n - 1] != ']')
		return duet_err_set(
		    DUET_E_INVAL,
		    "%s:%u: section header \"%.*s\" lacks its closing ']'; write it as [name]",
		    p->c->path, p->line, (int)(n > 60 ? 60 : n), s);
	s++;
	n -= 2;
	cfg_trim(&s, &n);
	if (n == 0)
		return duet_err_set(
		    DUET_E_INVAL,
		    "%s:%u: empty section name []; put the remote's name between the brackets "
		    "or delete the line",
		    p->c->path, p->line);
	if ((name = duet_strndup(s, n)) == NULL)
		return cfg_nomem();
	if ((dup = duet_config_find(p->c, name)) != NULL) {
		duet_err_set(DUET_E_INVAL,
		             "%s:%u: section [%s] is already defined at line %u; merge the two or "
		             "rename one",
		             p->c->path, p->line, name, dup->line);
		duet_free(name);
		return DUET_E_INVAL;
	}
	if (cfg_section_push(p->c, name, p->pending, p->line) != 0) {
		p->pending = NULL;
		return DUET_E_NOMEM;
	}
	p->pending = NULL;
	return 0;
}

/* A repeated key: the last value wins (as in rclone), comments add up. */
static int
cfg_parse_repeat(struct cfg_parser *p, struct duet_config_kv *kv, char *value)
{
	duet_log(DUET_LOG_NOTICE, "%s:%u: key \"%s\" repeats line %u; the last value is used",
	         p->c->path, p->line, kv->key, kv->line);
	duet_free(kv->value);
	kv->value = value;
	kv->line = p->line;
	if (p->pending != NULL) {
		int rc = cfg_comment_add(&kv->comment, p->pending, strlen(p->pending) - 1);
		duet_free(p->pending);
		p->pending = NULL;
		return rc;
	}
	return 0;
}

static int
cfg_parse_kv(struct cfg_parser *p, const char *s, size_t n)
{
	struct duet_config_section *sec;
	struct duet_config_kv *kv;
	const char *sep = s, *k = s, *v;
	size_t kn, vn;
	char *key, *value;

	while (sep < s + n && *sep != '=' && *sep != ':')
		sep++;
	kn = (size_t)(sep - s);
	cfg_trim(&k, &kn);
	if (sep == s + n || kn == 0)
		return duet_err_set(
		    DUET_E_INVAL,
		    "%s:%u: can't parse \"%.*s\": expected [name], key = value or a # comment; "
		    "fix or delete the line",
		    p->c->path, p->line, (int)(n > 60 ? 60 : n), s);
	if (p->c->nsec == 0)
		return duet_err_set(
		    DUET_E_INVAL,
		    "%s:%u: key \"%.*s\" comes before any [section]; put a [name] line above "
		    "it or delete it",
		    p->c->path, p->line, (int)(kn > 60 ? 60 : kn), k);
	v = sep + 1;
	vn = (size_t)(s + n - v);
	cfg_trim(&v, &vn);
	sec = &p->c->sec[p->c->nsec - 1];
	key = duet_strndup(k, kn);
	value = duet_strndup(v, vn);
	if (key == NULL || value == NULL) {
		duet_free(key);
		duet_free(value);
		return cfg_nomem();
	}
	if ((kv = cfg_kv_find(sec, key)) != NULL) {
		duet_free(key);
		return cfg_parse_repeat(p, kv, value);
	}
	if (cfg_kv_push(sec, key, value, p->pending, p->line) != 0) {
		p->pending = NULL;
		return DUET_E_NOMEM;
	}
	p->pending = NULL;
	return 0;
}

static int
cfg_parse_line(struct cfg_parser *p, const char *s, size_t n)
{
	if (memchr(s, '\0', n) != NULL)
		return duet_err_set(
		    DUET_E_INVAL,
		    "%s:%u: NUL byte in the line; this is not a text config file, give the "
		    "right one with --config",
		    p->c->path, p->line);
	cfg_trim(&s, &n);
	if (n == 0)
		return 0;
	if (s[0] == '#' || s[0] == ';')
		return cfg_comment_add(&p->pending, s, n);
	if (s[0] == '[')
		return cfg_parse_section(p, s, n);
	return cfg_parse_kv(p, s, n);
}

int
duet_config_parse(const char *path, const char *text, size_t len, struct duet_config **out)
{
	struct cfg_parser p = {NULL, NULL, 0};
	const char *s = text, *end = text + len, *nl;
	int rc = 0;

	*out = NULL;
	if ((p.c = cfg_new(path)) == NULL)
		return cfg_nomem();
	if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3; /* a UTF-8 byte order mark, as some editors write */
	while (rc == 0 && s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		p.line++;
		rc = cfg_parse_line(&p, s, (size_t)(nl - s));
		s = nl + 1;
	}
	if (rc == 0) {
		p.c->tail = p.pending;
		p.pending = NULL;
		*out = p.c;
	} else {
		duet_config_free(p.c);
	}
	duet_free(p.pending);
	return rc;
}

/* Reads the whole file at path into b; DUET_E_NOTFOUND when missing. */
static int
cfg_read_file(const char *path, struct duet_buf *b)
{
	struct stat st;
	char chunk[8192];
	ssize_t n;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? DUET_E_NOTFOUND
		                       : duet_err_errno(errno, "can't open config file %s", path);
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = duet_err_set(DUET_E_ISDIR,
		                  "config file %s is a directory; give a file "
		                  "with --config",
		                  path);
		goto out;
	}
	b->max = CFG_MAX_FILE;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = duet_err_errno(errno, "can't read config file %s", path);
			goto out;
		}
		if (duet_buf_append(b, chunk, (size_t)n) != 0) {
			rc = duet_err_code() == DUET_E_NOMEM
			         ? cfg_nomem()
			         : duet_err_set(DUET_E_INVAL,
			                        "config file %s is larger than %u "
			                        "bytes; is it the right file?",
			                        path, CFG_MAX_FILE);
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}

int
duet_config_load(const char *path, struct duet_config **out)
{
	struct duet_buf b = DUET_BUF_INIT;
	int rc;

	*out = NULL;
	rc = cfg_read_file(path, &b);
	if (rc == DUET_E_NOTFOUND) {
		*out = cfg_new(path);
		rc = *out ? 0 : cfg_nomem();
	} else if (rc == 0) {
		rc = duet_config_parse(path, b.p ? b.p : "", b.len, out);
	}
	duet_buf_dispose(&b);
	return rc;
}

/* ---- formatting ---- */

static int
cfg_format_section(const struct duet_config_section *s, int comments, struct duet_buf *out)
{
	int rc = 0;
	if (comments && s->comment != NULL)
		rc = duet_buf_puts(out, s->comment);
	if (rc == 0)
		rc = duet_buf_printf(out, "[%s]\n", s->name);
	for (size_t i = 0; rc == 0 && i < s->nkv; i++) {
		if (comments && s->kv[i].comment != NULL)
			rc = duet_buf_puts(out, s->kv[i].comment);
		if (rc == 0)
			rc = duet_buf_printf(out, "%s = %s\n", s->kv[i].key, s->kv[i].value);
	}
	return rc;
}

int
duet_config_format(const struct duet_config *c, const char *section, struct duet_buf *out)
{
	const struct duet_config_section *s;
	int rc = 0;

	if (section != NULL) {
		if ((s = duet_config_find(c, section)) == NULL)
			return duet_err_set(DUET_E_NOTFOUND, "no remote \"%s\" in %s", section,
			                    c->path);
		return cfg_format_section(s, 0, out);
	}
	for (size_t i = 0; rc == 0 && i < c->nsec; i++) {
		rc = cfg_format_section(&c->sec[i], 1, out);
		if (rc == 0)
			rc = duet_buf_putc(out, '\n');
	}
	if (rc == 0 && c->tail != NULL)
		rc = duet_buf_puts(out, c->tail);
	if (rc == 0 && out->p == NULL)
		rc = duet_buf_append(out, "", 0); /* an empty config is "", not NULL */
	return rc;
}

/* ---- saving ---- */

/* The directory part of path ("." or "/" when it has none). Caller frees. */
static char *
cfg_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return duet_strdup(".");
	if (slash == path)
		return duet_strdup("/");
	return duet_strndup(path, (size_t)(slash - path));
}

/* Creates dir and its missing parents with mode 0700. */
static int
cfg_mkdirs(const char *dir)
{
	char *p = duet_strdup(dir);
	struct stat st;
	int rc = 0;

	if (p == NULL)
		return cfg_nomem();
	for (char *s = p + 1; rc == 0; s++) {
		char save = *s;
		if (save != '/' && save != '\0')
			continue;
		*s = '\0';
		/* An existing directory may refuse mkdir with EACCES or EROFS. */
		if (mkdir(p, 0700) != 0 && errno != EEXIST &&
		    !(stat(p, &st) == 0 && S_ISDIR(st.st_mode)))
			rc = duet_err_errno(errno, "can't create config directory %s", p);
		*s = save;
		if (save == '\0')
			break;
	}
	duet_free(p);
	return rc;
}

/* The target of the symlink at link (whose lstat size is size), joined to
 * the link's directory when relative. Caller frees *out. */
static int
cfg_readlink(const char *link, size_t size, char **out)
{
	struct duet_buf b = DUET_BUF_INIT;
	char *t = duet_malloc(size + 2), *dir = NULL;
	ssize_t n;
	int rc = 0;

	if (t == NULL)
		return cfg_nomem();
	n = readlink(link, t, size + 1);
	if (n < 0 || (size_t)n > size) {
		rc = duet_err_errno(n < 0 ? errno : EAGAIN, "can't read symlink %s", link);
		goto out;
	}
	t[n] = '\0';
	if (t[0] == '/') {
		*out = t;
		t = NULL;
		goto out;
	}
	if ((dir = cfg_dirname(link)) == NULL || duet_buf_printf(&b, "%s/%s", dir, t) != 0) {
		rc = cfg_nomem();
		goto out;
	}
	*out = duet_buf_detach(&b);
out:
	duet_buf_dispose(&b);
	duet_free(dir);
	duet_free(t);
	return rc;
}

/* Follows symlinks at path (at most 16) to the file to replace. */
static int
cfg_resolve(const char *path, char **out)
{
	char *cur = duet_strdup(path), *next = NULL;
	struct stat st;
	int hops = 0, rc = 0;

	while (rc == 0 && cur != NULL && lstat(cur, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (++hops > 16)
			rc = duet_err_set(DUET_E_LOOP, "config file %s: too many symlinks", path);
		else if ((rc = cfg_readlink(cur, (size_t)st.st_size, &next)) == 0) {
			duet_free(cur);
			cur = next;
		}
	}
	if (rc == 0 && cur == NULL)
		rc = cfg_nomem();
	if (rc != 0) {
		duet_free(cur);
		return rc;
	}
	*out = cur;
	return 0;
}

/* Writes all of b to fd, then fsyncs it. */
static int
cfg_write_all(int fd, const struct duet_buf *b, const char *tmp)
{
	size_t off = 0;
	while (off < b->len) {
		ssize_t n = write(fd, b->p + off, b->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return duet_err_errno(errno, "can't write config file %s", tmp);
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		return duet_err_errno(errno, "can't sync config file %s", tmp);
	return 0;
}

static int
cfg_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
	if (fd < 0)
		return duet_err_errno(errno, "can't open config directory %s", dir);
	if (fsync(fd) != 0)
		rc = duet_err_errno(errno, "can't sync config directory %s", dir);
	close(fd);
	return rc;
}

int
duet_config_save(const struct duet_config *c)
{
	struct duet_buf text = DUET_BUF_INIT, tmp = DUET_BUF_INIT;
	char *target = NULL, *dir = NULL;
	int fd = -1, rc;

	if ((rc = duet_config_format(c, NULL, &text)) != 0 ||
	    (rc = cfg_resolve(c->path, &target)) != 0)
		goto out;
	if ((dir = cfg_dirname(target)) == NULL) {
		rc = cfg_nomem();
		goto out;
	}
	if ((rc = cfg_mkdirs(dir)) != 0 ||
	    (rc = duet_buf_printf(&tmp, "%s.tmp-XXXXXX", target)) != 0)
		goto out;
	if ((fd = mkstemp(tmp.p)) < 0) {
		rc = duet_err_errno(errno, "can't create a temp file next to %s", target);
		goto out;
	}
	if (fchmod(fd, 0600) != 0)
		rc = duet_err_errno(errno, "can't chmod config file %s", tmp.p);
	if (rc == 0)
		rc = cfg_write_all(fd, &text, tmp.p);
	if (close(fd) != 0 && rc == 0)
		rc = duet_err_errno(errno, "can't close config file %s", tmp.p);
	if (rc == 0 && rename(tmp.p, target) != 0)
		rc = duet_err_errno(errno, "can't rename %s to %s", tmp.p, target);
	if (rc != 0)
		unlink(tmp.p);
	else
		rc = cfg_sync_dir(dir);
out:
	duet_buf_dispose(&text);
	duet_buf_dispose(&tmp);
	duet_free(target);
	duet_free(dir);
	return rc;
}
