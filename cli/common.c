/*
 * common.c: exit codes, opening remotes, the log sink and -i prompts.
 */
#include "cli.h"

#include "config/config.h"
#include "core/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/bwlimit.h"
#include "backends/registry.h"
#include "core/error.h"
#include "core/log.h"

int
cli_exit_code(int code)
{
	switch (code) {
	case 0: return EXIT_OK;
	case DUET_E_USAGE: return EXIT_USAGE;
	case DUET_E_MAXTRANSFER: return EXIT_MAX_TRANSFER;
	case DUET_E_MAXDURATION: return EXIT_MAX_DURATION;
	case DUET_E_CANCELLED: return EXIT_FATAL;
	case DUET_E_NET:
	case DUET_E_TEMP: return EXIT_TEMPORARY;
	default: return EXIT_ERROR;
	}
}

static struct duet_config *cli_cfg; /* loaded on the first name:path; kept to exit */

int
cli_remote_lookup(void *ctx, const char *name, struct duet_remote *r)
{
	char *path = NULL;
	int rc;
	if (cli_cfg == NULL) {
		if (duet_config_path(ctx, &path) != 0)
			return duet_config_lookup(NULL, name, r); /* no HOME: environment only */
		rc = duet_config_load(path, &cli_cfg);
		duet_free(path);
		if (rc != 0)
			return rc;
	}
	return duet_config_lookup(cli_cfg, name, r);
}

int
cli_open(const struct cli_opts *o, const char *spec, struct duet_fs **out)
{
	struct duet_fs_opts fo;
	int rc;
	cli_fs_opts(o, &fo);
	rc = duet_fs_open(spec, &fo, out);
	if (rc == 0)
		return 0;
	fprintf(stderr, "Error: %s\n", duet_err_msg());
	return rc == DUET_E_USAGE ? EXIT_USAGE
	    : rc == DUET_E_NOTFOUND || rc == DUET_E_NOTDIR ? EXIT_DIR_NOT_FOUND : EXIT_ERROR;
}

void
cli_walk_opts(const struct cli_opts *o, const struct duet_filter *f, struct duet_walk_opts *w)
{
	memset(w, 0, sizeof(*w));
	w->filter = f != NULL && duet_filter_active(f) ? f : NULL;
	w->checkers = o->x.checkers > 0 ? o->x.checkers : 8;
	w->max_depth = o->limits.max_depth;
	w->fast_list = o->x.fast_list;
}

/* ---- logging ---- */

static FILE *log_fp;    /* --log-file, or NULL for stderr */
static int log_json;

static void
log_json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

static void
log_sink(enum duet_log_level level, const char *object, const char *msg, void *ctx)
{
	FILE *fp = log_fp ? log_fp : stderr;
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	(void)ctx;
	localtime_r(&now, &tm);
	if (log_json) {
		static const char *names[] = {"error", "notice", "info", "debug"};
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S%z", &tm);
		fprintf(fp, "{\"level\":\"%s\",\"msg\":", names[level]);
		log_json_str(fp, msg);
		if (object != NULL) {
			fprintf(fp, ",\"object\":");
			log_json_str(fp, object);
		}
		fprintf(fp, ",\"source\":\"duet\",\"time\":\"%s\"}\n", ts);
	} else {
		strftime(ts, sizeof(ts), "%Y/%m/%d %H:%M:%S", &tm);
		if (object != NULL)
			fprintf(fp, "%s %-6s: %s: %s\n", ts, duet_log_level_name(level), object, msg);
		else
			fprintf(fp, "%s %-6s: %s\n", ts, duet_log_level_name(level), msg);
	}
	fflush(fp);
}

int
cli_log_setup(const struct cli_opts *o)
{
	int level = DUET_LOG_NOTICE;
	if (o->verbose == 1)
		level = DUET_LOG_INFO;
	else if (o->verbose >= 2)
		level = DUET_LOG_DEBUG;
	if (o->quiet)
		level = DUET_LOG_ERROR;
	if (o->log_level != NULL) {
		level = duet_log_level_parse(o->log_level);
		if (level < 0) {
			fprintf(stderr, "Error: --log-level \"%s\": want DEBUG, INFO, NOTICE or ERROR\n",
			    o->log_level);
			return EXIT_USAGE;
		}
	}
	if (o->log_file != NULL) {
		log_fp = fopen(o->log_file, "a");
		if (log_fp == NULL) {
			fprintf(stderr, "Error: --log-file %s: %s\n", o->log_file, strerror(errno));
			return EXIT_USAGE;
		}
		/* rclone logs at INFO to a log file when no level was asked for. */
		if (o->log_level == NULL && !o->quiet && level < DUET_LOG_INFO)
			level = DUET_LOG_INFO;
	}
	log_json = o->use_json_log;
	duet_log_set_level((enum duet_log_level)level);
	duet_log_set_sink(log_sink, NULL);
	return 0;
}

int
cli_net_setup(const struct cli_opts *o)
{
	int64_t rate = 0;
	if (o->bwlimit != NULL && cli_parse_size(o->bwlimit, &rate) != 0) {
		fprintf(stderr, "Error: --bwlimit \"%s\": want a rate such as 512k, 10M or off "
		    "(timetables and UP:DOWN pairs are not supported)\n", o->bwlimit);
		return EXIT_USAGE;
	}
	duet_bwlimit_set(duet_bwlimit_global(), rate);
	return 0;
}

void
cli_log_close(void)
{
	duet_log_set_sink(NULL, NULL);
	if (log_fp != NULL)
		fclose(log_fp);
	log_fp = NULL;
}

/* ---- -i / --interactive ---- */

static int confirm_all;   /* 'a': yes to everything after */

int
cli_interactive_check(const struct cli_opts *o)
{
	if (o->interactive && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "Error: --interactive needs a terminal to ask on: run it in a terminal, "
		    "or drop -i (use --dry-run to preview)\n");
		return EXIT_USAGE;
	}
	return 0;
}

int
cli_confirm(void *ctx, const char *action, const char *path)
{
	char line[64];
	(void)ctx;
	if (confirm_all)
		return 1;
	for (;;) {
		fprintf(stderr, "duet: %s \"%s\"?\n"
		    "y) Yes, this is OK\nn) No, skip this\na) Yes to all that follow\n"
		    "q) Quit now\ny/n/a/q> ", action, path);
		fflush(stderr);
		if (fgets(line, sizeof(line), stdin) == NULL)
			return -1;
		switch (line[0]) {
		case 'y': case 'Y': case '\n': return 1;
		case 'n': case 'N': return 0;
		case 'a': case 'A': confirm_all = 1; return 1;
		case 'q': case 'Q': return -1;
		default: break;
		}
	}
}
