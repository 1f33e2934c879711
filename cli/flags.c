/*
 * flags.c: the flag table (rclone's names and meanings) and the parser.
 * Flags may stand anywhere on the line; `--name=value`, `--name value`,
 * short flags and `-vv` work as in rclone. `--` ends the flags.
 */
#define _DEFAULT_SOURCE /* strptime, timegm */
#define _XOPEN_SOURCE 700
#include "opts.h"
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/error.h"
#include "core/remote.h"
#include "core/xfer.h"

enum flag_type {
	F_BOOL, F_COUNT, F_INT, F_LONG, F_SIZE, F_DUR, F_AGE, F_STR, F_FILTER,
	F_DELMODE, F_CUTOFF, F_NEG,
};

/* Filter flags are kept in order in o->filters. */
enum cli_filter_flag {
	FF_INCLUDE, FF_EXCLUDE, FF_FILTER, FF_FILTER_FROM, FF_INCLUDE_FROM,
	FF_EXCLUDE_FROM, FF_FILES_FROM, FF_FILES_FROM_RAW, FF_IF_PRESENT,
};

struct flag {
	const char *name;  /* long name without "--" */
	char shortname;    /* 0 if none */
	enum flag_type type;
	size_t off;        /* offset in struct cli_opts */
	int extra;         /* F_FILTER: which; F_DELMODE: mode */
	const char *scope; /* NULL: global; else space-separated commands */
	const char *help;
};

#define O(f) offsetof(struct cli_opts, f)
#define X(f) (offsetof(struct cli_opts, x) + offsetof(struct duet_xfer_opts, f))
#define L(f) (offsetof(struct cli_opts, limits) + offsetof(struct duet_filter_limits, f))

