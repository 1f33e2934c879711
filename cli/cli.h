/*
 * cli.h: what the command files share: the command table entry, exit
 * codes (rclone's), opening remotes, logging set-up and statistics output.
 */
#ifndef DUET_CLI_CLI_H
#define DUET_CLI_CLI_H

#include "cli/opts.h"
#include "core/backend.h"
#include "core/listing.h"
#include "core/walk.h"
#include "core/xfer.h"

/* rclone's exit codes. */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_DIR_NOT_FOUND = 3,
	EXIT_FILE_NOT_FOUND = 4,
	EXIT_TEMPORARY = 5,
	EXIT_LESS_SERIOUS = 6,
	EXIT_FATAL = 7,
	EXIT_MAX_TRANSFER = 8,
	EXIT_NO_TRANSFER = 9,
	EXIT_MAX_DURATION = 10,
};

struct cli_cmd {
	const char *name;
	int (*run)(struct cli_opts *o);
	int min_args, max_args;  /* positional argument counts */
	const char *usage;       /* "source:path dest:path" */
	const char *summary;     /* one line */
	const char *help;        /* paragraphs for duet help CMD */
};

/* Looks a command up by name; NULL when unknown. */
const struct cli_cmd *cli_cmd_find(const char *name);

/* Maps a DUET_E_* code to rclone's exit code. */
int cli_exit_code(int code);

/* A duet_remote_lookup over the config file (loaded on first use); ctx is
 * the --config value (NULL: $DUET_CONFIG or the default path). */
int cli_remote_lookup(void *ctx, const char *name, struct duet_remote *r);

/* Opens a remote or path; prints an error and returns an exit code
 * (non-zero) on failure. */
int cli_open(const struct cli_opts *o, const char *spec, struct duet_fs **out);

/* Installs the log sink for -v/-q/--log-file/--log-level/--use-json-log.
 * Returns an exit code (0 ok). cli_log_close flushes and closes. */
int cli_log_setup(const struct cli_opts *o);
/* Applies the process-wide network flags (--bwlimit). Returns 0 or
 * EXIT_USAGE after printing a one-line error. */
int cli_net_setup(const struct cli_opts *o);
void cli_log_close(void);

/* Progress (-P) and periodic stats (--stats): started before a transfer,
 * stopped after; the final summary is printed at INFO level or with -P. */
void cli_stats_start(const struct cli_opts *o, struct duet_stats *st);
void cli_stats_stop(const struct cli_opts *o, struct duet_stats *st);
/* Formats the stats block rclone prints. */
void cli_stats_text(const struct duet_stats *st, int one_line, char *out, size_t len);

/* -i: asks on the terminal; installed as the engine's confirm callback. */
int cli_confirm(void *ctx, const char *action, const char *path);
/* Fails (exit 2) when -i is set but stdin is not a terminal. */
int cli_interactive_check(const struct cli_opts *o);

/* Walk options derived from the flags. */
void cli_walk_opts(const struct cli_opts *o, const struct duet_filter *f,
    struct duet_walk_opts *w);

/* Helpers of the listing commands (cmd_ls.c, cmd_check.c, cmd_misc.c). */

/* Lists fs (filtered by f, directories when dirs, down to depth levels; -1
 * all) into *out. Prints the error and returns an exit code on failure. */
int cli_list(const struct cli_opts *o, struct duet_fs *fs, const struct duet_filter *f, int dirs,
    int depth, struct duet_listing *out);
/* Sorts entry pointers in rclone's listing order (level by level). */
void cli_order(const struct duet_entry **v, size_t n);
/* Calls fn(ctx, i) for i in [0, n) on up to `threads` threads. */
void cli_for_each(size_t n, int threads, void (*fn)(void *ctx, size_t i), void *ctx);
/* Hashes path (kinds in mask), by reading it when read_data or when the
 * backend cannot supply them. */
int cli_hash_path(struct duet_fs *fs, const char *path, unsigned mask, int read_data,
    struct duet_hashes *out);
/* rclone's description of an fs ("Local file system at /x") into buf. */
const char *cli_fs_desc(const struct duet_fs *fs, char *buf, size_t len);

#endif
