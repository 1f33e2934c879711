/*
 * commands.c: the command table, `help` and `version`.
 */
#include "cli.h"
#include "cmds.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <libssh2.h>
#include <lmdb.h>
#include <openssl/opensslv.h>

static int cmd_help(struct cli_opts *o);
static int cmd_version(struct cli_opts *o);

static const struct cli_cmd cmd_tab[] = {
	{"sync", cmd_sync, 2, 2, "source:path dest:path",
	    "Make the destination match the source (deletes extra files there).",
	    "Sync the source to the destination, changing the destination only. Files\n"
	    "that are identical (size and modification time, or --checksum) are not\n"
	    "transferred. Destination files the source lacks are deleted after all\n"
	    "transfers succeeded (--delete-before/--delete-during change when), and never\n"
	    "when the run saw errors (\"not deleting files as there were IO errors\").\n"
	    "--max-delete N stops after N deletes. Use --dry-run first.\n"},
	{"copy", cmd_copy, 2, 2, "source:path dest:path",
	    "Copy new and changed files to the destination; delete nothing.",
	    "Copy the source to the destination. Identical files are skipped;\n"
	    "nothing is deleted. Copies the contents of the source directory, not the\n"
	    "directory itself. A source that names a file copies that file into dest.\n"},
	{"move", cmd_move, 2, 2, "source:path dest:path",
	    "Copy files to the destination, then remove them from the source.",
	    "Copy files from source to dest, then delete each source file once its copy\n"
	    "is verified (files already identical at the destination are deleted from\n"
	    "the source too). Directories are left in place.\n"},
	{"copyto", cmd_copyto, 2, 2, "source:path dest:path",
	    "Copy one file to a destination file name (or a directory, as copy).",
	    "Like copy, but when the source is a file, dest names the new file (it may\n"
	    "have a different name). A directory source behaves exactly as copy.\n"},
	{"moveto", cmd_moveto, 2, 2, "source:path dest:path",
	    "Move one file to a destination file name (or a directory, as move).",
	    "Like move, but when the source is a file, dest names the new file.\n"},
	{"bisync", cmd_bisync, 2, 2, "PATH1 PATH2",
	    "Keep two directories in agreement both ways (rclone bisync).",
	    "Compares each side with the listings stored by the previous run, copies\n"
	    "new and changed files both ways, propagates deletes, and keeps both versions\n"
	    "of a file changed on both sides (FILE.conflict1 / FILE.conflict2, see\n"
	    "--conflict-resolve, --conflict-loser, --conflict-suffix). The first run needs\n"
	    "--resync. A run that would delete more than --max-delete percent (default\n"
	    "50) of a side stops unless --force. State lives in an LMDB workdir\n"
	    "(--workdir, default ~/.local/state/duet/bisync). See docs/bisync.md.\n"},
	{"bisync-listings", cmd_bisync_listings, 3, 4, "export|import PATH1 PATH2 DIR | forget PATH1 PATH2",
	    "Export a bisync pair's listings as rclone .lst files, import rclone's, or forget them.",
	    "export PATH1 PATH2 DIR writes DIR/SESSION.path1.lst and .path2.lst (rclone\n"
	    "bisync's format and names) from the listings the last run stored; exit 3\n"
	    "when the pair has none (never ran --resync). import PATH1 PATH2 DIR reads\n"
	    "those two files from rclone's workdir (rclone's default is\n"
	    "~/.cache/rclone/bisync), stores them as the pair's listings and marks it\n"
	    "clean, so the next `duet bisync PATH1 PATH2` runs without --resync; exit 3\n"
	    "when a file is missing, 1 when one is unusable. SESSION is rclone's session\n"
	    "name of the two paths. forget PATH1 PATH2 drops the pair's listings (as\n"
	    "deleting rclone's .lst files would): the next run needs --resync.\n"
	    "--workdir is duet's workdir. See docs/bisync.md.\n"},
	/* BEGIN more commands (one line each) */
	{"ls", cmd_ls, 1, 1, "remote:path",
	    "List files recursively: size and path.",
	    "Lists every file below the path, one per line: the size right-aligned in\n"
	    "nine columns, a space, the path. Recursive; --max-depth 1 stops at the top\n"
	    "level. Filters apply. A missing directory is exit code 3.\n"},
	{"lsl", cmd_lsl, 1, 1, "remote:path",
	    "List files recursively: size, modification time and path.",
	    "Like ls, with the modification time (local time, nanoseconds) between the\n"
	    "size and the path: \"     1234 2006-01-02 15:04:05.000000000 dir/file\".\n"},
	{"lsd", cmd_lsd, 1, 1, "remote:path",
	    "List directories (top level; -R for all).",
	    "Lists directories only: -1 (size unknown), the modification time, -1\n"
	    "(count unknown) and the name. Only the top level unless -R or --max-depth.\n"},
	{"lsf", cmd_lsf, 1, 1, "remote:path",
	    "List files and directories in a format chosen for scripts.",
	    "One entry per line, directories with a trailing slash; the top level only\n"
	    "unless -R. --format picks the fields: p path, s size, t modification time,\n"
	    "h hash (--hash picks the kind, md5 by default), m MIME type, i ID, o\n"
	    "original ID, T tier (the last three are always empty here); e and M are\n"
	    "not supported. --separator joins the fields, --csv quotes them as CSV.\n"
	    "--dirs-only, --files-only, --absolute and --dir-slash=false shape the list.\n"},
	{"lsjson", cmd_lsjson, 1, 1, "remote:path",
	    "List files and directories as a JSON array.",
	    "Prints a JSON array with one object per line: Path, Name, Size, MimeType,\n"
	    "ModTime (RFC 3339, nanoseconds, local offset), IsDir, and Hashes with\n"
	    "--hash (all kinds) or --hash-type KIND. -R recurses; --no-modtime,\n"
	    "--no-mimetype, --dirs-only and --files-only trim it. --stat prints just the\n"
	    "object the path names, indented.\n"},
	{"size", cmd_size, 1, 1, "remote:path",
	    "Count the files under a path and add up their sizes.",
	    "Counts the files below the path and adds up their sizes, printed both in\n"
	    "human units and exactly; --json prints {\"count\":N,\"bytes\":N,\"sizeless\":N}.\n"},
	{"check", cmd_check, 2, 2, "source:path dest:path",
	    "Compare source and destination by size and hash; report differences.",
	    "Compares every file by size and then by a hash both sides have (or, with\n"
	    "--download, by reading both; --size-only: sizes only). Each difference and\n"
	    "missing file is logged; the exit code is 1 when any was found. --one-way\n"
	    "ignores files only on the destination. --combined FILE writes \"= path\"\n"
	    "(same), \"* path\" (different), \"+ path\" (only in source), \"- path\" (only\n"
	    "in dest), \"! path\" (error); --match, --differ, --missing-on-src,\n"
	    "--missing-on-dst and --error write plain path lists (\"-\" is stdout).\n"
	    "--checkfile HASH treats source:path as a SUM file of that hash.\n"},
	{"hashsum", cmd_hashsum, 0, 2, "<hash> remote:path",
	    "Print a checksum file (any hash kind) for every file under a path.",
	    "Prints \"DIGEST  path\" for every file, sorted by path, as md5sum/sha1sum\n"
	    "do. Without arguments, lists the hash kinds. Without a path (or with \"-\"),\n"
	    "hashes stdin. --base64 prints base64 digests, --output-file writes them to\n"
	    "a file, --checkfile SUMFILE verifies the path against a SUM file instead.\n"},
	{"md5sum", cmd_md5sum, 0, 1, "remote:path",
	    "Print an md5sum-style file for every file under a path.",
	    "The same as \"duet hashsum md5 remote:path\".\n"},
	{"sha1sum", cmd_sha1sum, 0, 1, "remote:path",
	    "Print a sha1sum-style file for every file under a path.",
	    "The same as \"duet hashsum sha1 remote:path\".\n"},
	{"mkdir", cmd_mkdir, 1, 1, "remote:path", "Create a directory (and its parents) unless it exists.",
	    "Creates the directory and any missing parents. An existing directory is fine.\n"},
	{"rmdir", cmd_rmdir, 1, 1, "remote:path", "Remove one directory, which must be empty.",
	    "Removes the directory only when it is empty (no files, no subdirectories).\n"},
	{"rmdirs", cmd_rmdirs, 1, 1, "remote:path", "Remove every empty directory under a path.",
	    "Removes, deepest first, every directory below the path that holds no file,\n"
	    "then the path itself when it is empty, unless --leave-root. Filters do not\n"
	    "apply.\n"},
	{"delete", cmd_delete, 1, 1, "remote:path", "Delete the files under a path (filters apply); keep directories.",
	    "Deletes every file below the path that the filters pass, leaving the\n"
	    "directories (--rmdirs removes the ones left empty, but not the root).\n"
	    "Honours --dry-run, -i and --max-delete. Try --dry-run first.\n"},
	{"deletefile", cmd_deletefile, 1, 1, "remote:path", "Delete exactly one file.",
	    "Deletes the one file the path names; filters do not apply. A directory or a\n"
	    "missing file is exit code 4.\n"},
	{"purge", cmd_purge, 1, 1, "remote:path", "Delete a directory with everything in it (filters do not apply).",
	    "Deletes the directory with everything in it. Filters do NOT apply: use\n"
	    "delete to remove only some files. Try --dry-run or -i first.\n"},
	{"cleanup", cmd_cleanup, 1, 1, "remote:path",
	    "Remove what interrupted uploads left on the server.",
	    "S3: aborts the multipart uploads below the path that were started more\n"
	    "than 24 hours ago and never finished (a run killed in the middle of a\n"
	    "large upload leaves its parts, invisible but billed). Younger ones may\n"
	    "belong to a running transfer and are left alone. --dry-run lists them.\n"
	    "Local and SFTP: deletes the temporary files (NAME.xxxxxxxx.partial) that\n"
	    "killed transfers left and no listing shows, when older than 24 hours.\n"
	    "Azure discards uncommitted blocks itself: nothing to do.\n"},
	{"touch", cmd_touch, 1, 1, "remote:path", "Set a file's modification time, creating it empty if missing.",
	    "Sets the file's modification time to now, or to --timestamp (UTC, given as\n"
	    "YYMMDD, YYYY-MM-DDTHH:MM:SS or YYYY-MM-DDTHH:MM:SS.SSS). A missing file is\n"
	    "created empty unless --no-create. -R touches every file below a directory.\n"},
	{"cat", cmd_cat, 1, 1, "remote:path", "Write the contents of files to standard output.",
	    "Writes the file, or every file below the directory (filters apply), to\n"
	    "stdout. --head N and --tail N print the first or last N bytes; --offset N\n"
	    "(negative: from the end) with --count N a slice; --discard reads only.\n"},
	{"config", cmd_config, 0, -1, "create|update|unset|delete|show|dump|file|providers ...",
	    "Create, change, show and delete remotes in the config file.",
	    "The config file (rclone.conf's format) holds named remotes, used as\n"
	    "NAME:path. It is --config FILE, else $DUET_CONFIG, else\n"
	    "~/.config/duet/duet.conf. DUET_CONFIG_<NAME>_<KEY> environment variables\n"
	    "override a remote's keys (a remote needs DUET_CONFIG_<NAME>_TYPE to exist\n"
	    "there only).\n"
	    "  config create NAME TYPE [KEY VALUE]...   add a remote (passwords obscured)\n"
	    "  config update NAME KEY VALUE...          change keys of a remote\n"
	    "  config unset NAME KEY...                 remove keys of a remote\n"
	    "  config delete NAME                       remove a remote\n"
	    "  config show [NAME]                       print the file, or one remote\n"
	    "  config dump                              print the file as JSON\n"
	    "  config file                              print the file's path\n"
	    "  config providers                         the backend types and their options\n"
	    "A password given already obscured (it reveals cleanly) is stored as given;\n"
	    "--obscure forces obscuring, --no-obscure stores it as typed.\n"},
	{"obscure", cmd_obscure, 1, 1, "password",
	    "Obscure a password for use in the config file.",
	    "Prints the password obscured as rclone does (rclone reveals it, and duet\n"
	    "reveals rclone's). This is not encryption: anyone with the file can reveal\n"
	    "it. \"-\" reads the first line of stdin instead.\n"},
	{"reveal", cmd_reveal, 1, 1, "password",
	    "Reveal an obscured password from the config file.",
	    "Prints the plain text of a value obscured by duet or rclone. \"-\" reads the\n"
	    "first line of stdin instead.\n"},
	{"listremotes", cmd_listremotes, 0, 0, "",
	    "List the remotes in the config file and the environment.",
	    "Prints each remote as \"name:\", those of the config file in its order, then\n"
	    "those defined only by DUET_CONFIG_<NAME>_TYPE (named in lower case).\n"
	    "--long adds each remote's type; --json prints name, type and source.\n"},
	/* END more commands */
	{"version", cmd_version, 0, 0, "", "Print duet's version and its libraries' versions.",
	    "Print duet's version and the versions of the libraries it was built with.\n"},
	{"help", cmd_help, 0, 1, "[command]", "Show help for duet commands and flags.",
	    "duet help            the list of commands\n"
	    "duet help COMMAND    the help of one command, with its flags\n"
	    "duet help flags      the global flags\n"},
};

