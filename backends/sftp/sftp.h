/*
 * sftp.h: the SFTP backend ("sftp"), on libssh2. A pool of SSH sessions
 * serves the threads using one fs; writes go to a temporary name in the
 * target's directory and are renamed into place at commit; hashes come
 * from md5sum/sha1sum run on the server when it has a POSIX shell.
 * libssh2 1.10 is enough: what it lacks (posix-rename, copy-data) is sent
 * on a second SFTP channel of our own.
 */
#ifndef DUET_BACKENDS_SFTP_H
#define DUET_BACKENDS_SFTP_H

#include "core/backend.h"

/*
 * The backend table (name "sftp"). open() reads rclone's sftp keys from
 * the remote: host (required), user (default: the local user), port (22),
 * pass, key_file ("~" expanded), key_file_pass, key_pem (inline, "\n"
 * escapes allowed), pubkey_file, key_use_agent, known_hosts_file,
 * md5sum_command, sha1sum_command, shell_type (unix, none; detected when
 * unset), disable_hashcheck, set_modtime (true), skip_links, idle_timeout
 * (1m; 0 keeps connections), concurrency (64 outstanding requests per
 * file), connections (pool size, default 4; 0 means up to 64), subsystem
 * ("sftp") and path_override. pass, key_file_pass are obscured as rclone
 * does (revealed with config/obscure.h).
 *
 * open() connects at once, so a wrong host, host key or password fails
 * there (DUET_E_NET, DUET_E_AUTH). The path is relative to the login
 * directory unless it starts with '/'; a missing root is created by the
 * first write; a root naming a file opens its parent with fs->file set.
 *
 * Host keys: with known_hosts_file, the server's key must be listed there
 * (else DUET_E_AUTH naming its SHA256 fingerprint). Without it,
 * ~/.ssh/known_hosts is consulted: a different key for the host is
 * refused the same way, an unknown host is accepted with one NOTICE.
 *
 * Capabilities: MOVE (server-side rename, also replacing a file),
 * SETMTIME (unless set_modtime=false), DIRS, SLOW_HASH, and COPY when the
 * server offers the copy-data extension (OpenSSH >= 9.0). mtime precision
 * is 1 s. Hashes md5 and sha1 when the server runs md5sum and sha1sum.
 * Symlinks: skipped with a NOTICE, or followed with -L; -l (store) is not
 * supported and behaves as skip.
 */
extern const struct duet_backend duet_sftp_backend;

#endif
