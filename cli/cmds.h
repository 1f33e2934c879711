/*
 * cmds.h: the entry point of every command (one per cmd_*.c function),
 * for the command table in commands.c. Each returns an exit code.
 */
#ifndef DUET_CLI_CMDS_H
#define DUET_CLI_CMDS_H

#include "cli/opts.h"

int cmd_bisync(struct cli_opts *o);
int cmd_cat(struct cli_opts *o);
int cmd_check(struct cli_opts *o);
int cmd_copy(struct cli_opts *o);
int cmd_config(struct cli_opts *o);
int cmd_copyto(struct cli_opts *o);
int cmd_delete(struct cli_opts *o);
int cmd_deletefile(struct cli_opts *o);
int cmd_hashsum(struct cli_opts *o);
int cmd_ls(struct cli_opts *o);
int cmd_lsd(struct cli_opts *o);
int cmd_lsf(struct cli_opts *o);
int cmd_lsjson(struct cli_opts *o);
int cmd_lsl(struct cli_opts *o);
int cmd_md5sum(struct cli_opts *o);
int cmd_mkdir(struct cli_opts *o);
int cmd_move(struct cli_opts *o);
int cmd_moveto(struct cli_opts *o);
int cmd_obscure(struct cli_opts *o);
int cmd_purge(struct cli_opts *o);
int cmd_reveal(struct cli_opts *o);
int cmd_listremotes(struct cli_opts *o);
int cmd_rmdir(struct cli_opts *o);
int cmd_rmdirs(struct cli_opts *o);
int cmd_cleanup(struct cli_opts *o);
int cmd_sha1sum(struct cli_opts *o);
int cmd_size(struct cli_opts *o);
int cmd_sync(struct cli_opts *o);
int cmd_touch(struct cli_opts *o);
int cmd_bisync_listings(struct cli_opts *o);

#endif