static const struct flag flags[] = {
	/* Global behaviour. */
	{"dry-run", 'n', F_BOOL, O(dry_run), 0, NULL, "Do a trial run with no permanent changes"},
	{"interactive", 'i', F_BOOL, O(interactive), 0, NULL, "Ask before each destructive action (needs a terminal)"},
	{"verbose", 'v', F_COUNT, O(verbose), 0, NULL, "Print lots more stuff (repeat for more)"},
	{"quiet", 'q', F_BOOL, O(quiet), 0, NULL, "Print as little stuff as possible"},
	{"log-file", 0, F_STR, O(log_file), 0, NULL, "Log everything to this file"},
	{"log-level", 0, F_STR, O(log_level), 0, NULL, "Log level DEBUG|INFO|NOTICE|ERROR (default NOTICE)"},
	{"use-json-log", 0, F_BOOL, O(use_json_log), 0, NULL, "Use json log format"},
	{"config", 0, F_STR, O(config_path), 0, NULL, "Config file (default $DUET_CONFIG or ~/.config/duet/duet.conf)"},
	{"progress", 'P', F_BOOL, O(progress), 0, NULL, "Show progress during transfer"},
	{"stats", 0, F_DUR, O(stats_interval), 0, NULL, "Interval between printing stats, e.g. 500ms, 60s, 5m (0 to disable)"},
	{"stats-one-line", 0, F_BOOL, O(stats_one_line), 0, NULL, "Make the stats fit on one line"},
	{"human-readable", 0, F_BOOL, O(human_readable), 0, NULL, "Print numbers in a human-readable format"},
	{"create-empty-src-dirs", 0, F_BOOL, O(create_empty_src_dirs), 0, NULL, "Create empty source dirs on destination after sync"},
	{"error-on-no-transfer", 0, F_BOOL, O(error_on_no_transfer), 0, NULL, "Exit with code 9 if no files were transferred"},
	{"retries", 0, F_INT, O(retries), 0, NULL, "Retry operations this many times if they fail (default 3)"},
	{"retries-sleep", 0, F_DUR, O(retries_sleep), 0, NULL, "Interval between retrying operations (0 to disable)"},
	{"low-level-retries", 0, F_INT, X(low_level_retries), 0, NULL, "Number of low level retries to do (default 10)"},
	/* Local backend. */
	{"copy-links", 'L', F_BOOL, O(copy_links), 0, NULL, "Follow symlinks and copy the pointed to item"},
	{"links", 'l', F_BOOL, O(links), 0, NULL, "Translate symlinks to/from regular files with a '.rclonelink' extension"},
	{"inplace", 0, F_BOOL, O(inplace), 0, NULL, "Download directly to destination file instead of atomic download to temp/rename"},
	{"partial-suffix", 0, F_STR, O(partial_suffix), 0, NULL, "Add partial-suffix to temporary file name when --inplace is not used (default \".partial\")"},
	{"local-no-sync", 0, F_BOOL, O(local_no_sync), 0, NULL, "Don't fsync files before renaming them into place"},
	/* Network backends. */
	{"bwlimit", 0, F_STR, O(bwlimit), 0, NULL, "Bandwidth limit in KiB/s, or use suffix B|K|M|G|T|P (e.g. 10M; off)"},
	{"ca-cert", 0, F_STR, O(ca_cert), 0, NULL, "CA certificate (PEM file) used to verify servers instead of the system's"},
	{"no-check-certificate", 0, F_BOOL, O(no_check_certificate), 0, NULL, "Do not verify the server SSL certificate (insecure)"},
	{"timeout", 0, F_DUR, O(timeout), 0, NULL, "IO idle timeout (default 5m0s)"},
	{"contimeout", 0, F_DUR, O(contimeout), 0, NULL, "Connect timeout (default 1m0s)"},
	{"user-agent", 0, F_STR, O(user_agent), 0, NULL, "Set the user-agent to a specified string (default duet/VERSION)"},
	/* Comparison. */
	{"checksum", 'c', F_BOOL, X(checksum), 0, NULL, "Check for changes with size & checksum (if available, or fallback to size only)"},
	{"size-only", 0, F_BOOL, X(size_only), 0, NULL, "Skip based on size only, not modtime or checksum"},
	{"ignore-size", 0, F_BOOL, X(ignore_size), 0, NULL, "Ignore size when skipping use modtime or checksum"},
	{"ignore-times", 'I', F_BOOL, X(ignore_times), 0, NULL, "Don't skip items that match size and time - transfer all unconditionally"},
	{"update", 'u', F_BOOL, X(update), 0, NULL, "Skip files that are newer on the destination"},
	{"ignore-existing", 0, F_BOOL, X(ignore_existing), 0, NULL, "Skip all files that exist on destination"},
	{"immutable", 0, F_BOOL, X(immutable), 0, NULL, "Do not modify files, fail if existing files have been modified"},
	{"no-update-modtime", 0, F_BOOL, X(no_update_modtime), 0, NULL, "Don't update destination modtime if files identical"},
	{"no-check-dest", 0, F_BOOL, X(no_check_dest), 0, NULL, "Don't check the destination, copy regardless"},
	{"no-traverse", 0, F_BOOL, X(no_traverse), 0, NULL, "Don't traverse destination file system on copy"},
	{"ignore-checksum", 0, F_BOOL, X(ignore_checksum), 0, NULL, "Skip post copy check of checksums"},
	{"fast-list", 0, F_BOOL, X(fast_list), 0, NULL, "Use recursive list if available, also with filters (object stores use it without filters anyway)"},
	{"modify-window", 0, F_DUR, X(modify_window), 0, NULL, "Max time diff to be considered the same (default 1ns)"},
	/* Concurrency and limits. */
	{"transfers", 0, F_INT, X(transfers), 0, NULL, "Number of file transfers to run in parallel (default 4)"},
	{"checkers", 0, F_INT, X(checkers), 0, NULL, "Number of checkers to run in parallel (default 8)"},
	{"check-first", 0, F_BOOL, X(check_first), 0, NULL, "Do all the checks before starting transfers"},
	{"max-backlog", 0, F_INT, X(max_backlog), 0, NULL, "Maximum number of objects in sync or check backlog (default 10000)"},
	{"order-by", 0, F_STR, X(order_by), 0, NULL, "Transfer order: size|name|modtime[,ascending|descending]"},
	{"max-transfer", 0, F_SIZE, X(max_transfer), 0, NULL, "Maximum size of data to transfer (default off)"},
	{"max-duration", 0, F_DUR, X(max_duration), 0, NULL, "Maximum duration rclone will transfer data for (default 0s)"},
	{"cutoff-mode", 0, F_CUTOFF, X(cutoff), 0, NULL, "Mode to stop transfers when reaching the max transfer limit HARD|SOFT|CAUTIOUS"},
	{"max-delete", 0, F_LONG, X(max_delete), 0, NULL, "When synchronizing, limit the number of deletes (default off)"},
	{"delete-after", 0, F_DELMODE, X(delete_mode), DUET_DELETE_AFTER, NULL, "When synchronizing, delete files on destination after transferring (default)"},
	{"delete-during", 0, F_DELMODE, X(delete_mode), DUET_DELETE_DURING, NULL, "When synchronizing, delete files during transfer"},
	{"delete-before", 0, F_DELMODE, X(delete_mode), DUET_DELETE_BEFORE, NULL, "When synchronizing, delete files on destination before transferring"},
	{"delete-excluded", 0, F_BOOL, X(delete_excluded), 0, NULL, "Delete files on dest excluded from sync"},
	{"backup-dir", 0, F_STR, O(backup_dir), 0, NULL, "Make backups into hierarchy based in DIR"},
	{"suffix", 0, F_STR, O(suffix), 0, NULL, "Suffix to add to changed files"},
	{"suffix-keep-extension", 0, F_BOOL, X(suffix_keep_extension), 0, NULL, "Preserve the extension when using --suffix"},
	{"compare-dest", 0, F_STR, O(compare_dest), 0, NULL, "Include additional server-side path during comparison"},
	{"copy-dest", 0, F_STR, O(copy_dest), 0, NULL, "Implies --compare-dest but also copies files from path into destination"},
	/* Filters. */
	{"include", 0, F_FILTER, 0, FF_INCLUDE, NULL, "Include files matching pattern"},
	{"exclude", 0, F_FILTER, 0, FF_EXCLUDE, NULL, "Exclude files matching pattern"},
	{"filter", 'f', F_FILTER, 0, FF_FILTER, NULL, "Add a file filtering rule"},
	{"filter-from", 0, F_FILTER, 0, FF_FILTER_FROM, NULL, "Read file filtering patterns from a file"},
	{"include-from", 0, F_FILTER, 0, FF_INCLUDE_FROM, NULL, "Read file include patterns from file"},
	{"exclude-from", 0, F_FILTER, 0, FF_EXCLUDE_FROM, NULL, "Read file exclude patterns from file"},
	{"files-from", 0, F_FILTER, 0, FF_FILES_FROM, NULL, "Read list of source-file names from file"},
	{"files-from-raw", 0, F_FILTER, 0, FF_FILES_FROM_RAW, NULL, "Read list of source-file names from file without any processing of lines"},
	{"exclude-if-present", 0, F_FILTER, 0, FF_IF_PRESENT, NULL, "Exclude directories if filename is present"},
	{"ignore-case", 0, F_BOOL, O(ignore_case), 0, NULL, "Ignore case in filters (case insensitive)"},
	{"min-size", 0, F_SIZE, L(min_size), 0, NULL, "Only transfer files bigger than this in KiB or suffix B|K|M|G|T|P"},
	{"max-size", 0, F_SIZE, L(max_size), 0, NULL, "Only transfer files smaller than this in KiB or suffix B|K|M|G|T|P"},
	{"min-age", 0, F_AGE, L(min_age), 0, NULL, "Only transfer files older than this in s or suffix ms|s|m|h|d|w|M|y"},
	{"max-age", 0, F_AGE, L(max_age), 0, NULL, "Only transfer files younger than this in s or suffix ms|s|m|h|d|w|M|y"},
	{"max-depth", 0, F_INT, L(max_depth), 0, NULL, "If set limits the recursion depth to this"},
	/* Listing commands. */
	{"recursive", 'R', F_BOOL, O(recursive), 0, "lsf lsjson lsd", "Recurse into the listing"},
	{"format", 'F', F_STR, O(format), 0, "lsf", "Output format: p path, s size, t modtime, h hash, m MimeType, i ID, o original ID, T tier (default \"p\")"},
	{"separator", 's', F_STR, O(separator), 0, "lsf", "Separator for the items in the format (default \";\")"},
	{"dirs-only", 0, F_BOOL, O(dirs_only), 0, "lsf lsjson", "Only list directories"},
	{"files-only", 0, F_BOOL, O(files_only), 0, "lsf lsjson", "Only list files"},
	{"absolute", 0, F_BOOL, O(absolute), 0, "lsf", "Put a leading / in front of path names"},
	{"dir-slash", 'd', F_NEG, O(dir_slash_off), 0, "lsf", "Append a slash to directory names (default true; --dir-slash=false)"},
	{"csv", 0, F_BOOL, O(lsf_csv), 0, "lsf", "Output in CSV format"},
	{"hash", 0, F_STR, O(hash_kind), 0, "lsf", "Hash type for --format h: md5, sha1, sha256, xxh3, xxh128 (default md5)"},
	{"no-modtime", 0, F_BOOL, O(no_modtime), 0, "lsjson", "Don't read the modification time"},
	{"no-mimetype", 0, F_BOOL, O(no_mimetype), 0, "lsjson", "Don't read the mime type"},
	{"original", 0, F_BOOL, O(original), 0, "lsjson", "Show the ID of the underlying Object"},
	{"stat", 0, F_BOOL, O(lsjson_stat), 0, "lsjson", "Just return the info for the pointed to file"},
	{"json", 0, F_BOOL, O(json), 0, "size listremotes", "Format output as JSON"},
	/* check. */
	{"one-way", 0, F_BOOL, O(one_way), 0, "check", "Check one way only, source files must exist on remote"},
	{"download", 0, F_BOOL, O(download), 0, "check", "Check by downloading rather than with hash"},
	{"combined", 0, F_STR, O(combined), 0, "check", "Make a combined report of changes to this file"},
	{"missing-on-src", 0, F_STR, O(missing_on_src), 0, "check", "Report all files missing from the source to this file"},
	{"missing-on-dst", 0, F_STR, O(missing_on_dst), 0, "check", "Report all files missing from the destination to this file"},
	{"match", 0, F_STR, O(match), 0, "check", "Report all matching files to this file"},
	{"differ", 0, F_STR, O(differ), 0, "check", "Report all non-matching files to this file"},
	{"error", 0, F_STR, O(error_file), 0, "check", "Report all files with errors (hashing or reading) to this file"},
	/* touch, cat, hashsum, rmdirs. */
	{"no-create", 'C', F_BOOL, O(no_create), 0, "touch", "Do not create the file if it does not exist"},
	{"timestamp", 't', F_STR, O(timestamp), 0, "touch", "Use specified time instead of the current time of day"},
	{"head", 0, F_LONG, O(cat_head), 0, "cat", "Only print the first N characters"},
	{"tail", 0, F_LONG, O(cat_tail), 0, "cat", "Only print the last N characters"},
	{"offset", 0, F_LONG, O(cat_offset), 0, "cat", "Start printing at offset N (or from end if -ve)"},
	{"count", 0, F_LONG, O(cat_count), 0, "cat", "Only print N characters (default -1)"},
	{"discard", 0, F_BOOL, O(cat_discard), 0, "cat", "Discard the output instead of printing"},
	{"output-file", 0, F_STR, O(output_file), 0, "hashsum md5sum sha1sum", "Output hashsums to a file rather than the terminal"},
	{"checkfile", 'C', F_STR, O(checkfile), 0, "hashsum md5sum sha1sum", "Validate hashes against a given SUM file instead of printing them"},
	{"base64", 0, F_BOOL, O(base64), 0, "hashsum md5sum sha1sum", "Output base64 encoded hashsum"},
	{"leave-root", 0, F_BOOL, O(leave_root), 0, "rmdirs", "Do not remove root directory if empty"},
	/* bisync (rclone's names and meanings). */
	{"resync", '1', F_BOOL, O(resync), 0, "bisync", "Start a new baseline: copy so both paths hold the union, then record listings"},
	{"resync-mode", 0, F_STR, O(resync_mode), 0, "bisync", "Which side wins a difference during --resync: path1|path2|newer|older|larger|smaller (implies --resync)"},
	{"check-access", 0, F_BOOL, O(check_access), 0, "bisync", "Abort unless check files (--check-filename) are found on both paths"},
	{"check-filename", 0, F_STR, O(check_filename), 0, "bisync", "Name of the check file for --check-access (default RCLONE_TEST)"},
	{"check-sync", 0, F_STR, O(check_sync), 0, "bisync", "Compare the final listings: true (default), false, or only (check the stored listings, nothing else)"},
	{"compare", 0, F_STR, O(compare), 0, "bisync", "What decides a change: any of size,modtime,checksum (default size,modtime)"},
	{"conflict-resolve", 0, F_STR, O(conflict_resolve), 0, "bisync", "Who wins a conflict: none|path1|path2|newer|older|larger|smaller (default none)"},
	{"conflict-loser", 0, F_STR, O(conflict_loser), 0, "bisync", "What happens to the loser: num|pathname|delete (default num)"},
	{"conflict-suffix", 0, F_STR, O(conflict_suffix), 0, "bisync", "Suffix for conflict copies: S or S1,S2 (default conflict)"},
	{"backup-dir1", 0, F_STR, O(backup_dir1), 0, "bisync", "Backup directory for Path1 (replaced and deleted files)"},
	{"backup-dir2", 0, F_STR, O(backup_dir2), 0, "bisync", "Backup directory for Path2"},
	{"remove-empty-dirs", 0, F_BOOL, O(remove_empty_dirs), 0, "bisync", "Remove empty directories at the end of the run"},
	{"download-hash", 0, F_BOOL, O(download_hash), 0, "bisync", "Compute hashes by reading files where the backend has none"},
	{"filters-file", 0, F_STR, O(filters_file), 0, "bisync bisync-listings", "Filter rules for bisync; a change of this file demands --resync (import: carry rclone's FILE.md5)"},
	{"force", 0, F_BOOL, O(force), 0, "bisync", "Bypass the --max-delete safety check"},
	{"ignore-listing-checksum", 0, F_BOOL, O(ignore_listing_checksum), 0, "bisync", "Do not use hashes from listings to detect changes"},
	{"max-lock", 0, F_DUR, O(max_lock), 0, "bisync", "Consider a lock from another host expired after this long (min 2m; default never)"},
	{"no-cleanup", 0, F_BOOL, O(no_cleanup), 0, "bisync", "Keep the working files (for debugging)"},
	{"recover", 0, F_BOOL, O(recover), 0, "bisync", "Finish an interrupted run (a crash, kill -9) instead of demanding --resync"},
	{"resilient", 0, F_BOOL, O(resilient), 0, "bisync", "Allow the next run to retry after a less serious error; with --retries, run a failed step again"},
	{"no-slow-hash", 0, F_BOOL, O(no_slow_hash), 0, "bisync", "Ignore listing hashes on backends where hashing is slow"},
	{"slow-hash-sync-only", 0, F_BOOL, O(slow_hash_sync_only), 0, "bisync", "Use slow hashes only for files about to be synced"},
	{"workdir", 0, F_STR, O(workdir), 0, "bisync bisync-listings", "Where bisync keeps its state (default ~/.local/state/duet/bisync)"},
	{"no-unicode-normalization", 0, F_BOOL, O(no_unicode_normalization), 0, "bisync", "Do not match names that differ only in Unicode normalization"},
	{"ignore-case-sync", 0, F_BOOL, O(ignore_case_sync), 0, "bisync", "Match names across the sides ignoring case"},
	{"fix-case", 0, F_BOOL, O(fix_case), 0, "bisync", "Copies rename the destination to the source's spelling (equal files: Path1's)"},
	/* More for the listing, check and small commands (appended). */
	{"hash", 0, F_BOOL, O(hash_flag), 0, "lsjson", "Include hashes in the output (may take longer)"},
	{"hash-type", 0, F_STR, O(hash_kind), 0, "lsjson", "Show only this hash type (implies --hash)"},
	{"checkfile", 'C', F_STR, O(checkfile), 0, "check", "Treat source:path as a SUM file with hashes of the given type"},
	{"download", 0, F_BOOL, O(download), 0, "hashsum md5sum sha1sum", "Read the data and hash it here rather than asking the backend"},
	{"recursive", 'R', F_BOOL, O(recursive), 0, "touch", "Touch every existing file below the path (filters apply)"},
	{"rmdirs", 0, F_BOOL, O(rmdirs), 0, "delete", "Then remove empty directories, but leave the root"},
	{"obscure", 0, F_BOOL, O(config_obscure), 0, "config", "Force any passwords to be obscured"},
	{"long", 0, F_BOOL, O(listremotes_long), 0, "listremotes", "Show the type as well as the name"},
	{"no-obscure", 0, F_BOOL, O(config_no_obscure), 0, "config", "Force any passwords not to be obscured"},
};

