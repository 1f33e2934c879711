/*
 * cmd_bisync.c: `duet bisync PATH1 PATH2` (also `bisync PATH1 PATH2`):
 * rclone bisync's flags into struct duet_bisync_opts, then one run.
 */
#include "cli.h"
#include "cmds.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bisync/run.h"
#include "conflict/timeglob.h"
#include "core/error.h"
#include "core/filter.h"
#include "core/hash.h"

static int
bisync_compare(const struct cli_opts *o, struct duet_conflict_opts *c)
{
	char buf[128];
	char *save = NULL, *tok;
	if (o->x.checksum) { /* rclone: --checksum means compare size,checksum */
		c->compare_modtime = 0;
		c->compare_checksum = 1;
	}
	if (o->x.size_only) /* --size-only: size alone */
		c->compare_modtime = c->compare_checksum = 0;
	if (o->x.ignore_size)
		c->compare_size = 0;
	if (o->compare == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", o->compare);
	c->compare_size = c->compare_modtime = c->compare_checksum = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t len;
		while (*tok == ' ')
			tok++;
		for (len = strlen(tok); len > 0 && tok[len - 1] == ' '; len--)
			tok[len - 1] = '\0';
		if (strcasecmp(tok, "size") == 0)
			c->compare_size = 1;
		else if (strcasecmp(tok, "modtime") == 0)
			c->compare_modtime = 1;
		else if (strcasecmp(tok, "checksum") == 0)
			c->compare_checksum = 1;
		else {
			fprintf(stderr, "Error: unknown compare option: %s (must be size, modtime, or checksum)\n", tok);
			return EXIT_USAGE;
		}
	}
	if (!c->compare_size && !c->compare_modtime && !c->compare_checksum) {
		fprintf(stderr, "Error: must set a Compare method. (size, modtime, and checksum can't all be false.)\n");
		return EXIT_USAGE;
	}
	return 0;
}

static int
bisync_conflict(const struct cli_opts *o, struct duet_conflict_opts *c, char *s1, char *s2,
    size_t len)
{
	static const char *resolves[] = {"none", "path1", "path2", "newer", "older", "larger", "smaller"};
	static const char *losers[] = {"num", "pathname", "delete"};
	const char *suf = o->conflict_suffix ? o->conflict_suffix : "conflict", *comma;
	char expanded[256];
	int found;

	if (o->conflict_resolve != NULL) {
		found = 0;
		for (int i = 0; i < 7; i++)
			if (strcasecmp(o->conflict_resolve, resolves[i]) == 0) {
				c->resolve = (enum duet_resolve)i;
				found = 1;
			}
		if (!found) {
			fprintf(stderr, "Error: --conflict-resolve %s: want none, path1, path2, newer, older, larger or smaller\n",
			    o->conflict_resolve);
			return EXIT_USAGE;
		}
	}
	if (o->conflict_loser != NULL && o->conflict_loser[0] != '\0') {
		found = 0;
		for (int i = 0; i < 3; i++)
			if (strcasecmp(o->conflict_loser, losers[i]) == 0) {
				c->loser = (enum duet_loser)i;
				found = 1;
			}
		if (!found) {
			fprintf(stderr, "Error: --conflict-loser %s: want num, pathname or delete\n", o->conflict_loser);
			return EXIT_USAGE;
		}
	}
	/* {DateOnly} and the other time globs: local time, once per run. */
	if (strchr(suf, '{') != NULL) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		if (duet_timeglob_expand(suf, &tm, ts.tv_nsec, expanded, sizeof(expanded)) != 0) {
			fprintf(stderr, "Error: %s\n", duet_err_msg());
			return EXIT_USAGE;
		}
		suf = expanded;
	}
	comma = strchr(suf, ',');
	if (comma != NULL && strchr(comma + 1, ',') != NULL) {
		int parts = 1;
		for (const char *p = suf; *p; p++)
			parts += *p == ',';
		fprintf(stderr, "Error: --conflict-suffix cannot have more than 2 comma-separated values. Received %d: %s\n",
		    parts, suf);
		return EXIT_USAGE;
	}
	snprintf(s1, len, ".%.*s", comma ? (int)(comma - suf) : (int)strlen(suf), suf);
	snprintf(s2, len, ".%s", comma ? comma + 1 : suf);
	c->suffix1 = s1;
	c->suffix2 = s2;
	c->keep_extension = o->x.suffix_keep_extension;
	return 0;
}

