/*
 * remote.h: parsing a remote spec into backend type, options and path.
 *
 *   /abs/path, rel/path, ./a:b      local paths
 *   :local:path                      local, explicit
 *   :TYPE,key=value,...:path         a backend with inline options
 *   name:path                        a section of the config file
 *
 * Named remotes need the config file (a later issue adds it); until then
 * duet_remote_parse resolves them through a lookup callback, and an unknown
 * name is a clear error.
 */
#ifndef DUET_CORE_REMOTE_H
#define DUET_CORE_REMOTE_H

#include <stddef.h>
#include <stdint.h>

struct duet_remote_kv {
	char *key;   /* owned */
	char *value; /* owned */
};

struct duet_remote {
	char *spec;   /* the text as given; owned */
	char *name;   /* config section name, or NULL for inline/local; owned */
	char *type;   /* backend type ("local", "sftp", ...); owned */
	char *path;   /* path within the remote ("" allowed); owned */
	struct duet_remote_kv *kv; /* options; owned */
	size_t nkv;
};

/* Returns the option's value or NULL. */
const char *duet_remote_get(const struct duet_remote *r, const char *key);
/* A boolean option: true/yes/1 (any case) or false/no/0; def when unset
 * or empty. */
int duet_remote_get_bool(const struct duet_remote *r, const char *key, int def);
/* A size option in rclone's SizeSuffix (see duet_parse_size); def when
 * unset or empty, -1 when malformed. */
int64_t duet_remote_get_size(const struct duet_remote *r, const char *key, int64_t def);

/* rclone's SizeSuffix: a number (fractions allowed) with an optional
 * B, K, M, G, T or P, then an optional "i" and "B"; a bare number is
 * KiB. 0 and *out in bytes, or -1 when malformed or too large. */
int duet_parse_size(const char *s, int64_t *out);

/*
 * Parses spec into *r. Named remotes are looked up with `lookup` (may be
 * NULL: then every name is unknown). lookup returns 0 and fills r->type and
 * r->kv, or DUET_E_NOTFOUND. Errors: DUET_E_USAGE with a one-line message
 * naming the spec ("didn't find section in config file: NAME").
 */
typedef int (*duet_remote_lookup)(void *ctx, const char *name, struct duet_remote *r);
int duet_remote_parse(const char *spec, duet_remote_lookup lookup, void *ctx,
    struct duet_remote *r);
void duet_remote_dispose(struct duet_remote *r);
/* Appends an option (copies both strings). */
int duet_remote_add(struct duet_remote *r, const char *key, const char *value);

#endif
