/*
 * obscure.c: rclone-compatible obscure/reveal of config passwords
 * (AES-256-CTR, fixed public key, random IV in front, unpadded URL-safe
 * base64). The base64 decoder accepts what rclone's accepts: no padding,
 * line breaks skipped, unused low bits of the last character ignored.
 */
#include "obscure.h"

#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/alloc.h"
#include "core/error.h"

/* rclone's published obscuring key: a compatibility constant, not a secret. */
static const unsigned char obs_key[32] = {
    0x9c, 0x93, 0x5b, 0x48, 0x73, 0x0a, 0x55, 0x4d, 0x6b, 0xfd, 0x7c, 0x63, 0xc8, 0x86, 0xa9, 0x2b,
    0xd3, 0x90, 0x19, 0x8e, 0xb8, 0x12, 0x8a, 0xfb, 0xf4, 0xde, 0x16, 0x2b, 0x8b, 0x95, 0xf6, 0x38,
};

static const char obs_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* XORs n bytes of in with the CTR key stream for iv into out (either way). */
static int
obs_crypt(const unsigned char *iv, const unsigned char *in, size_t n, unsigned char *out)
{
	EVP_CIPHER_CTX *ctx;
	int len = 0, fin = 0, ok;

	if (n > INT_MAX / 2)
		return duet_err_set(DUET_E_INVAL, "obscure: value too large");
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return duet_err_set(DUET_E_NOMEM, "obscure: out of memory");
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, obs_key, iv) == 1 &&
	     EVP_EncryptUpdate(ctx, out, &len, in, (int)n) == 1 &&
	     EVP_EncryptFinal_ex(ctx, out + len, &fin) == 1 && (size_t)(len + fin) == n;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : duet_err_set(DUET_E_IO, "obscure: AES-256-CTR failed in OpenSSL");
}

/* Unpadded URL-safe base64 of n bytes; caller frees. */
static char *
obs_b64_encode(const unsigned char *p, size_t n)
{
	char *out = duet_malloc(n / 3 * 4 + 4), *o = out;
	size_t i = 0;

	if (out == NULL)
		return NULL;
	for (; i + 3 <= n; i += 3) {
		unsigned long v =
		    (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 | p[i + 2];
		*o++ = obs_b64[v >> 18 & 63];
		*o++ = obs_b64[v >> 12 & 63];
		*o++ = obs_b64[v >> 6 & 63];
		*o++ = obs_b64[v & 63];
	}
	if (n - i == 1) {
		*o++ = obs_b64[p[i] >> 2];
		*o++ = obs_b64[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		*o++ = obs_b64[p[i] >> 2];
		*o++ = obs_b64[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*o++ = obs_b64[(p[i + 1] & 15) << 2];
	}
	*o = '\0';
	return out;
}

static int
obs_b64_value(char ch)
{
	const char *hit = ch != '\0' ? strchr(obs_b64, ch) : NULL;
	return hit ? (int)(hit - obs_b64) : -1;
}

/* Decodes unpadded URL-safe base64 into out (room for strlen(s)*3/4+1). */
static int
obs_b64_decode(const char *s, unsigned char *out, size_t *nout)
{
	unsigned long acc = 0;
	size_t n = 0, chars = 0;
	int bits = 0, v;

	for (size_t i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if ((v = obs_b64_value(s[i])) < 0)
			return duet_err_set(
			    DUET_E_INVAL,
			    "can't reveal: byte %zu of the value is not URL-safe base64 - was it "
			    "obscured?",
			    i + 1);
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		chars++;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	if (chars % 4 == 1)
		return duet_err_set(
		    DUET_E_INVAL,
		    "can't reveal: the value's base64 is cut short - was it obscured?");
	*nout = n;
	return 0;
}

int
duet_obscure_hide_iv(const char *plain, const unsigned char *iv, char **out)
{
	size_t n = strlen(plain);
	unsigned char *buf;
	int rc;

	*out = NULL;
	if (n > INT_MAX / 2)
		return duet_err_set(DUET_E_INVAL, "obscure: value too large");
	if ((buf = duet_malloc(DUET_OBSCURE_IV_LEN + n)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "obscure: out of memory");
	memcpy(buf, iv, DUET_OBSCURE_IV_LEN);
	rc = obs_crypt(iv, (const unsigned char *)plain, n, buf + DUET_OBSCURE_IV_LEN);
	if (rc == 0 && (*out = obs_b64_encode(buf, DUET_OBSCURE_IV_LEN + n)) == NULL)
		rc = duet_err_set(DUET_E_NOMEM, "obscure: out of memory");
	OPENSSL_cleanse(buf, DUET_OBSCURE_IV_LEN + n);
	duet_free(buf);
	return rc;
}

int
duet_obscure_hide(const char *plain, char **out)
{
	unsigned char iv[DUET_OBSCURE_IV_LEN];

	*out = NULL;
	if (RAND_bytes(iv, (int)sizeof(iv)) != 1)
		return duet_err_set(DUET_E_IO, "obscure: the random generator failed");
	return duet_obscure_hide_iv(plain, iv, out);
}

int
duet_obscure_reveal(const char *text, char **out)
{
	size_t len = strlen(text), n = 0;
	unsigned char *buf = duet_malloc(len / 4 * 3 + 3);
	char *plain = NULL;
	int rc;

	*out = NULL;
	if (buf == NULL)
		return duet_err_set(DUET_E_NOMEM, "reveal: out of memory");
	if ((rc = obs_b64_decode(text, buf, &n)) != 0)
		goto out;
	if (n < DUET_OBSCURE_IV_LEN) {
		rc = duet_err_set(
		    DUET_E_INVAL,
		    "can't reveal: the value is too short to be an obscured password - was it "
		    "obscured?");
		goto out;
	}
	n -= DUET_OBSCURE_IV_LEN;
	if ((plain = duet_malloc(n + 1)) == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "reveal: out of memory");
		goto out;
	}
	if ((rc = obs_crypt(buf, buf + DUET_OBSCURE_IV_LEN, n, (unsigned char *)plain)) != 0)
		goto out;
	plain[n] = '\0';
	if (memchr(plain, '\0', n) != NULL) {
		rc = duet_err_set(DUET_E_INVAL,
		                  "can't reveal: the value reveals a NUL byte - was it obscured?");
		goto out;
	}
	*out = plain;
	plain = NULL;
out:
	if (plain != NULL) {
		OPENSSL_cleanse(plain, n);
		duet_free(plain);
	}
	OPENSSL_cleanse(buf, len / 4 * 3 + 3);
	duet_free(buf);
	return rc;
}
