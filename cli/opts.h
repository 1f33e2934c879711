/*
 * opts.h: every command-line option duet knows, parsed once into one
 * struct (immutable after parsing), and the flag table that maps rclone's
 * flag names onto it. Commands read what they need.
 */
#ifndef DUET_CLI_OPTS_H
#define DUET_CLI_OPTS_H

#include <stdint.h>

#include "core/backend.h"
#include "core/filter.h"
#include "core/xfer.h"

#define CLI_MAX_ARGS 64
#define CLI_MAX_LIST 64

struct cli_strlist {
	const char *v[CLI_MAX_LIST]; /* borrowed from argv */
	int n;
};

/* One filter flag occurrence, kept in command-line order. */
struct cli_filter_arg {
	int flag;          /* which flag (enum cli_filter_flag in flags.c) */
	const char *value; /* borrowed from argv */
};

struct cli_opts {
	const char *cmd;                 /* command name */
	const char *args[CLI_MAX_ARGS];  /* positional arguments */
	int nargs;

	/* Global. */
	int dry_run, interactive, verbose, quiet, progress, stats_one_line;
	int64_t stats_interval;          /* ns; 0 = off (default 1m for -P only) */
	const char *log_file, *log_level;
	int use_json_log;
	int create_empty_src_dirs, error_on_no_transfer;
	int retries;                     /* --retries (default 3) */
	int64_t retries_sleep;           /* ns */
	int human_readable;
	/* Backend options. */
	int copy_links, links, inplace, local_no_sync;
	const char *partial_suffix;
	/* Network backends (S3, Azure Blob). */
	const char *bwlimit;             /* --bwlimit RATE (cli_net_setup parses it) */
	const char *ca_cert;             /* --ca-cert FILE */
	const char *user_agent;          /* --user-agent */
	int no_check_certificate;        /* --no-check-certificate */
	int64_t timeout, contimeout;     /* --timeout, --contimeout (ns) */
	/* Transfer options (engine). */
	struct duet_xfer_opts x;
	const char *backup_dir, *compare_dest, *copy_dest, *suffix;
	const char *delete_mode_flag;    /* last of --delete-after/during/before */
	/* Filters, in order. */
	struct cli_filter_arg filters[CLI_MAX_LIST];
	int nfilters;
	int ignore_case;
	struct duet_filter_limits limits;
	/* Listing commands. */
	int recursive;                   /* -R / --recursive */
	const char *format;              /* lsf --format */
	const char *separator;           /* lsf --separator */
	int dirs_only, files_only, absolute, dir_slash_off, lsf_csv;
	const char *hash_kind;           /* --hash TYPE (lsf, lsjson, hashsum) */
	int hash_flag;                   /* --hash given without a value (lsjson) */
	int no_modtime, no_mimetype, original, encrypted, lsjson_stat;
	int json;                        /* size, listremotes --json */
	int listremotes_long;            /* listremotes --long */
	/* check. */
	int one_way, download;
	const char *combined, *missing_on_src, *missing_on_dst, *match, *differ, *error_file;
	/* touch / cat / hashsum. */
	int no_create;
	const char *timestamp;
	int64_t cat_head, cat_tail, cat_offset, cat_count;
	int cat_discard;
	const char *output_file, *checkfile;
	int base64;
	/* bisync (cli/cmd_bisync.c; --max-delete is a percentage there). */
	int resync, check_access, remove_empty_dirs, download_hash, force;
	int ignore_listing_checksum, no_cleanup, recover, resilient, no_slow_hash;
	int slow_hash_sync_only, no_unicode_normalization, ignore_case_sync, fix_case;
	const char *resync_mode, *check_filename, *check_sync, *compare;
	const char *conflict_resolve, *conflict_loser, *conflict_suffix;
	const char *backup_dir1, *backup_dir2, *filters_file, *workdir;
	int64_t max_lock;                /* ns; 0 = never expires */
	/* rmdirs. */
	int leave_root;
	int rmdirs;                      /* delete --rmdirs */
	/* config (config/cmd_config.c). */
	const char *config_path;         /* --config FILE; NULL: $DUET_CONFIG or default */
	int config_obscure;              /* config create/update --obscure */
	int config_no_obscure;           /* config create/update --no-obscure */
};

/* Fills rclone's defaults. */
void cli_opts_init(struct cli_opts *o);

/*
 * Parses argv (after the program name). The first positional is the
 * command unless `cmd` is given (argv[0] was "bisync"). Errors print one
 * line to stderr and return 2 (usage); 0 on success.
 */
int cli_parse(int argc, char **argv, const char *cmd, struct cli_opts *o);

/* Builds the filter from the filter flags (order kept). Exit code or 0. */
int cli_build_filter(const struct cli_opts *o, struct duet_filter **out);

/* Backend options derived from the flags. */
void cli_fs_opts(const struct cli_opts *o, struct duet_fs_opts *fo);

/* Prints the flags that apply to a command (help text). */
void cli_print_flags(const char *cmd);

/* Parses rclone sizes ("10M", "1.5G", "off") into bytes; -1 for off. */
int cli_parse_size(const char *s, int64_t *out);
/* Parses rclone durations ("1h30m", "10s", "500ms", "2d", plain seconds). */
int cli_parse_duration(const char *s, int64_t *out);

#endif
