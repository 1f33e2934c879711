/*
 * backend.c: helpers shared by every backend.
 */
#include "backend.h"

#include <string.h>

#include "alloc.h"
#include "error.h"

int
duet_fs_init(struct duet_fs *fs, const struct duet_backend *ops, const char *name,
    const char *root)
{
	memset(fs, 0, sizeof(*fs));
	fs->ops = ops;
	fs->precision = 1;
	fs->name = duet_strdup(name);
	fs->root = duet_strdup(root);
	if (fs->name == NULL || fs->root == NULL) {
		duet_fs_dispose(fs);
		return duet_err_set(DUET_E_NOMEM, "out of memory opening %s", name);
	}
	return 0;
}

const char *
duet_fs_ident(const struct duet_fs *fs)
{
	return fs->ident != NULL ? fs->ident : fs->canon;
}

void
duet_fs_dispose(struct duet_fs *fs)
{
	if (fs == NULL)
		return;
	duet_free(fs->name);
	duet_free(fs->root);
	duet_free(fs->file);
	duet_free(fs->canon);
	duet_free(fs->ident);
	fs->name = fs->root = fs->file = fs->canon = fs->ident = NULL;
}

void
duet_fs_close(struct duet_fs *fs)
{
	if (fs != NULL)
		fs->ops->close(fs);
}

int
duet_name_check(const char *name, size_t namelen)
{
	if (namelen == 0)
		return duet_err_set(DUET_E_BADNAME, "empty file name");
	if ((namelen == 1 && name[0] == '.') ||
	    (namelen == 2 && name[0] == '.' && name[1] == '.'))
		return duet_err_set(DUET_E_BADNAME, "file name \"%.*s\" is not allowed",
		    (int)namelen, name);
	if (memchr(name, '/', namelen) != NULL)
		return duet_err_set(DUET_E_BADNAME, "file name contains '/'");
	if (memchr(name, '\0', namelen) != NULL)
		return duet_err_set(DUET_E_BADNAME, "file name contains a NUL byte");
	return 0;
}

char *
duet_path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p;
	if (dl == 0)
		return duet_strdup(name);
	p = duet_malloc(dl + nl + 2);
	if (p == NULL)
		return NULL;
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, name, nl + 1);
	return p;
}

int
duet_tmpname_is(const char *name, size_t nl, const char *suffix)
{
	size_t sl = strlen(suffix);
	const char *h;
	if (sl == 0 || nl < sl + 9 || memcmp(name + nl - sl, suffix, sl) != 0)
		return 0;
	h = name + nl - sl - 8;
	if (h[-1] != '.' && !(h - name == 6 && memcmp(name, ".duet-", 6) == 0))
		return 0;
	for (int i = 0; i < 8; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	return 1;
}
