/*
 * main.c: duet's entry point. Dispatches on argv[0] (the binary answers to
 * the name "bisync" too) and on the command word, sets up logging, and
 * turns the command's result into rclone's exit code.
 */
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"

int
main(int argc, char **argv)
{
	struct cli_opts o;
	const struct cli_cmd *c;
	char *prog = basename(argv[0]);
	int ec;

	cli_opts_init(&o);
	ec = cli_parse(argc - 1, argv + 1, strcmp(prog, "bisync") == 0 ? "bisync" : NULL, &o);
	if (ec != 0)
		return ec;
	if (o.cmd == NULL) {
		o.cmd = "help";
		o.nargs = 0;
	}
	c = cli_cmd_find(o.cmd);
	if (c == NULL) {
		fprintf(stderr, "Error: unknown command \"%s\" for \"duet\": run 'duet help' for the list\n",
		    o.cmd);
		return EXIT_USAGE;
	}
	if (o.nargs < c->min_args || (c->max_args >= 0 && o.nargs > c->max_args)) {
		fprintf(stderr, "Usage: duet %s %s\n", c->name, c->usage);
		if (c->max_args == c->min_args)
			fprintf(stderr, "Error: command %s needs %d argument%s but got %d\n", c->name,
			    c->min_args, c->min_args == 1 ? "" : "s", o.nargs);
		else
			fprintf(stderr, "Error: command %s needs %d to %d arguments but got %d\n",
			    c->name, c->min_args, c->max_args, o.nargs);
		return EXIT_USAGE;
	}
	if ((ec = cli_log_setup(&o)) != 0)
		return ec;
	if ((ec = cli_net_setup(&o)) != 0) {
		cli_log_close();
		return ec;
	}
	ec = c->run(&o);
	cli_log_close();
	return ec;
}