void
cli_opts_init(struct cli_opts *o)
{
	memset(o, 0, sizeof(*o));
	duet_xfer_opts_init(&o->x);
	o->retries = 3;
	o->timeout = 300 * (int64_t)1000000000;
	o->contimeout = 60 * (int64_t)1000000000;
	o->limits.min_size = o->limits.max_size = -1;
	o->limits.min_age = o->limits.max_age = -1;
	o->limits.max_depth = -1;
	o->cat_count = -1;
	o->cat_offset = 0;
}

static int
in_scope(const struct flag *f, const char *cmd)
{
	const char *p;
	size_t n;
	if (f->scope == NULL)
		return 1;
	if (cmd == NULL || cmd[0] == '\0')
		return 0;
	n = strlen(cmd);
	for (p = f->scope; (p = strstr(p, cmd)) != NULL; p += n)
		if ((p == f->scope || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

static const struct flag *
flag_find(const char *name, size_t len, char shortname, const char *cmd)
{
	const struct flag *any = NULL;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		const struct flag *f = &flags[i];
		int hit = shortname ? f->shortname == shortname
		                    : strlen(f->name) == len && strncmp(f->name, name, len) == 0;
		if (!hit)
			continue;
		if (in_scope(f, cmd))
			return f;
		any = any ? any : f;
	}
	return cmd == NULL ? any : NULL;
}

static int
flag_takes_value(const struct flag *f)
{
	return f->type != F_BOOL && f->type != F_COUNT && f->type != F_DELMODE &&
	    f->type != F_NEG;
}

int
cli_parse_size(const char *s, int64_t *out)
{
	if (strcasecmp(s, "off") == 0) {
		*out = -1;
		return 0;
	}
	return duet_parse_size(s, out);
}

int
cli_parse_duration(const char *s, int64_t *out)
{
	static const struct { const char *u; double ns; } units[] = {
		{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
		{"d", 86400e9}, {"w", 7 * 86400e9}, {"M", 30 * 86400e9}, {"y", 365 * 86400e9},
	};
	double total = 0;
	const char *p = s;
	if (strcmp(s, "off") == 0) {
		*out = 0;
		return 0;
	}
	while (*p != '\0') {
		char *end;
		double v = strtod(p, &end);
		size_t best = 0, bl = 0;
		if (end == p || v < 0)
			return -1;
		if (*end == '\0') { /* a bare number is seconds */
			if (p != s)
				return -1;
			total = v * 1e9;
			break;
		}
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t ul = strlen(units[i].u);
			if (strncmp(end, units[i].u, ul) == 0 && ul > bl) {
				best = i;
				bl = ul;
			}
		}
		if (bl == 0)
			return -1;
		total += v * units[best].ns;
		p = end + bl;
	}
	*out = (int64_t)total;
	return 0;
}

/* --min-age/--max-age: a duration, or an absolute date (then converted to
 * an age relative to now). */
static int
parse_age(const char *s, int64_t *out)
{
	struct tm tm;
	const char *fmts[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"};
	if (cli_parse_duration(s, out) == 0)
		return 0;
	for (size_t i = 0; i < 3; i++) {
		const char *end;
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (end != NULL && *end == '\0') {
			time_t t = timegm(&tm);
			*out = duet_now_real() - (int64_t)t * 1000000000;
			return 0;
		}
	}
	return -1;
}

static int
flag_bad(const char *name, const char *value, const char *want)
{
	fprintf(stderr, "Error: invalid argument \"%s\" for \"--%s\" flag: %s\n", value, name, want);
	return 2;
}

static int
flag_set(struct cli_opts *o, const struct flag *f, const char *value)
{
	char *base = (char *)o;
	void *at = base + f->off;
	char *end;
	long v;

	switch (f->type) {
	case F_BOOL:
	case F_NEG:
		if (value != NULL && strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return flag_bad(f->name, value, "want true or false");
		*(int *)at = (value == NULL || strcmp(value, "true") == 0) ^ (f->type == F_NEG);
		return 0;
	case F_COUNT:
		(*(int *)at)++;
		return 0;
	case F_INT:
	case F_LONG:
		errno = 0;
		v = strtol(value, &end, 10);
		if (*value == '\0' || *end != '\0' || errno != 0 || (f->type == F_INT && (v > 1 << 30 || v < -1)))
			return flag_bad(f->name, value, "want an integer");
		if (f->type == F_INT)
			*(int *)at = (int)v;
		else
			*(long *)at = v;
		if (at == &o->cat_head || at == &o->cat_tail || at == &o->cat_offset || at == &o->cat_count)
			*(int64_t *)at = v;
		return 0;
	case F_SIZE:
		return cli_parse_size(value, (int64_t *)at) == 0 ? 0
		    : flag_bad(f->name, value, "want a size like 100K, 10M, 1.5G or off");
	case F_DUR:
		return cli_parse_duration(value, (int64_t *)at) == 0 ? 0
		    : flag_bad(f->name, value, "want a duration like 500ms, 10s, 1h30m");
	case F_AGE:
		return parse_age(value, (int64_t *)at) == 0 ? 0
		    : flag_bad(f->name, value, "want a duration like 7d or a date like 2006-01-02");
	case F_STR:
		*(const char **)at = value;
		return 0;
	case F_FILTER:
		if (o->nfilters == CLI_MAX_LIST) {
			fprintf(stderr, "Error: too many filter flags (at most %d)\n", CLI_MAX_LIST);
			return 2;
		}
		o->filters[o->nfilters].flag = f->extra;
		o->filters[o->nfilters++].value = value;
		return 0;
	case F_DELMODE:
		if (o->delete_mode_flag != NULL && strcmp(o->delete_mode_flag, f->name) != 0) {
			fprintf(stderr, "Error: only one of --delete-before, --delete-during or --delete-after can be used\n");
			return 2;
		}
		o->delete_mode_flag = f->name;
		*(enum duet_delete_mode *)at = (enum duet_delete_mode)f->extra;
		return 0;
	case F_CUTOFF:
		if (strcasecmp(value, "hard") == 0)
			*(enum duet_cutoff *)at = DUET_CUTOFF_HARD;
		else if (strcasecmp(value, "soft") == 0)
			*(enum duet_cutoff *)at = DUET_CUTOFF_SOFT;
		else if (strcasecmp(value, "cautious") == 0)
			*(enum duet_cutoff *)at = DUET_CUTOFF_CAUTIOUS;
		else
			return flag_bad(f->name, value, "want HARD, SOFT or CAUTIOUS");
		return 0;
	}
	return 2;
}

/* Finds the command: the first argument that is neither a flag nor a
 * flag's value. */
static const char *
parse_find_cmd(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct flag *f;
		if (strcmp(a, "--") == 0)
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (a[0] != '-' || a[1] == '\0')
			return a;
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			f = flag_find(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2), 0, NULL);
			if (f != NULL && flag_takes_value(f) && eq == NULL)
				i++;
		} else {
			f = flag_find(NULL, 0, a[strlen(a) - 1], NULL);
			if (f != NULL && flag_takes_value(f))
				i++;
		}
	}
	return NULL;
}

static int
parse_long(int argc, char **argv, int *i, struct cli_opts *o)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '='), *value = NULL;
	size_t len = eq ? (size_t)(eq - a) : strlen(a);
	const struct flag *f = flag_find(a, len, 0, o->cmd);

	if (f == NULL) {
		fprintf(stderr, "Error: unknown flag: --%.*s (see \"duet help %s\")\n", (int)len, a,
		    o->cmd ? o->cmd : "flags");
		return 2;
	}
	if (eq != NULL)
		value = eq + 1;
	else if (flag_takes_value(f)) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "Error: flag needs an argument: --%s\n", f->name);
			return 2;
		}
		value = argv[++*i];
	}
	return flag_set(o, f, value);
}

