/*
 * hash.c: the multi-kind hasher behind hash.h. MD5, SHA-1 and SHA-256 go
 * through OpenSSL's EVP interface, xxh3-64 and xxh128 through libxxhash.
 * Digests are stored in the byte order rclone prints them (xxHash's
 * canonical big-endian form), so hex output is a plain dump of the bytes.
 */
#include "hash.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <xxhash.h>

#include "alloc.h"
#include "error.h"

#define HASH_NEVP 3 /* md5, sha1, sha256: the kinds below DUET_HASH_XXH3 */
#define HASH_FD_CHUNK (64 * 1024)

struct duet_hasher {
	unsigned mask;                /* DUET_HASH_BIT set being computed */
	EVP_MD_CTX *evp[HASH_NEVP];   /* indexed by kind; NULL when not in mask */
	XXH3_state_t *x3;             /* xxh3-64 state, or NULL */
	XXH3_state_t *x128;           /* xxh128 state, or NULL */
};

static const struct {
	const char *name;  /* rclone's name */
	const char *alias; /* older rclone spelling, or NULL */
	size_t size;       /* digest bytes */
} hash_info[DUET_HASH_COUNT] = {
	[DUET_HASH_MD5] = {"md5", NULL, 16},
	[DUET_HASH_SHA1] = {"sha1", "sha-1", 20},
	[DUET_HASH_SHA256] = {"sha256", "sha-256", 32},
	[DUET_HASH_XXH3] = {"xxh3", NULL, 8},
	[DUET_HASH_XXH128] = {"xxh128", NULL, 16},
};

static const EVP_MD *
hash_evp_md(int k)
{
	switch (k) {
	case DUET_HASH_MD5: return EVP_md5();
	case DUET_HASH_SHA1: return EVP_sha1();
	default: return EVP_sha256();
	}
}

/* (Re)starts every selected computation. 0 or DUET_E_IO. */
static int
hash_start(struct duet_hasher *h)
{
	int k;
	for (k = 0; k < HASH_NEVP; k++) {
		if (h->evp[k] != NULL &&
		    EVP_DigestInit_ex(h->evp[k], hash_evp_md(k), NULL) != 1)
			return duet_err_set(DUET_E_IO, "hash: cannot start %s (OpenSSL)",
			    hash_info[k].name);
	}
	if (h->x3 != NULL && XXH3_64bits_reset(h->x3) != XXH_OK)
		return duet_err_set(DUET_E_IO, "hash: cannot start xxh3");
	if (h->x128 != NULL && XXH3_128bits_reset(h->x128) != XXH_OK)
		return duet_err_set(DUET_E_IO, "hash: cannot start xxh128");
	return 0;
}

int
duet_hasher_new(unsigned mask, struct duet_hasher **out)
{
	struct duet_hasher *h;
	int k, rc = 0;

	assert((mask & ~DUET_HASH_ALL) == 0);
	*out = NULL;
	h = duet_calloc(1, sizeof(*h));
	if (h == NULL)
		return duet_err_set(DUET_E_NOMEM, "hash: out of memory");
	h->mask = mask;
	for (k = 0; k < HASH_NEVP; k++) {
		if ((mask & DUET_HASH_BIT(k)) != 0 && (h->evp[k] = EVP_MD_CTX_new()) == NULL) {
			rc = duet_err_set(DUET_E_NOMEM, "hash: out of memory (OpenSSL)");
			goto out;
		}
	}
	if ((mask & DUET_HASH_BIT(DUET_HASH_XXH3)) != 0 &&
	    (h->x3 = XXH3_createState()) == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "hash: out of memory (xxhash)");
		goto out;
	}
	if ((mask & DUET_HASH_BIT(DUET_HASH_XXH128)) != 0 &&
	    (h->x128 = XXH3_createState()) == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "hash: out of memory (xxhash)");
		goto out;
	}
	rc = hash_start(h);
out:
	if (rc != 0)
		duet_hasher_free(h);
	else
		*out = h;
	return rc;
}

void
duet_hasher_update(struct duet_hasher *h, const void *data, size_t n)
{
	int k;
	if (n == 0)
		return;
	for (k = 0; k < HASH_NEVP; k++)
		if (h->evp[k] != NULL)
			(void)EVP_DigestUpdate(h->evp[k], data, n);
	if (h->x3 != NULL)
		(void)XXH3_64bits_update(h->x3, data, n);
	if (h->x128 != NULL)
		(void)XXH3_128bits_update(h->x128, data, n);
}

