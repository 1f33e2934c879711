/*
 * error.h: duet's error codes and the per-thread detail message.
 *
 * Every fallible function returns int: 0 on success, a negative DUET_E_*
 * code otherwise. The human message is set once, where the failure happens,
 * with duet_err_set(); callers pass the code up unchanged. Codes are only
 * ever appended, never renumbered.
 */
#ifndef DUET_CORE_ERROR_H
#define DUET_CORE_ERROR_H

enum duet_err {
	DUET_OK = 0,
	DUET_E_NOMEM = -1,       /* allocation failed */
	DUET_E_IO = -2,          /* generic I/O failure */
	DUET_E_NOTFOUND = -3,    /* file or directory does not exist */
	DUET_E_EXIST = -4,       /* already exists */
	DUET_E_PERM = -5,        /* permission denied */
	DUET_E_NOSPC = -6,       /* no space left on device / quota */
	DUET_E_INVAL = -7,       /* bad argument or input */
	DUET_E_NOTDIR = -8,      /* a file where a directory is needed */
	DUET_E_ISDIR = -9,       /* a directory where a file is needed */
	DUET_E_UNSUPPORTED = -10,/* backend lacks the operation */
	DUET_E_BADNAME = -11,    /* a name that cannot be stored or is hostile */
	DUET_E_CORRUPT = -12,    /* corrupt state or data */
	DUET_E_AUTH = -13,       /* authentication failed */
	DUET_E_NET = -14,        /* network failure, retryable */
	DUET_E_TEMP = -15,       /* temporary failure, retryable */
	DUET_E_CHANGED = -16,    /* source changed while it was being copied */
	DUET_E_HASH = -17,       /* hash mismatch after a transfer */
	DUET_E_CANCELLED = -18,  /* stopped by a limit or a signal */
	DUET_E_USAGE = -19,      /* bad command line */
	DUET_E_NOTEMPTY = -20,   /* directory not empty */
	DUET_E_LOOP = -21,       /* symlink where none is allowed */
	DUET_E_NAMETOOLONG = -22,/* name too long for the destination */
	DUET_E_XDEV = -23,       /* cross-device, caller falls back */
	DUET_E_MAXTRANSFER = -24,/* --max-transfer reached */
	DUET_E_MAXDURATION = -25,/* --max-duration reached */
};

/*
 * Set this thread's error message from a printf format and return code, so
 * a failure reads `return duet_err_set(DUET_E_IO, "open %s", path);`.
 */
int duet_err_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Like duet_err_set, but maps errno value `e` to a code and appends
 * ": <strerror(e)>" to the message.
 */
int duet_err_errno(int e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Map an errno value to a DUET_E_* code (never DUET_OK). */
int duet_err_from_errno(int e);

/*
 * This thread's last message. Valid until the next duet_err_set on this
 * thread. Never NULL; falls back to the code's generic text.
 */
const char *duet_err_msg(void);

/* The last code set on this thread (0 if none). */
int duet_err_code(void);

/* Forget this thread's last error. */
void duet_err_clear(void);

/* A static description of a code ("permission denied"). */
const char *duet_err_str(int code);

/* True when an operation failing with `code` is worth retrying. */
int duet_err_retryable(int code);

#endif