int
cmd_bisync(struct cli_opts *o)
{
	struct duet_bisync_opts b;
	struct duet_filter *f = NULL;
	char s1[256], s2[256];
	int ec;

	duet_bisync_opts_init(&b);
	/* One-way rules that skip copies would leave the sides apart while the
	 * listings say they agree: refused, not silently ignored. */
	if (o->x.update || o->x.ignore_existing || o->x.immutable) {
		fprintf(stderr, "Error: bisync does not take %s: it decides per file which side wins "
		    "(see --conflict-resolve and --resync-mode)\n", o->x.update ? "--update"
		    : o->x.ignore_existing ? "--ignore-existing" : "--immutable");
		return EXIT_USAGE;
	}
	if ((ec = cli_interactive_check(o)) != 0 || (ec = bisync_compare(o, &b.conflict)) != 0 ||
	    (ec = bisync_conflict(o, &b.conflict, s1, s2, sizeof(s1))) != 0)
		return ec;
	if (o->check_sync != NULL) {
		if (strcasecmp(o->check_sync, "true") == 0)
			b.check_sync = DUET_CHECK_SYNC_TRUE;
		else if (strcasecmp(o->check_sync, "false") == 0)
			b.check_sync = DUET_CHECK_SYNC_FALSE;
		else if (strcasecmp(o->check_sync, "only") == 0)
			b.check_sync = DUET_CHECK_SYNC_ONLY;
		else {
			fprintf(stderr, "Error: unknown check-sync mode for bisync: \"%s\" (true, false "
			    "or only)\n", o->check_sync);
			return EXIT_USAGE;
		}
	}
	if (o->resync_mode != NULL && (b.resync_mode = duet_bisync_resync_mode(o->resync_mode)) < 0) {
		fprintf(stderr, "Error: unknown --resync-mode %s: want path1, path2, newer, older, "
		    "larger, smaller or none\n", o->resync_mode);
		return EXIT_USAGE;
	}
	/* A missing filters file is a usage error here (rclone makes it
	 * critical): a typo must not cost the pair a --resync. */
	if (o->filters_file != NULL && access(o->filters_file, R_OK) != 0) {
		fprintf(stderr, "Error: specified filters file does not exist or cannot be read: %s\n",
		    o->filters_file);
		return EXIT_USAGE;
	}
	if ((ec = cli_build_filter(o, &f)) != 0)
		return ec;
	b.filters_file = o->filters_file;
	b.check_access = o->check_access;
	b.resilient = o->resilient;
	b.retries = o->retries;
	b.retries_sleep = o->retries_sleep;
	b.max_lock = o->max_lock;
	if (b.max_lock > 0 && b.max_lock < 120LL * 1000000000LL) {
		fprintf(stderr, "NOTICE: --max-lock below 2m is raised to 2m\n");
		b.max_lock = 120LL * 1000000000LL;
	}
	b.create_empty_src_dirs = o->create_empty_src_dirs;
	b.remove_empty_dirs = o->remove_empty_dirs;
	b.backup_dir[0] = o->backup_dir1 ? o->backup_dir1 : o->backup_dir;
	b.backup_dir[1] = o->backup_dir2 ? o->backup_dir2 : o->backup_dir;
	b.download_hash = o->download_hash;
	b.ignore_listing_checksum = o->ignore_listing_checksum;
	/* Our copies are never skipped by a hash, so --slow-hash-sync-only
	 * leaves nothing for slow hashes to do: it is --no-slow-hash here. */
	b.no_slow_hash = o->no_slow_hash || o->slow_hash_sync_only;
	b.check_filename = o->check_filename;
	b.no_unicode_normalization = o->no_unicode_normalization;
	b.ignore_case_sync = o->ignore_case_sync;
	b.fix_case = b.conflict.fix_case = o->fix_case;
	if (o->interactive)
		b.confirm = cli_confirm;
	b.path1 = o->args[0];
	b.path2 = o->args[1];
	b.workdir = o->workdir;
	/* rclone: any --resync-mode but none means --resync. */
	b.resync = o->resync || (o->resync_mode != NULL && b.resync_mode != DUET_RESYNC_NONE);
	b.dry_run = o->dry_run;
	b.force = o->force;
	b.recover = o->recover;
	/* --max-delete is a percentage in bisync (default 50), clamped. */
	b.max_delete = o->x.max_delete < 0 ? 50 : o->x.max_delete > 100 ? 100 : (int)o->x.max_delete;
	b.x = o->x;
	b.x.suffix = o->suffix; /* --suffix for the backups (as sync does) */
	b.filter = f;
	b.conflict.hash_kind = -1;
	cli_fs_opts(o, &b.fs);
	ec = (int)duet_bisync_run(&b);
	if (ec == DUET_BISYNC_CRITICAL_KEEP || ec == DUET_BISYNC_CRITICAL_RESILIENT)
		ec = DUET_BISYNC_CRITICAL; /* rclone's exit code 7 either way */
	duet_filter_free(f);
	return ec;
}