#define NCMDS (sizeof(cmd_tab) / sizeof(cmd_tab[0]))

const struct cli_cmd *
cli_cmd_find(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(cmd_tab[i].name, name) == 0)
			return &cmd_tab[i];
	return NULL;
}

static int
cmd_version(struct cli_opts *o)
{
	(void)o;
	printf("duet v%s\n", DUET_VERSION);
	printf("- os/arch: linux\n");
	printf("- libcurl: %s\n", curl_version());
	printf("- libssh2: %s\n", LIBSSH2_VERSION);
	printf("- openssl: %s\n", OPENSSL_VERSION_TEXT);
	printf("- lmdb: %s\n", MDB_VERSION_STRING);
	return EXIT_OK;
}

static int
cmd_help(struct cli_opts *o)
{
	const struct cli_cmd *c;
	if (o->nargs == 0) {
		printf("duet: two-way and one-way file sync with rclone's flags.\n\n"
		    "Usage:\n  duet COMMAND [flags] ARGS...\n  bisync PATH1 PATH2 [flags]\n\n"
		    "Commands:\n");
		for (size_t i = 0; i < NCMDS; i++)
			printf("  %-12s %s\n", cmd_tab[i].name, cmd_tab[i].summary);
		printf("\nRun 'duet help COMMAND' for a command's flags, 'duet help flags' for the "
		    "global flags.\nPaths: /abs/path, rel/path, :local:path, remote:path.\n");
		return EXIT_OK;
	}
	if (strcmp(o->args[0], "flags") == 0) {
		cli_print_flags("");
		return EXIT_OK;
	}
	c = cli_cmd_find(o->args[0]);
	if (c == NULL) {
		fprintf(stderr, "Error: unknown command \"%s\": run 'duet help' for the list\n",
		    o->args[0]);
		return EXIT_USAGE;
	}
	printf("%s\n\nUsage:\n  duet %s %s\n\n%s\n", c->summary, c->name, c->usage, c->help);
	cli_print_flags(c->name);
	return EXIT_OK;
}
