/*
 * filter.h: rclone's filter language (docs/filtering.md). Rules are
 * matched first-match-wins against paths relative to the root
 * ('/'-separated, no leading '/'); a path no rule matches is included.
 * A filter is built once (not thread-safe while building) and then only
 * read (thread-safe to query from many threads; queries do not allocate,
 * except for {{regexp}} patterns).
 */
#ifndef DUET_CORE_FILTER_H
#define DUET_CORE_FILTER_H

#include <stdint.h>

struct duet_filter;

/* Which flag a rule came from. */
enum duet_filter_kind {
	DUET_FILTER_INCLUDE = 1, /* --include PATTERN */
	DUET_FILTER_EXCLUDE = 2, /* --exclude PATTERN */
	DUET_FILTER_RULE = 3,    /* --filter "+ PATTERN" / "- PATTERN" / "!" */
};

/* Creates an empty filter (includes everything). Caller frees with
 * duet_filter_free (NULL-safe). DUET_E_NOMEM. */
int duet_filter_new(struct duet_filter **out);
void duet_filter_free(struct duet_filter *f);

/* --ignore-case: applies to the rules added after it, so set it first. */
void duet_filter_set_ignore_case(struct duet_filter *f, int on);

/*
 * Adds one rule. Call in command-line order: as rclone does, the rules are
 * then applied by flag, whatever the order between flags: all --include,
 * then --include-from, --exclude, --exclude-from, --filter, --filter-from
 * (each kept in its own order), then "- **" if any --include or
 * --include-from was given. A "!" rule drops every rule applied before it.
 * `origin` names where the rule came from for error messages (NULL: the
 * flag's name). Errors: DUET_E_USAGE for a bad pattern or a malformed
 * --filter rule (one-line message naming origin and pattern) or when
 * --files-from was given; DUET_E_NOMEM.
 */
int duet_filter_add(struct duet_filter *f, enum duet_filter_kind kind,
    const char *pattern, const char *origin);

/*
 * Reads rules from a file (--include-from, --exclude-from, --filter-from
 * by kind; "-" reads standard input): one per line, leading and trailing
 * white space dropped, blank lines and lines starting with '#' or ';'
 * skipped. Errors name FILE:LINE (DUET_E_USAGE); DUET_E_NOTFOUND/PERM/IO
 * when the file cannot be read; DUET_E_NOMEM.
 */
int duet_filter_add_file(struct duet_filter *f, enum duet_filter_kind kind,
    const char *path);

/*
 * --files-from (raw = 0: lines trimmed, comments and blank lines skipped),
 * --files-from-raw (raw = 1: every line as is, but a final '\r' dropped)
 * and --files-from0 (raw = 2: NUL-separated, as is). Leading and trailing
 * '/' are dropped from each path. Only the listed files are included and
 * only their parent directories are walked. May be given several times;
 * cannot be combined with any rule, size or age limit or
 * --exclude-if-present (DUET_E_USAGE, whichever comes second). Errors as
 * duet_filter_add_file.
 */
int duet_filter_add_files_from(struct duet_filter *f, const char *path, int raw);

/*
 * --exclude-if-present NAME (may be given several times): a directory
 * holding a file NAME, or with "NAME/" a directory NAME, is excluded with
 * everything below it. The walker checks this (see if_present). Errors:
 * DUET_E_USAGE for an empty name or one with a '/' inside; DUET_E_NOMEM.
 */
int duet_filter_add_exclude_if_present(struct duet_filter *f, const char *name);

/*
 * Limits: --min-size/--max-size (bytes, inclusive, -1 = off),
 * --min-age/--max-age (ns relative to `now`, -1 = off): min-age drops
 * files modified after now - min_age, max-age drops those modified before
 * now - max_age. --max-depth (-1 = off): files more than max_depth path
 * components deep are dropped (0 acts as 1, like rclone's sync). `now` is
 * ns since the epoch, fixed once per run. Errors: DUET_E_USAGE when
 * min_age > max_age, or size/age limits together with --files-from.
 */
struct duet_filter_limits {
	int64_t min_size, max_size;
	int64_t min_age, max_age;
	int max_depth;
	int64_t now;
};
int duet_filter_set_limits(struct duet_filter *f, const struct duet_filter_limits *l);

/* 1 when any rule or limit is set (so listings must be filtered). */
int duet_filter_active(const struct duet_filter *f);

/* 1 when the file at path (size in bytes, mtime in ns) is included. */
int duet_filter_file(const struct duet_filter *f, const char *path, int64_t size,
    int64_t mtime);

/*
 * 1 when the directory at path (leading/trailing '/' ignored; "" is the
 * root, always 1) may hold included files, so it should be listed and
 * walked (rclone's IncludeDirectory): directory rules ("dir/", "**"
 * patterns and those rclone derives from include patterns) are matched
 * against "path/". With --files-from only parents of listed files pass.
 * A directory deeper than --max-depth gives 0; one at that depth gives 1
 * (it is listed; its contents fail duet_filter_file). Does not look at
 * --exclude-if-present.
 */
int duet_filter_dir(const struct duet_filter *f, const char *path);

/* The --exclude-if-present names as given (NULL-terminated; may be empty;
 * a name ending in '/' means a directory). Valid while f lives. */
const char *const *duet_filter_if_present(const struct duet_filter *f);

/* With --files-from: the listed paths, sorted (strcmp), unique,
 * NULL-terminated; NULL when --files-from was not used. Lets the walker
 * avoid a full traversal. Valid while f lives. */
const char *const *duet_filter_files_from(const struct duet_filter *f);

#endif
