/*
 * error.c: per-thread error message storage and errno mapping.
 */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char err_buf[1024];
static _Thread_local int err_last;

/* Formats into a scratch buffer first: an argument may be the current
 * message (duet_err_msg()) that a caller extends. */
static void
err_vset(int code, const char *fmt, va_list ap, const char *tail)
{
	char tmp[sizeof(err_buf)];
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	if (n < 0)
		tmp[0] = '\0';
	if (tail != NULL && n >= 0 && (size_t)n < sizeof(tmp))
		snprintf(tmp + n, sizeof(tmp) - (size_t)n, ": %s", tail);
	memcpy(err_buf, tmp, sizeof(err_buf));
	err_last = code;
}

int
duet_err_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(code, fmt, ap, NULL);
	va_end(ap);
	return code;
}

int
duet_err_errno(int e, const char *fmt, ...)
{
	char why[128];
	int code = duet_err_from_errno(e);
	va_list ap;
	/* strerror_r (XSI) is thread-safe; strerror is not. */
	if (strerror_r(e, why, sizeof(why)) != 0)
		snprintf(why, sizeof(why), "error %d", e);
	va_start(ap, fmt);
	err_vset(code, fmt, ap, why);
	va_end(ap);
	return code;
}

int
duet_err_from_errno(int e)
{
	switch (e) {
	case ENOMEM: return DUET_E_NOMEM;
	case ENOENT: return DUET_E_NOTFOUND;
	case EEXIST: return DUET_E_EXIST;
	case EACCES:
	case EPERM:
	case EROFS: return DUET_E_PERM;
	case ENOSPC:
	case EDQUOT:
	case EFBIG: return DUET_E_NOSPC;
	case EINVAL: return DUET_E_INVAL;
	case ENOTDIR: return DUET_E_NOTDIR;
	case EISDIR: return DUET_E_ISDIR;
	case ENOTEMPTY: return DUET_E_NOTEMPTY;
	case ELOOP: return DUET_E_LOOP;
	case ENAMETOOLONG: return DUET_E_NAMETOOLONG;
	case EXDEV: return DUET_E_XDEV;
	case EOPNOTSUPP: return DUET_E_UNSUPPORTED;
	case EILSEQ: return DUET_E_BADNAME;
	case EAGAIN:
	case EINTR: return DUET_E_TEMP;
	default: return DUET_E_IO;
	}
}

const char *
duet_err_str(int code)
{
	switch (code) {
	case DUET_OK: return "success";
	case DUET_E_NOMEM: return "out of memory";
	case DUET_E_IO: return "input/output error";
	case DUET_E_NOTFOUND: return "not found";
	case DUET_E_EXIST: return "already exists";
	case DUET_E_PERM: return "permission denied";
	case DUET_E_NOSPC: return "no space left on device";
	case DUET_E_INVAL: return "invalid argument";
	case DUET_E_NOTDIR: return "not a directory";
	case DUET_E_ISDIR: return "is a directory";
	case DUET_E_UNSUPPORTED: return "operation not supported";
	case DUET_E_BADNAME: return "invalid file name";
	case DUET_E_CORRUPT: return "corrupt data";
	case DUET_E_AUTH: return "authentication failed";
	case DUET_E_NET: return "network error";
	case DUET_E_TEMP: return "temporary failure";
	case DUET_E_CHANGED: return "source changed during transfer";
	case DUET_E_HASH: return "hash mismatch";
	case DUET_E_CANCELLED: return "cancelled";
	case DUET_E_USAGE: return "usage error";
	case DUET_E_NOTEMPTY: return "directory not empty";
	case DUET_E_LOOP: return "symbolic link not followed";
	case DUET_E_NAMETOOLONG: return "file name too long";
	case DUET_E_XDEV: return "cross-device link";
	case DUET_E_MAXTRANSFER: return "max transfer limit reached";
	case DUET_E_MAXDURATION: return "max duration reached";
	default: return "unknown error";
	}
}

const char *
duet_err_msg(void)
{
	if (err_buf[0] == '\0')
		return duet_err_str(err_last);
	return err_buf;
}

int
duet_err_code(void)
{
	return err_last;
}

void
duet_err_clear(void)
{
	err_buf[0] = '\0';
	err_last = 0;
}

int
duet_err_retryable(int code)
{
	return code == DUET_E_NET || code == DUET_E_TEMP || code == DUET_E_IO ||
	    code == DUET_E_CHANGED || code == DUET_E_HASH;
}
