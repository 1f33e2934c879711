/*
 * registry.c: the table of compiled-in backends.
 */
#include "registry.h"

#include <string.h>

#include "backends/azure/az.h"
#include "backends/local.h"
#include "backends/s3/s3.h"
#include "backends/sftp/sftp.h"
#include "core/error.h"

static const struct duet_backend *const registry[] = {
	&duet_local_backend,
	&duet_sftp_backend,
	&duet_s3_backend,
	&duet_azure_backend,
};

const struct duet_backend *
duet_backend_find(const char *type)
{
	for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++)
		if (strcmp(registry[i]->name, type) == 0)
			return registry[i];
	return NULL;
}

int
duet_fs_open(const char *spec, const struct duet_fs_opts *o, struct duet_fs **out)
{
	struct duet_remote r;
	const struct duet_backend *b;
	int rc;

	*out = NULL;
	rc = duet_remote_parse(spec, o->lookup, o->lookup_ctx, &r);
	if (rc != 0)
		return rc;
	b = duet_backend_find(r.type);
	if (b == NULL)
		rc = duet_err_set(DUET_E_USAGE,
		    "%s: unknown backend type \"%s\" (this build has: local, sftp, s3)", spec, r.type);
	else
		rc = b->open(&r, o, out);
	duet_remote_dispose(&r);
	return rc;
}
