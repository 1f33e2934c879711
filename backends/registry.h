/*
 * registry.h: backend lookup by type name, and opening a remote spec.
 * Only cli/ and bisync/ call this; everything else receives an open fs.
 */
#ifndef DUET_BACKENDS_REGISTRY_H
#define DUET_BACKENDS_REGISTRY_H

#include "core/backend.h"
#include "core/remote.h"

/* The backend of a type name ("local"), or NULL. */
const struct duet_backend *duet_backend_find(const char *type);

/*
 * Parses spec and opens it. Errors: DUET_E_USAGE for an unknown remote or
 * backend type (message names it and the way out), or the backend's open
 * error. The caller closes *out with duet_fs_close.
 */
int duet_fs_open(const char *spec, const struct duet_fs_opts *o, struct duet_fs **out);

#endif