static int
parse_short(int argc, char **argv, int *i, struct cli_opts *o)
{
	const char *a = argv[*i] + 1;
	for (; *a != '\0'; a++) {
		const struct flag *f = flag_find(NULL, 0, *a, o->cmd);
		if (f == NULL) {
			fprintf(stderr, "Error: unknown shorthand flag: '%c' in -%s\n", *a, argv[*i] + 1);
			return 2;
		}
		if (flag_takes_value(f)) {
			const char *value = a[1] ? a + 1 : NULL;
			if (value == NULL && *i + 1 >= argc) {
				fprintf(stderr, "Error: flag needs an argument: -%c\n", *a);
				return 2;
			}
			return flag_set(o, f, value ? value : argv[++*i]);
		}
		if (flag_set(o, f, NULL) != 0)
			return 2;
	}
	return 0;
}

int
cli_parse(int argc, char **argv, const char *cmd, struct cli_opts *o)
{
	int rc, flags_done = 0, cmd_seen = cmd != NULL;

	o->cmd = cmd ? cmd : parse_find_cmd(argc, argv);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!flags_done && strcmp(a, "--") == 0) {
			flags_done = 1;
			continue;
		}
		if (flags_done || a[0] != '-' || a[1] == '\0') {
			if (!cmd_seen) {
				cmd_seen = 1;
				continue;
			}
			if (o->nargs == CLI_MAX_ARGS) {
				fprintf(stderr, "Error: too many arguments\n");
				return 2;
			}
			o->args[o->nargs++] = a;
			continue;
		}
		rc = a[1] == '-' ? parse_long(argc, argv, &i, o) : parse_short(argc, argv, &i, o);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
