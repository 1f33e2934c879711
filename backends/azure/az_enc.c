/*
 * az_enc.c: rclone's default azureblob name encoding (see az_enc.h): one
 * pass over a segment's code points, replacing the bytes Azure cannot
 * keep with look-alike symbols and quoting symbols that were there
 * already; decoding undoes both. UTF-8 is read as Go reads it (an
 * invalid byte is one error of width 1), so both sides agree on which
 * bytes are invalid.
 */
#include "az_enc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/backend.h"
#include "core/error.h"

#define ENC_QUOTE 0x201B  /* SINGLE HIGH-REVERSED-9 QUOTATION MARK */
#define ENC_SYMNUL 0x2400 /* SYMBOL FOR NULL; + c for control byte c */
#define ENC_SYMDEL 0x2421 /* SYMBOL FOR DELETE */
#define ENC_FULL 0xFEE0   /* ASCII + this: its FULLWIDTH form */
#define ENC_FPERIOD ('.' + ENC_FULL)
#define ENC_FSLASH ('/' + ENC_FULL)
#define ENC_FBSLASH ('\\' + ENC_FULL)

/* The code point at s[0..n) and its length; -1 (length 1) when the
 * bytes are not valid UTF-8 there. */
static int32_t
enc_rune(const unsigned char *s, size_t n, size_t *len)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t need;
	int32_t cp;

	*len = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		cp = c & 0x0F;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		cp = c & 0x07;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	} else {
		return -1;
	}
	if (n < need + 1 || s[1] < lo || s[1] > hi)
		return -1;
	for (size_t i = 1; i <= need; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF)
			return -1;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	*len = need + 1;
	return cp;
}

