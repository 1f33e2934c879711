/*
 * conformance.h: one suite of cmocka tests that checks the contracts of
 * core/backend.h against any backend. A backend's test program describes
 * how to get a fresh, empty fs (a target) and calls duet_conformance_run;
 * optional behaviour is checked according to the fs's capability bits and
 * skipped when a bit is clear.
 *
 * The suite assumes writes go through a temporary name (no --inplace).
 * Beyond the words of backend.h it requires, as every duet backend must:
 * directories of size -1; stat of the root and of directories that exist
 * only because of files below them reports DUET_T_DIR; move and copy
 * replace a file at the destination and create its parents; a move keeps
 * the mtime; every failure leaves duet_err_code() equal to the returned
 * code and a message naming the path. A file where a directory is (or
 * under a file) is refused only with DUET_CAP_DIRS: object stores hold
 * "d" and "d/x" side by side, as rclone's s3 and azureblob do.
 */
#ifndef DUET_TESTS_CONFORMANCE_H
#define DUET_TESTS_CONFORMANCE_H

#include "core/backend.h"

struct duet_conf_target {
	const char *name; /* group name printed by cmocka */
	/* Opens a new, empty fs (each test calls it once); 0 or a DUET_E_*
	 * code. The suite closes the fs with duet_fs_close. */
	int (*open)(void *ctx, struct duet_fs **out);
	/* Called after each test, once its fs is closed (e.g. to remove a
	 * scratch directory); may be NULL. */
	void (*cleanup)(void *ctx);
	void *ctx; /* passed to open and cleanup; owned by the caller */
};

/*
 * Runs the whole suite against t as one cmocka group and returns the
 * number of failed tests (0 when all passed or were skipped). Not
 * reentrant: one run at a time per process. Each test uses up to a few
 * MiB and four threads.
 */
int duet_conformance_run(const struct duet_conf_target *t);

#endif