cli_print_flags(const char *cmd)
{
	int local = 0;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (flags[i].scope != NULL && in_scope(&flags[i], cmd))
			local++;
	if (local) {
		printf("Flags for %s:\n", cmd);
		for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
			const struct flag *f = &flags[i];
			if (f->scope == NULL || !in_scope(f, cmd))
				continue;
			printf("  %c%c%c --%-26s %s\n", f->shortname ? '-' : ' ',
			    f->shortname ? f->shortname : ' ', f->shortname ? ',' : ' ', f->name, f->help);
		}
		printf("\n");
	}
	printf("Global flags:\n");
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		const struct flag *f = &flags[i];
		if (f->scope != NULL)
			continue;
		printf("  %c%c%c --%-26s %s\n", f->shortname ? '-' : ' ',
		    f->shortname ? f->shortname : ' ', f->shortname ? ',' : ' ', f->name, f->help);
	}
}

void
cli_fs_opts(const struct cli_opts *o, struct duet_fs_opts *fo)
{
	memset(fo, 0, sizeof(*fo));
	fo->links = o->copy_links ? DUET_LINKS_FOLLOW : o->links ? DUET_LINKS_STORE : DUET_LINKS_SKIP;
	fo->inplace = o->inplace;
	fo->partial_suffix = o->partial_suffix;
	fo->no_fsync = o->local_no_sync;
	fo->parallel = o->x.transfers > o->x.checkers ? o->x.transfers : o->x.checkers;
	fo->ca_cert = o->ca_cert;
	fo->insecure = o->no_check_certificate;
	fo->user_agent = o->user_agent;
	fo->low_level_retries = o->x.low_level_retries;
	fo->connect_timeout_ms = o->contimeout / 1000000;
	fo->idle_timeout_ms = o->timeout / 1000000;
	fo->ignore_checksum = o->x.ignore_checksum;
	fo->lookup = cli_remote_lookup;
	fo->lookup_ctx = (void *)o->config_path;
}