static int
enc_put(struct duet_buf *out, int32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else {
		b[0] = (char)(0xE0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	}
	return duet_buf_append(out, b, n);
}

/* A code point that stands for something once decoded. */
static int
enc_symbol(int32_t cp, unsigned m)
{
	return cp == ENC_QUOTE || (cp == ENC_FBSLASH && (m & DUET_ENC_BACKSLASH)) ||
	    (cp == ENC_FSLASH && (m & DUET_ENC_SLASH)) || (cp == ENC_SYMDEL && (m & DUET_ENC_DEL)) ||
	    (cp >= ENC_SYMNUL && cp <= ENC_SYMNUL + 0x1F && (m & DUET_ENC_CTL));
}

/* One code point (or invalid byte) of a segment, encoded. */
static int
enc_one(struct duet_buf *out, const unsigned char *s, int32_t cp, size_t l, unsigned m)
{
	char hex[3];

	if (cp < 0 && !(m & DUET_ENC_INVALID_UTF8))
		return duet_buf_append(out, s, 1);
	if (cp < 0) {
		snprintf(hex, sizeof(hex), "%02X", s[0]);
		return enc_put(out, ENC_QUOTE) || duet_buf_append(out, hex, 2) ? DUET_E_NOMEM : 0;
	}
	if (enc_symbol(cp, m))
		return enc_put(out, ENC_QUOTE) || enc_put(out, cp) ? DUET_E_NOMEM : 0;
	if ((cp == '\\' && (m & DUET_ENC_BACKSLASH)) || (cp == '/' && (m & DUET_ENC_SLASH)))
		return enc_put(out, cp + ENC_FULL);
	if (cp == 0x7F && (m & DUET_ENC_DEL))
		return enc_put(out, ENC_SYMDEL);
	if (cp >= 1 && cp <= 0x1F && (m & DUET_ENC_CTL))
		return enc_put(out, ENC_SYMNUL + cp);
	return duet_buf_append(out, s, l);
}

/* The last code point of s[0..n) is cp (3 bytes in UTF-8). */
static int
enc_ends3(const unsigned char *s, size_t n, int32_t cp)
{
	size_t l;
	return n >= 3 && enc_rune(s + n - 3, 3, &l) == cp;
}

/* A segment that is exactly ".." (dots 2) or "." (1) in code point c. */
static int
enc_dots(const unsigned char *s, size_t n, int32_t c)
{
	size_t l, cl = c < 0x80 ? 1 : 3;

	if (n != cl && n != 2 * cl)
		return 0;
	for (size_t i = 0; i < n; i += cl)
		if (enc_rune(s + i, n - i, &l) != c || l != cl)
			return 0;
	return (int)(n / cl);
}

static int
enc_segment(struct duet_buf *out, const unsigned char *s, size_t n, unsigned m)
{
	int suffix = 0, rc = 0, dots; /* suffix 1: a final '.', 2: a final U+FF0E */
	size_t i = 0, l;

	if ((m & DUET_ENC_DOT) && (dots = enc_dots(s, n, '.')) > 0) {
		while (rc == 0 && dots-- > 0)
			rc = enc_put(out, ENC_FPERIOD);
		return rc != 0 ? DUET_E_NOMEM : 0;
	}
	if ((m & DUET_ENC_DOT) && enc_dots(s, n, ENC_FPERIOD) > 0)
		return enc_put(out, ENC_QUOTE) || duet_buf_append(out, s, n) ? DUET_E_NOMEM : 0;
	if ((m & DUET_ENC_RIGHT_PERIOD) && n > 0 && s[n - 1] == '.') {
		suffix = 1;
		n--;
	} else if ((m & DUET_ENC_RIGHT_PERIOD) && enc_ends3(s, n, ENC_FPERIOD)) {
		suffix = 2;
		n -= 3;
	}
	while (rc == 0 && i < n) {
		int32_t cp = enc_rune(s + i, n - i, &l);
		rc = enc_one(out, s + i, cp, l, m);
		i += l;
	}
	if (rc == 0 && suffix == 2)
		rc = enc_put(out, ENC_QUOTE);
	if (rc == 0 && suffix != 0)
		rc = enc_put(out, ENC_FPERIOD);
	return rc != 0 ? DUET_E_NOMEM : 0;
}

int
duet_name_enc_path(struct duet_buf *out, const char *path, unsigned mask)
{
	const char *p = path;
	int rc = 0;

	for (;;) {
		size_t n = strcspn(p, "/");
		rc = enc_segment(out, (const unsigned char *)p, n, mask);
		if (rc != 0 || p[n] == '\0')
			break;
		rc = duet_buf_putc(out, '/');
		p += n + 1;
	}
	return rc != 0 ? DUET_E_NOMEM : 0;
}

int
duet_az_enc_path(struct duet_buf *out, const char *path)
{
	return duet_name_enc_path(out, path, DUET_ENC_AZURE);
}

static int
enc_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* Decodes one code point; *quoted: the one before was the quote. */
static int
dec_one(struct duet_buf *out, const unsigned char *s, size_t rest, int32_t cp, size_t l,
    int quoted, size_t *skip, unsigned m)
{
	int rc = 0;

	if (enc_symbol(cp, m) && quoted)
		return enc_put(out, cp);
	if (cp == ENC_SYMNUL && (m & DUET_ENC_CTL))
		return DUET_E_BADNAME;
	if ((cp == ENC_FBSLASH && (m & DUET_ENC_BACKSLASH)) || (cp == ENC_FSLASH && (m & DUET_ENC_SLASH)))
		return enc_put(out, cp - ENC_FULL);
	if (cp == ENC_SYMDEL && (m & DUET_ENC_DEL))
		return enc_put(out, 0x7F);
	if (cp > ENC_SYMNUL && cp <= ENC_SYMNUL + 0x1F && (m & DUET_ENC_CTL))
		return enc_put(out, cp - ENC_SYMNUL);
	if (quoted && (m & DUET_ENC_INVALID_UTF8)) {
		/* QUOTE + two hex digits: an invalid byte kept as text. */
		if (rest >= 2 && enc_hex(s[0]) >= 0 && enc_hex(s[1]) >= 0) {
			if (enc_hex(s[0]) == 0 && enc_hex(s[1]) == 0)
				return DUET_E_BADNAME;
			*skip = 1;
			return duet_buf_putc(out, (char)(enc_hex(s[0]) << 4 | enc_hex(s[1])));
		}
	}
	if (quoted)
		rc = enc_put(out, ENC_QUOTE);
	return rc != 0 ? rc : duet_buf_append(out, s, l);
}

int
duet_name_enc_decode(struct duet_buf *out, const char *name, size_t n, unsigned m)
{
	const unsigned char *s = (const unsigned char *)name;
	int suffix = 0, quoted = 0, next = 0, rc = 0, dots;
	size_t i = 0, l, skip = 0;

	if ((m & DUET_ENC_DOT) && (dots = enc_dots(s, n, ENC_FPERIOD)) > 0)
		return duet_buf_append(out, "..", (size_t)dots);
	if ((m & DUET_ENC_DOT) && n > 3 && enc_rune(s, n, &l) == ENC_QUOTE &&
	    enc_dots(s + 3, n - 3, ENC_FPERIOD) > 0)
		return duet_buf_append(out, s + 3, n - 3);
	if ((m & DUET_ENC_RIGHT_PERIOD) && enc_ends3(s, n, ENC_FPERIOD)) {
		n -= 3;
		suffix = 1;
		if (enc_ends3(s, n, ENC_QUOTE)) {
			n -= 3;
			suffix = 2;
		}
	}
	while (rc == 0 && i < n) {
		int32_t cp = enc_rune(s + i, n - i, &l);
		if (skip > 0) {
			skip = 0;
			i += l;
			continue;
		}
		quoted = next;
		next = 0;
		if (cp == ENC_QUOTE && !quoted)
			next = 1;
		else
			rc = dec_one(out, s + i, n - i, cp, l, quoted, &skip, m);
		i += l;
	}
	if (rc == 0 && next)
		rc = enc_put(out, ENC_QUOTE);
	if (rc == 0 && suffix == 1)
		rc = duet_buf_putc(out, '.');
	if (rc == 0 && suffix == 2)
		rc = enc_put(out, ENC_FPERIOD);
	return rc;
}

int
duet_az_enc_decode(struct duet_buf *out, const char *name, size_t n)
{
	return duet_name_enc_decode(out, name, n, DUET_ENC_AZURE);
}

int
duet_name_enc_decode_path(struct duet_buf *out, const char *path, size_t n, unsigned mask)
{
	size_t at = 0;
	int rc;

	while (at < n) {
		const char *seg = path + at, *sl = memchr(seg, '/', n - at);
		size_t sn = sl != NULL ? (size_t)(sl - seg) : n - at, start = out->len;
		if (start > 0 && (rc = duet_buf_putc(out, '/')) != 0)
			return DUET_E_NOMEM;
		start = out->len;
		if ((rc = duet_name_enc_decode(out, seg, sn, mask)) != 0)
			return rc;
		if (duet_name_check(out->p + start, out->len - start) != 0)
			return DUET_E_BADNAME;
		at += sn + 1;
	}
	return 0;
}

int
duet_name_new_parents(struct duet_buf *last, const char *rel, size_t plen,
    int (*emit)(void *ctx, const char *rel, size_t n), void *ctx)
{
	size_t k = 0, i;
	int rc = 0;

	/* The longest common run of whole segments. */
	for (i = 0; i < plen && i < last->len && rel[i] == last->p[i]; i++)
		if (rel[i] == '/')
			k = i + 1;
	for (i = k; i < plen && rc == 0; i++)
		if (rel[i] == '/')
			rc = emit(ctx, rel, i);
	duet_buf_reset(last);
	if (rc == 0 && duet_buf_append(last, rel, plen) != 0)
		rc = DUET_E_NOMEM;
	return rc;
}