void
duet_hasher_final(struct duet_hasher *h, struct duet_hashes *out)
{
	unsigned int len;
	int k;

	memset(out, 0, sizeof(*out));
	out->mask = h->mask;
	for (k = 0; k < HASH_NEVP; k++) {
		if (h->evp[k] == NULL)
			continue;
		len = 0;
		if (EVP_DigestFinal_ex(h->evp[k], out->v[k], &len) != 1 ||
		    len != hash_info[k].size)
			out->mask &= ~DUET_HASH_BIT(k);
	}
	if (h->x3 != NULL) {
		XXH64_canonical_t c;
		XXH64_canonicalFromHash(&c, XXH3_64bits_digest(h->x3));
		memcpy(out->v[DUET_HASH_XXH3], c.digest, sizeof(c.digest));
	}
	if (h->x128 != NULL) {
		XXH128_canonical_t c;
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->x128));
		memcpy(out->v[DUET_HASH_XXH128], c.digest, sizeof(c.digest));
	}
}

void
duet_hasher_reset(struct duet_hasher *h)
{
	/* Only fails when OpenSSL cannot re-initialise a context that was
	 * initialised before with the same digest; nothing to report then. */
	(void)hash_start(h);
}

void
duet_hasher_free(struct duet_hasher *h)
{
	int k;
	if (h == NULL)
		return;
	for (k = 0; k < HASH_NEVP; k++)
		EVP_MD_CTX_free(h->evp[k]);
	XXH3_freeState(h->x3);
	XXH3_freeState(h->x128);
	duet_free(h);
}

const char *
duet_hash_name(enum duet_hash_kind k)
{
	assert((unsigned)k < DUET_HASH_COUNT);
	return hash_info[k].name;
}

int
duet_hash_parse(const char *name)
{
	int k;
	for (k = 0; k < DUET_HASH_COUNT; k++) {
		if (strcasecmp(name, hash_info[k].name) == 0 ||
		    (hash_info[k].alias != NULL && strcasecmp(name, hash_info[k].alias) == 0))
			return k;
	}
	return -1;
}

size_t
duet_hash_size(enum duet_hash_kind k)
{
	assert((unsigned)k < DUET_HASH_COUNT);
	return hash_info[k].size;
}

void
duet_hash_hex(const struct duet_hashes *h, enum duet_hash_kind k, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i, n = duet_hash_size(k);

	if ((h->mask & DUET_HASH_BIT(k)) == 0) {
		out[0] = '\0';
		return;
	}
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[h->v[k][i] >> 4];
		out[2 * i + 1] = digits[h->v[k][i] & 0x0f];
	}
	out[2 * n] = '\0';
}

int
duet_hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
duet_hash_from_hex(struct duet_hashes *h, enum duet_hash_kind k, const char *hex)
{
	unsigned char v[DUET_HASH_MAXLEN];
	size_t i, n = duet_hash_size(k);
	int hi, lo;

	if (strlen(hex) != 2 * n)
		return duet_err_set(DUET_E_INVAL, "%s digest \"%.80s\" is not %zu hex digits",
		    hash_info[k].name, hex, 2 * n);
	for (i = 0; i < n; i++) {
		hi = duet_hex_nibble(hex[2 * i]);
		lo = duet_hex_nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return duet_err_set(DUET_E_INVAL, "%s digest \"%s\" is not hex",
			    hash_info[k].name, hex);
		v[i] = (unsigned char)(hi << 4 | lo);
	}
	memset(h->v[k], 0, sizeof(h->v[k]));
	memcpy(h->v[k], v, n);
	h->mask |= DUET_HASH_BIT(k);
	return 0;
}

int
duet_hash_equal(const struct duet_hashes *a, const struct duet_hashes *b,
    enum duet_hash_kind k)
{
	unsigned bit = DUET_HASH_BIT(k);
	if ((a->mask & bit) == 0 || (b->mask & bit) == 0)
		return 0;
	return memcmp(a->v[k], b->v[k], duet_hash_size(k)) == 0;
}

int
duet_hash_first(unsigned mask)
{
	int k;
	/* The enum is declared in rclone's preference order. */
	for (k = 0; k < DUET_HASH_COUNT; k++)
		if ((mask & DUET_HASH_BIT(k)) != 0)
			return k;
	return -1;
}

int
duet_hash_fd(int fd, unsigned mask, struct duet_hashes *out)
{
	struct duet_hasher *h = NULL;
	unsigned char *buf;
	ssize_t n;
	int rc;

	buf = duet_malloc(HASH_FD_CHUNK);
	if (buf == NULL)
		return duet_err_set(DUET_E_NOMEM, "hash: out of memory");
	rc = duet_hasher_new(mask, &h);
	if (rc != 0)
		goto out;
	for (;;) {
		n = read(fd, buf, HASH_FD_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = duet_err_errno(errno, "hash: read from fd %d", fd);
			goto out;
		}
		if (n == 0)
			break;
		duet_hasher_update(h, buf, (size_t)n);
	}
	duet_hasher_final(h, out);
out:
	duet_hasher_free(h);
	duet_free(buf);
	return rc;
}
