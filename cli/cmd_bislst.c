/*
 * cmd_bislst.c: `duet bisync-listings export|import PATH1 PATH2 DIR`:
 * rclone-compatible `.lst` export of a bisync pair's stored listings, and
 * import of rclone bisync's listings so a pair moves over without --resync.
 * The work is in bisync/listings.c; this file checks the verb.
 */
#include "cli.h"
#include "cmds.h"

#include <stdio.h>
#include <string.h>

#include "bisync/listings.h"

int
cmd_bisync_listings(struct cli_opts *o)
{
	struct duet_bislst_opts b;
	const char *verb = o->args[0];

	int forget = strcmp(verb, "forget") == 0;

	if (strcmp(verb, "export") != 0 && strcmp(verb, "import") != 0 && !forget) {
		fprintf(stderr, "Error: bisync-listings: unknown verb \"%s\" (want export, import "
		    "or forget)\n", verb);
		return EXIT_USAGE;
	}
	if (o->nargs != (forget ? 3 : 4)) {
		fprintf(stderr, "Error: bisync-listings %s needs %s\n", verb,
		    forget ? "PATH1 PATH2" : "PATH1 PATH2 DIR");
		return EXIT_USAGE;
	}
	memset(&b, 0, sizeof(b));
	b.path1 = o->args[1];
	b.path2 = o->args[2];
	b.dir = forget ? "." : o->args[3];
	b.workdir = o->workdir;
	b.filters_file = o->filters_file;
	cli_fs_opts(o, &b.fs);
	if (forget)
		return (int)duet_bislst_forget(&b);
	if (strcmp(verb, "export") == 0)
		return (int)duet_bislst_export(&b);
	return (int)duet_bislst_import(&b);
}
