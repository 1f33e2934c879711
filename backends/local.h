/*
 * local.h: the local filesystem backend ("local"). Every access goes through
 * a directory fd on the root with the *at() calls, and no symlink inside the
 * tree is followed unless the links mode is DUET_LINKS_FOLLOW (-L). Writes
 * go to a temp file in the target's directory and are renamed into place at
 * commit, so a reader never sees a partial file. See docs/backend-local.md.
 */
#ifndef DUET_BACKENDS_LOCAL_H
#define DUET_BACKENDS_LOCAL_H

#include <stdint.h>

#include "core/backend.h"

/*
 * The backend table (name "local"). open() takes r->path, absolute or
 * relative to the current directory ("" is the current directory), and
 * never fails because the root is missing: it is created (mkdir -p) by the
 * first write. Capabilities: MOVE, COPY, SETMTIME, DIRS, LOCAL; mtime
 * precision 1 ns; all five hash kinds, computed by reading the file.
 * fs->canon is "local:" + the real path of the root (of its nearest
 * existing ancestor plus the rest, while it does not exist).
 *
 * Symlinks by mode: SKIP reports none (a NOTICE per link); FOLLOW reports
 * what each points to (a broken one or a loop back to an ancestor: NOTICE,
 * skipped); STORE reports NAME.rclonelink, a file whose content is the
 * link's target (flag DUET_EF_LINK), and writing NAME.rclonelink creates
 * the symlink NAME at commit.
 *
 * Streams expose their fds (rstream->fd readable, wstream->fd writable)
 * except for .rclonelink streams, which are in memory (fd -1). An fs may
 * be used from several threads at once.
 */
extern const struct duet_backend duet_local_backend;

#endif
