/*
 * cmd_copyto.c: copyto and moveto, one file to a file of a chosen name
 * (a directory source behaves as copy/move).
 */
#include "cli.h"
#include "cmds.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"
#include "core/remote.h"

/* Splits "remote:dir/name" or "/dir/name" into parent spec and name. */
static int
split_spec(const struct cli_opts *o, const char *spec, char **parent, char **name)
{
	struct duet_remote r;
	size_t start = 0, len = strlen(spec);
	const char *slash;

	if (duet_remote_parse(spec, cli_remote_lookup, (void *)o->config_path, &r) == 0) {
		if (spec[0] == ':' || r.name != NULL)
			start = len - strlen(r.path);
		duet_remote_dispose(&r);
	} else if (strchr(spec, ':') != NULL) {
		start = (size_t)(strchr(spec, ':') - spec) + 1;
	}
	while (len > start + 1 && spec[len - 1] == '/')
		len--;
	slash = NULL;
	for (size_t i = len; i-- > start;)
		if (spec[i] == '/') {
			slash = spec + i;
			break;
		}
	if (slash == NULL) {
		*parent = start ? duet_strndup(spec, start) : duet_strdup(".");
		*name = duet_strndup(spec + start, len - start);
	} else {
		*parent = duet_strndup(spec, slash == spec ? 1 : (size_t)(slash - spec));
		*name = duet_strndup(slash + 1, len - (size_t)(slash - spec) - 1);
	}
	if (*parent == NULL || *name == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	if ((*name)[0] == '\0')
		return duet_err_set(DUET_E_USAGE, "%s: destination needs a file name", spec);
	return 0;
}

static int
copyto_one(struct cli_opts *o, struct duet_fs *src, struct duet_fs *dst, const char *name,
    enum duet_xfer_mode mode)
{
	struct duet_entry s, d;
	const struct duet_entry *sp = &s;
	const char *dp = name;
	struct duet_stats st;
	int rc, need;

	memset(&s, 0, sizeof(s));
	memset(&d, 0, sizeof(d));
	s.path = src->file;
	s.pathlen = (uint32_t)strlen(s.path);
	if ((rc = src->ops->stat(src, s.path, &s)) != 0) {
		fprintf(stderr, "Error: %s\n", duet_err_msg());
		return rc == DUET_E_NOTFOUND ? EXIT_FILE_NOT_FOUND : EXIT_ERROR;
	}
	o->x.mode = mode;
	o->x.dry_run = o->dry_run;
	duet_stats_init(&st);
	rc = dst->ops->stat(dst, name, &d);
	d.path = name;
	need = rc == 0 ? duet_xfer_need(&o->x, &s, &d, src->precision > dst->precision ?
	    src->precision : dst->precision, 0) : DUET_NEED_COPY;
	if (rc == 0 && d.type == DUET_T_DIR) {
		fprintf(stderr, "Error: destination %s is a directory\n", name);
		return EXIT_ERROR;
	}
	if (need == DUET_NEED_NONE) {
		duet_logo(DUET_LOG_DEBUG, name, "Unchanged skipping");
		if (mode == DUET_XFER_MOVE && !o->dry_run && (rc = src->ops->remove(src, s.path)) != 0) {
			fprintf(stderr, "Error: %s\n", duet_err_msg());
			return EXIT_ERROR;
		}
		return o->error_on_no_transfer ? EXIT_NO_TRANSFER : EXIT_OK;
	}
	cli_stats_start(o, &st);
	rc = duet_xfer_copy_list(src, &sp, &dp, 1, dst, &o->x, &st);
	cli_stats_stop(o, &st);
	if (rc != 0) {
		fprintf(stderr, "Error: %s\n", duet_err_msg());
		return cli_exit_code(rc);
	}
	return EXIT_OK;
}

static int
run_to(struct cli_opts *o, enum duet_xfer_mode mode)
{
	struct duet_fs *src = NULL, *dst = NULL;
	char *parent = NULL, *name = NULL;
	int ec;

	if ((ec = cli_interactive_check(o)) != 0)
		return ec;
	if ((ec = cli_open(o, o->args[0], &src)) != 0)
		return ec;
	if (src->file == NULL) {
		duet_fs_close(src);
		return mode == DUET_XFER_MOVE ? cmd_move(o) : cmd_copy(o);
	}
	if (split_spec(o, o->args[1], &parent, &name) != 0) {
		fprintf(stderr, "Error: %s\n", duet_err_msg());
		ec = EXIT_USAGE;
	} else if ((ec = cli_open(o, parent, &dst)) == 0) {
		if (o->interactive)
			o->x.confirm = cli_confirm;
		ec = copyto_one(o, src, dst, name, mode);
	}
	duet_free(parent);
	duet_free(name);
	duet_fs_close(dst);
	duet_fs_close(src);
	return ec;
}

int
cmd_copyto(struct cli_opts *o)
{
	return run_to(o, DUET_XFER_COPY);
}

int
cmd_moveto(struct cli_opts *o)
{
	return run_to(o, DUET_XFER_MOVE);
}
