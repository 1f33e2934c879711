/*
 * copyfd.h: kernel-side copy between two file descriptors
 * (copy_file_range), with a read/write fallback. Used by the engine for
 * local-to-local copies so bytes never pass through user space.
 */
#ifndef DUET_CORE_COPYFD_H
#define DUET_CORE_COPYFD_H

#include <stdatomic.h>
#include <stdint.h>

/*
 * Copies from in_fd's current offset to out_fd's until the end of in_fd.
 * Adds each chunk to *progress (may be NULL). Returns bytes copied (>= 0)
 * or a negative DUET_E_* code with the message set.
 */
int64_t duet_copy_fd(int in_fd, int out_fd, atomic_llong *progress);

#endif
