/*
 * copyfd.c: copy_file_range with a read/write fallback.
 */
#define _GNU_SOURCE
#include "copyfd.h"

#include <errno.h>
#include <unistd.h>

#include "error.h"

static int64_t
copyfd_rw(int in_fd, int out_fd, atomic_llong *progress, int64_t done)
{
	static _Thread_local char buf[256 * 1024];
	for (;;) {
		ssize_t n = read(in_fd, buf, sizeof(buf)), off = 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return duet_err_errno(errno, "read");
		if (n == 0)
			return done;
		while (off < n) {
			ssize_t w = write(out_fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return duet_err_errno(errno, "write");
			off += w;
		}
		done += n;
		if (progress != NULL)
			atomic_fetch_add(progress, n);
	}
}

int64_t
duet_copy_fd(int in_fd, int out_fd, atomic_llong *progress)
{
	int64_t done = 0;
	for (;;) {
		ssize_t n = copy_file_range(in_fd, NULL, out_fd, NULL, 1 << 30, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && done == 0 && (errno == EXDEV || errno == ENOSYS ||
		    errno == EINVAL || errno == EOPNOTSUPP || errno == EBADF))
			return copyfd_rw(in_fd, out_fd, progress, 0);
		if (n < 0)
			return duet_err_errno(errno, "copy");
		if (n == 0)
			return done;
		done += n;
		if (progress != NULL)
			atomic_fetch_add(progress, n);
	}
}
