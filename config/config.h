/*
 * config.h: duet's config file of named remotes, in rclone.conf's INI
 * format: `[name]` sections of `key = value` lines, `#` and `;` comment
 * lines. A loaded config keeps the order of sections and keys and the
 * comment lines (attached to the item that follows them), so a save
 * rewrites the file in the same order; only blank lines and spacing are
 * normalised. Environment variables DUET_CONFIG_<NAME>_<KEY> override or
 * supply keys when a remote is looked up. Not thread-safe: one owner.
 * Implemented in config.c (model, parsing, saving) and config_env.c
 * (location, environment, lookup).
 */
#ifndef DUET_CONFIG_CONFIG_H
#define DUET_CONFIG_CONFIG_H

#include <stddef.h>

#include "core/buf.h"
#include "core/remote.h"

struct duet_config_kv {
	char *key;     /* owned; never empty, no '=' ':' or line breaks */
	char *value;   /* owned; may be empty, no line breaks */
	char *comment; /* comment lines before this key ("# a\n; b\n"); owned, or NULL */
	unsigned line; /* line number in the file, 0 when added in memory */
};

struct duet_config_section {
	char *name;                /* owned; the text between the brackets, trimmed */
	struct duet_config_kv *kv; /* owned array, in file order */
	size_t nkv;
	char *comment; /* comment lines before the [name] line; owned, or NULL */
	unsigned line; /* line number of the [name] line, 0 when added */
};

struct duet_config {
	char *path;                      /* where it was loaded from and is saved to; owned */
	struct duet_config_section *sec; /* owned array, in file order */
	size_t nsec;
	char *tail; /* comment lines after the last key; owned, or NULL */
};

/*
 * Resolves the config file's path: `flag` (the --config value) when not
 * NULL, else $DUET_CONFIG when set and not empty, else
 * ${XDG_CONFIG_HOME:-$HOME/.config}/duet/duet.conf (a relative
 * XDG_CONFIG_HOME is ignored, as the XDG spec says). *out is owned by the
 * caller (duet_free). Errors: DUET_E_NOTFOUND when neither HOME nor the
 * others are set, DUET_E_NOMEM.
 */
int duet_config_path(const char *flag, char **out);

/*
 * Loads the config file at path. A missing file is not an error: *out is
 * then an empty config that will be saved to path. Errors: DUET_E_INVAL
 * with "PATH:LINE: ..." for a line that is neither a comment, a [section]
 * nor key = value, a key before any section, an empty or duplicate
 * section name, or a NUL byte; errno-derived codes when the file can't be
 * read; DUET_E_NOMEM. On error *out is NULL. The caller owns *out and
 * frees it with duet_config_free.
 */
int duet_config_load(const char *path, struct duet_config **out);

/*
 * Parses len bytes of text as a config file whose path is `path` (used in
 * messages and by duet_config_save). Same errors as duet_config_load.
 */
int duet_config_parse(const char *path, const char *text, size_t len, struct duet_config **out);

/* Frees a config; NULL is fine. */
void duet_config_free(struct duet_config *c);

/* The section named name (exact, case-sensitive), or NULL. Borrowed:
 * valid until the config changes. */
struct duet_config_section *duet_config_find(const struct duet_config *c, const char *name);

/* The value of key in section, or NULL when either is missing. Borrowed:
 * valid until the config changes. The file only, no environment. */
const char *duet_config_get(const struct duet_config *c, const char *section, const char *key);

/*
 * Sets key to value in an existing section (replacing it in place, or
 * appending it). Copies both strings. Errors: DUET_E_NOTFOUND when there
 * is no such section; DUET_E_INVAL when the key is empty, holds '=', ':'
 * or a line break, begins with '#', ';' or '[', or has spaces at either
 * end, or the value holds a line break or has spaces at either end (the
 * file could not keep them); DUET_E_NOMEM.
 */
int duet_config_set(struct duet_config *c, const char *section, const char *key, const char *value);

/* Removes key from section. Errors: DUET_E_NOTFOUND when either is missing. */
int duet_config_unset(struct duet_config *c, const char *section, const char *key);

/*
 * Appends an empty section. Errors: DUET_E_BADNAME when the name breaks
 * duet_config_name_ok; DUET_E_EXIST when it exists; DUET_E_NOMEM.
 */
int duet_config_add(struct duet_config *c, const char *name);

/* Removes a section with its keys and comments. DUET_E_NOTFOUND if none. */
int duet_config_delete(struct duet_config *c, const char *name);

/*
 * 1 when name is a valid remote name (rclone's rule): ASCII letters,
 * digits, '_', '-', '.', '+', '@' and space; not empty, not starting with
 * '-' or space, not ending with space. 0 otherwise.
 */
int duet_config_name_ok(const char *name);

/*
 * Appends the INI text to out: the whole file (comments included, a blank
 * line after each section) when section is NULL, else only that section's
 * "[name]" line and keys, without comments. Errors: DUET_E_NOTFOUND for a
 * missing section, DUET_E_NOMEM.
 */
int duet_config_format(const struct duet_config *c, const char *section, struct duet_buf *out);

/*
 * Writes the config to c->path atomically: a temp file in the same
 * directory (mode 0600), fsync, rename over the target, fsync of the
 * directory. Missing parent directories are created with mode 0700. When
 * c->path is a symlink, the file it points to is replaced and the link
 * kept. Errors: errno-derived codes naming the path, DUET_E_NOMEM. On
 * error the old file is untouched and no temp file is left.
 */
int duet_config_save(const struct duet_config *c);

/*
 * The value of DUET_CONFIG_<NAME>_<KEY> (name and key upper-cased, '-'
 * turned into '_'), or NULL when unset or when the variable's name would
 * exceed 1023 bytes. Borrowed from the environment: valid until it
 * changes. Does not allocate.
 */
const char *duet_config_getenv(const char *name, const char *key);

/*
 * A duet_remote_lookup (core/remote.h) over a loaded config: ctx is a
 * struct duet_config * (NULL: no file, environment only). Fills r->type
 * from the `type` key and adds every other key with duet_remote_add, in
 * file order; DUET_CONFIG_<NAME>_<KEY> variables override file values and
 * add keys the file lacks (sorted by key). A remote defined only in the
 * environment needs DUET_CONFIG_<NAME>_TYPE. Errors: DUET_E_NOTFOUND
 * (no message) for an unknown name; DUET_E_INVAL naming the file and
 * section when the section has no type; DUET_E_NOMEM.
 */
int duet_config_lookup(void *ctx, const char *name, struct duet_remote *r);

#endif