int
cli_build_filter(const struct cli_opts *o, struct duet_filter **out)
{
	struct duet_filter *f = NULL;
	struct duet_filter_limits lim = o->limits;
	static const char *names[] = {"--include", "--exclude", "--filter"};
	int rc = duet_filter_new(&f);

	if (rc == 0)
		duet_filter_set_ignore_case(f, o->ignore_case);
	/* bisync --filters-file: read first among the --filter-from files. */
	if (rc == 0 && o->filters_file != NULL)
		rc = duet_filter_add_file(f, DUET_FILTER_RULE, o->filters_file);
	for (int i = 0; rc == 0 && i < o->nfilters; i++) {
		const struct cli_filter_arg *a = &o->filters[i];
		switch (a->flag) {
		case FF_INCLUDE:
		case FF_EXCLUDE:
		case FF_FILTER:
			rc = duet_filter_add(f, (enum duet_filter_kind)(DUET_FILTER_INCLUDE + a->flag),
			    a->value, names[a->flag]);
			break;
		case FF_FILTER_FROM:
			rc = duet_filter_add_file(f, DUET_FILTER_RULE, a->value);
			break;
		case FF_INCLUDE_FROM:
			rc = duet_filter_add_file(f, DUET_FILTER_INCLUDE, a->value);
			break;
		case FF_EXCLUDE_FROM:
			rc = duet_filter_add_file(f, DUET_FILTER_EXCLUDE, a->value);
			break;
		case FF_FILES_FROM:
		case FF_FILES_FROM_RAW:
			rc = duet_filter_add_files_from(f, a->value, a->flag == FF_FILES_FROM_RAW);
			break;
		case FF_IF_PRESENT:
			rc = duet_filter_add_exclude_if_present(f, a->value);
			break;
		}
	}
	if (rc == 0) {
		lim.now = duet_now_real();
		rc = duet_filter_set_limits(f, &lim);
	}
	if (rc == 0) {
		*out = f;
		return 0;
	}
	fprintf(stderr, "Error: %s\n", duet_err_msg());
	duet_filter_free(f);
	return rc == DUET_E_NOTFOUND || rc == DUET_E_PERM ? 1 : 2;
}
