/*
 * lst.c: rclone's bisync listing files (reference section 2.1). Reading
 * hand-parses each line exactly as rclone's regular expression
 *   ^(\S) +(-?\d+) (\S+) (\S+) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}[+-]\d{4}) (".+")$
 * would match it (\S and \s are ASCII classes, as in Go's RE2), then checks
 * what the expression cannot (flags, id, hash, date, name escapes). Names
 * are quoted like Go's strconv.Quote, see lst.h for the one approximation.
 */
#include "lst.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <utf8proc.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"

#define LST_HEADER "# bisync listing v1 from "
#define LST_NS 1000000000LL

/* One line split into its fields (views into the line). */
struct lst_fields {
	char flag;              /* '-' or 'd' */
	int64_t size;
	const char *hash;       /* "-" or "name:value" */
	size_t hashlen;
	const char *time;       /* DUET_LST_TIME_LEN bytes */
	const char *name;       /* quoted, with its quotes */
	size_t namelen;
};

/* An entry and the line it came from, for sorting out duplicates. */
struct lst_seq {
	const struct duet_entry *e;
	size_t seq;
};

/* ---- UTF-8 and quoting ------------------------------------------------ */

/* Decodes one rune as Go's utf8.DecodeRune accepts it (no overlongs, no
 * surrogates, <= U+10FFFF); returns its width, 0 when invalid. */
static size_t
lst_utf8(const unsigned char *s, size_t n, uint32_t *r)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t w;
	if (c < 0x80) {
		*r = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		w = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		w = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		w = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < w || s[1] < lo || s[1] > hi)
		return 0;
	*r = c & (w == 2 ? 0x1Fu : w == 3 ? 0x0Fu : 0x07u);
	for (size_t i = 1; i < w; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
		*r = (*r << 6) | (s[i] & 0x3Fu);
	}
	return w;
}

/* Go's unicode.IsPrint, approximated with utf8proc's categories. */
static int
lst_isprint(uint32_t r)
{
	utf8proc_category_t cat;
	if (r < 0x20 || r == 0x7F)
		return 0;
	if (r < 0x7F)
		return 1;
	if (r <= 0xFF)
		return r >= 0xA1 && r != 0xAD;
	cat = utf8proc_category((utf8proc_int32_t)r);
	return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_SO;
}

static int
lst_quote_rune(struct duet_buf *b, uint32_t r)
{
	static const char esc[] = "\a\b\f\n\r\t\v";
	static const char letter[] = "abfnrtv";
	const char *p;
	if (r == '"' || r == '\\') {
		char two[2] = {'\\', (char)r};
		return duet_buf_append(b, two, 2);
	}
	if (r != 0 && r < 0x80 && (p = strchr(esc, (int)r)) != NULL) {
		char two[2] = {'\\', letter[p - esc]};
		return duet_buf_append(b, two, 2);
	}
	if (r < 0x20 || r == 0x7F)
		return duet_buf_printf(b, "\\x%02x", (unsigned)r);
	if (r < 0x10000)
		return duet_buf_printf(b, "\\u%04x", (unsigned)r);
	return duet_buf_printf(b, "\\U%08x", (unsigned)r);
}

int
duet_lst_quote(struct duet_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, w;
	uint32_t r;
	int rc = duet_buf_putc(b, '"');

	while (rc == 0 && i < n) {
		w = lst_utf8(u + i, n - i, &r);
		if (w == 0)
			rc = duet_buf_printf(b, "\\x%02x", (unsigned)u[i]);
		else if (r != '"' && r != '\\' && lst_isprint(r))
			rc = duet_buf_append(b, s + i, w);
		else
			rc = lst_quote_rune(b, r);
		i += w == 0 ? 1 : w;
	}
	if (rc == 0)
		rc = duet_buf_putc(b, '"');
	return rc;
}

/* Reads n hex digits at s; -1 when one is not hex. */
static long
lst_hexn(const char *s, size_t n)
{
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		int h = duet_hex_nibble(s[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static int
lst_put_rune(struct duet_buf *b, uint32_t r)
{
	char u[4];
	utf8proc_ssize_t w = utf8proc_encode_char((utf8proc_int32_t)r, (utf8proc_uint8_t *)u);
	return duet_buf_append(b, u, (size_t)w);
}

/* One escape at q[*i] (just past the backslash), end at q[n]. */
static int
lst_unescape(const char *q, size_t n, size_t *i, struct duet_buf *out)
{
	static const char letter[] = "abfnrtv\\\"";
	static const char value[] = "\a\b\f\n\r\t\v\\\"";
	const char *p;
	char c = q[*i];
	long v;
	size_t len;

	if (c != '\0' && (p = strchr(letter, c)) != NULL) {
		(*i)++;
		return duet_buf_putc(out, value[p - letter]);
	}
	if (c >= '0' && c <= '7') {
		if (n - *i < 3 || q[*i + 1] < '0' || q[*i + 1] > '7' ||
		    q[*i + 2] < '0' || q[*i + 2] > '7')
			return DUET_E_INVAL;
		v = (c - '0') * 64 + (q[*i + 1] - '0') * 8 + (q[*i + 2] - '0');
		if (v > 255)
			return DUET_E_INVAL;
		*i += 3;
		return duet_buf_putc(out, (char)(unsigned char)v);
	}
	len = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
	if (len == 0 || n - *i - 1 < len)
		return DUET_E_INVAL;
	v = lst_hexn(q + *i + 1, len);
	*i += 1 + len;
	if (v < 0)
		return DUET_E_INVAL;
	if (c == 'x')
		return duet_buf_putc(out, (char)(unsigned char)v);
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return DUET_E_INVAL;
	return lst_put_rune(out, (uint32_t)v);
}

int
duet_lst_unquote(const char *q, size_t n, struct duet_buf *out)
{
	const unsigned char *u = (const unsigned char *)q;
	size_t i = 1, w;
	uint32_t r;
	int rc = 0;

	duet_buf_reset(out);
	if (n < 2 || q[0] != '"' || q[n - 1] != '"')
		return DUET_E_INVAL;
	n--; /* end at the closing quote */
	while (rc == 0 && i < n) {
		if (q[i] == '"' || q[i] == '\n') {
			rc = DUET_E_INVAL;
		} else if (q[i] == '\\') {
			i++;
			rc = i < n ? lst_unescape(q, n, &i, out) : DUET_E_INVAL;
		} else if (u[i] < 0x80) {
			rc = duet_buf_putc(out, q[i++]);
		} else if ((w = lst_utf8(u + i, n - i, &r)) == 0) {
			rc = lst_put_rune(out, 0xFFFD); /* as Go: RuneError */
			i++;
		} else {
			rc = duet_buf_append(out, q + i, w);
			i += w;
		}
	}
	if (rc == 0 && out->p == NULL)
		rc = duet_buf_append(out, "", 0);
	return rc;
}

/* ---- times ------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's method). */
static int64_t
lst_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
lst_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void
duet_lst_format_time(int64_t ns, char *out)
{
	int64_t secs, frac, days, sod, y;
	int m, d;
	char tmp[96];
	if (ns == 0) {
		memcpy(out, "0001-01-01T00:00:00.000000000+0000", DUET_LST_TIME_LEN + 1);
		return;
	}
	secs = ns / LST_NS;
	frac = ns % LST_NS;
	if (frac < 0) {
		frac += LST_NS;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	lst_civil_from_days(days, &y, &m, &d);
	/* Room for any int, so the compiler sees no truncation; the int64 ns
	 * range keeps the year to four digits. */
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%09d+0000",
	    (int)y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
	    (int)frac);
	memcpy(out, tmp, DUET_LST_TIME_LEN);
	out[DUET_LST_TIME_LEN] = '\0';
}

/* n decimal digits at s into *v; -1 when one is not a digit. */
static int
lst_digits(const char *s, size_t n, int64_t *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int
lst_month_days(int64_t y, int64_t m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return days[m - 1] + (m == 2 && leap);
}

int
duet_lst_parse_time(const char *s, size_t n, int64_t *ns)
{
	/* Offsets of the numeric fields and their widths. */
	static const unsigned char at[9] = {0, 5, 8, 11, 14, 17, 20, 30, 32};
	static const unsigned char wd[9] = {4, 2, 2, 2, 2, 2, 9, 2, 2};
	int64_t v[9], secs;

	if (n != DUET_LST_TIME_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != '.' || (s[29] != '+' && s[29] != '-'))
		return DUET_E_INVAL;
	for (int i = 0; i < 9; i++)
		if (lst_digits(s + at[i], wd[i], &v[i]) != 0)
			return DUET_E_INVAL;
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > lst_month_days(v[0], v[1]) ||
	    v[3] > 23 || v[4] > 59 || v[5] > 59 || v[7] > 23 || v[8] > 59)
		return DUET_E_INVAL;
	secs = lst_days_from_civil(v[0], (int)v[1], (int)v[2]) * 86400 +
	    v[3] * 3600 + v[4] * 60 + v[5];
	secs -= (s[29] == '-' ? -1 : 1) * (v[7] * 3600 + v[8] * 60);
	if (secs == lst_days_from_civil(1, 1, 1) * 86400 && v[6] == 0) {
		*ns = 0; /* Go's zero time: "not known" */
		return 0;
	}
	/* int64 ns reach from -9223372037 s + 145224192 ns to 9223372036 s +
	 * 854775807 ns. */
	if (secs < -9223372037LL || secs > 9223372036LL ||
	    (secs == -9223372037LL && v[6] < 145224192) ||
	    (secs == 9223372036LL && v[6] > 854775807))
		return DUET_E_INVAL;
	/* Before 1970, step through secs + 1 so the lowest second does not
	 * overflow. */
	if (secs < 0 && v[6] > 0)
		*ns = (secs + 1) * LST_NS - (LST_NS - v[6]);
	else
		*ns = secs * LST_NS + v[6];
	return 0;
}

/* ---- reading ---------------------------------------------------------- */

/* Length of the run of RE2 \S bytes (not space, \t, \n, \f, \r) at s. */
static size_t
lst_nonspace(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\f' &&
	    s[i] != '\r')
		i++;
	return i;
}

/* Size field: -?\d+ with no int64 overflow. */
static int
lst_size(const char *s, size_t n, int64_t *v)
{
	int neg = n > 0 && s[0] == '-';
	size_t i = (size_t)neg;
	uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (i == n)
		return -1;
	for (; i < n; i++) {
		unsigned dgt;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		dgt = (unsigned)(s[i] - '0');
		if (acc > (lim - dgt) / 10)
			return -1;
		acc = acc * 10 + dgt;
	}
	*v = neg ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc) : (int64_t)acc;
	return 0;
}

/* Splits one line; -1 when it does not have the expected shape. */
static int
lst_split(const char *s, size_t n, struct lst_fields *f)
{
	size_t i, k;
	if (n < 2 || (s[0] != '-' && s[0] != 'd') || s[1] != ' ')
		return -1;
	f->flag = s[0];
	for (i = 2; i < n && s[i] == ' '; i++)
		;
	k = lst_nonspace(s + i, n - i);
	if (i + k >= n || s[i + k] != ' ' || lst_size(s + i, k, &f->size) != 0)
		return -1;
	i += k + 1;
	f->hash = s + i;
	f->hashlen = lst_nonspace(s + i, n - i);
	i += f->hashlen;
	if (f->hashlen == 0 || i >= n || s[i] != ' ')
		return -1;
	i++;
	k = lst_nonspace(s + i, n - i);
	if (k != 1 || s[i] != '-' || i + 1 >= n || s[i + 1] != ' ')
		return -1; /* the id column is reserved: always "-" */
	i += 2;
	if (n - i < DUET_LST_TIME_LEN + 1 || s[i + DUET_LST_TIME_LEN] != ' ')
		return -1;
	f->time = s + i;
	i += DUET_LST_TIME_LEN + 1;
	f->name = s + i;
	f->namelen = n - i;
	if (f->namelen < 3 || f->name[0] != '"' || f->name[f->namelen - 1] != '"')
		return -1;
	return 0;
}

/* The hash column against the file's type so far; fills *h when the kind
 * is one duet knows. Returns 0 ok, -1 bad line, -2 another type. */
static int
lst_hash(const struct lst_fields *f, struct duet_lst_info *info,
    struct duet_hashes *h, int *have)
{
	const char *colon = memchr(f->hash, ':', f->hashlen);
	size_t nl, vl;
	char name[sizeof(info->hash_name)], hex[2 * DUET_HASH_MAXLEN + 1];
	int kind;

	*have = 0;
	if (f->hashlen == 1 && f->hash[0] == '-')
		return 0;
	if (colon == NULL)
		return -1;
	nl = (size_t)(colon - f->hash);
	vl = f->hashlen - nl - 1;
	if (nl == 0 || vl == 0 || nl >= sizeof(name))
		return -1;
	memcpy(name, f->hash, nl);
	name[nl] = '\0';
	if (info->hash_name[0] != '\0' && strcmp(info->hash_name, name) != 0)
		return -2;
	kind = duet_hash_parse(name);
	if (kind >= 0) {
		if (vl >= sizeof(hex))
			return -1;
		memcpy(hex, colon + 1, vl);
		hex[vl] = '\0';
		memset(h, 0, sizeof(*h));
		if (duet_hash_from_hex(h, (enum duet_hash_kind)kind, hex) != 0)
			return -1;
		*have = 1;
	}
	if (info->hash_name[0] == '\0') {
		memcpy(info->hash_name, name, nl + 1);
		info->hash_kind = kind;
	}
	return 0;
}

static void
lst_notice(const char *what, const char *msg, const char *line, size_t n,
    struct duet_buf *tmp)
{
	duet_buf_reset(tmp);
	if (duet_lst_quote(tmp, line, n) != 0)
		return;
	duet_logo(DUET_LOG_NOTICE, what, "%s: %s", msg, tmp->p);
}

/* Parses one non-comment line and appends its entry. Returns 0 (also for
 * a skipped line) or DUET_E_NOMEM. */
static int
lst_line(const char *s, size_t n, const char *what, struct duet_listing *out,
    struct duet_lst_info *info, struct duet_buf *name)
{
	struct lst_fields f;
	struct duet_hashes h;
	struct duet_entry e;
	int have = 0, rc;

	memset(&e, 0, sizeof(e));
	if (lst_split(s, n, &f) != 0 || duet_lst_parse_time(f.time, DUET_LST_TIME_LEN, &e.mtime) != 0)
		goto bad;
	rc = duet_lst_unquote(f.name, f.namelen, name);
	if (rc == DUET_E_NOMEM)
		return duet_err_set(rc, "out of memory reading a listing");
	if (rc != 0 || name->len == 0 || name->len >= UINT32_MAX || memchr(name->p, '\0', name->len))
		goto bad;
	rc = lst_hash(&f, info, &h, &have);
	if (rc == -1)
		goto bad;
	if (rc == -2) {
		info->mixed_lines++;
		lst_notice(what, "Inconsistent hash type in line", s, n, name);
		return 0;
	}
	e.path = name->p;
	e.pathlen = (uint32_t)name->len;
	e.size = f.size;
	e.type = f.flag == 'd' ? DUET_T_DIR : DUET_T_FILE;
	e.hashes = have ? &h : NULL;
	return duet_listing_add(out, &e);
bad:
	info->bad_lines++;
	lst_notice(what, "Ignoring incorrect line", s, n, name);
	return 0;
}

static int
lst_seq_cmp(const void *a, const void *b)
{
	const struct lst_seq *x = a, *y = b;
	int c = duet_path_cmp(x->e->path, y->e->path);
	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts l and drops duplicate names, keeping the later modtime (on a tie
 * the later line). */
static int
lst_dedupe(struct duet_listing *l, const char *what, struct duet_lst_info *info)
{
	struct lst_seq *s = NULL;
	struct duet_entry *v = NULL;
	size_t i, n = 0;
	int rc = 0;

	for (i = 1; i < l->n && duet_path_cmp(l->v[i - 1].path, l->v[i].path) < 0; i++)
		;
	if (i >= l->n)
		return 0; /* already sorted and unique: the usual case */
	s = duet_reallocarray(NULL, l->n, sizeof(*s));
	v = duet_reallocarray(NULL, l->cap, sizeof(*v));
	if (s == NULL || v == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "out of memory sorting a listing");
		goto out;
	}
	for (i = 0; i < l->n; i++) {
		s[i].e = &l->v[i];
		s[i].seq = i;
	}
	qsort(s, l->n, sizeof(*s), lst_seq_cmp);
	for (i = 0; i < l->n; i++) {
		if (n > 0 && strcmp(v[n - 1].path, s[i].e->path) == 0) {
			info->dup_lines++;
			duet_logo(DUET_LOG_NOTICE, what, "Duplicate line (keeping latest): %s",
			    s[i].e->path);
			if (s[i].e->mtime >= v[n - 1].mtime)
				v[n - 1] = *s[i].e;
			continue;
		}
		v[n++] = *s[i].e;
	}
	duet_free(l->v);
	l->v = v;
	l->n = n;
	v = NULL;
out:
	duet_free(s);
	duet_free(v);
	return rc;
}

int
duet_lst_parse(const char *data, size_t len, const char *what,
    struct duet_listing *out, struct duet_lst_info *info)
{
	struct duet_lst_info dummy;
	struct duet_buf name = DUET_BUF_INIT;
	size_t i = 0;
	int rc = 0;

	if (info == NULL)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	info->hash_kind = -1;
	while (rc == 0 && i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (data + i)) : len - i;
		size_t end = n;
		if (end > 0 && data[i + end - 1] == '\r')
			end--; /* as Go's line scanner */
		if (end > 0 && data[i] != '#')
			rc = lst_line(data + i, end, what, out, info, &name);
		i += n + 1;
	}
	if (rc == 0)
		rc = lst_dedupe(out, what, info);
	duet_buf_dispose(&name);
	return rc;
}

int
duet_lst_read(FILE *f, const char *what, struct duet_listing *out,
    struct duet_lst_info *info)
{
	struct duet_buf b = DUET_BUF_INIT;
	char chunk[65536];
	size_t got;
	int rc = 0;

	while (rc == 0 && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = duet_buf_append(&b, chunk, got);
	if (rc == 0 && ferror(f))
		rc = duet_err_set(DUET_E_IO, "read %s failed", what != NULL ? what : "listing");
	if (rc == 0)
		rc = duet_lst_parse(b.p != NULL ? b.p : "", b.len, what, out, info);
	duet_buf_dispose(&b);
	return rc;
}

int
duet_lst_read_path(const char *path, struct duet_listing *out,
    struct duet_lst_info *info)
{
	FILE *f = fopen(path, "rb");
	int rc;
	if (f == NULL)
		return duet_err_errno(errno, "open %s", path);
	rc = duet_lst_read(f, path, out, info);
	fclose(f);
	return rc;
}

/* ---- writing ---------------------------------------------------------- */

int
duet_lst_format_entry(struct duet_buf *b, const struct duet_entry *e, int hash_kind)
{
	char hex[2 * DUET_HASH_MAXLEN + 1], tm[DUET_LST_TIME_LEN + 1];
	int rc;

	duet_lst_format_time(e->mtime, tm);
	rc = duet_buf_printf(b, "%c %8lld ", e->type == DUET_T_DIR ? 'd' : '-',
	    (long long)e->size);
	if (rc == 0 && hash_kind >= 0 && hash_kind < DUET_HASH_COUNT && e->hashes != NULL &&
	    (e->hashes->mask & DUET_HASH_BIT(hash_kind))) {
		duet_hash_hex(e->hashes, (enum duet_hash_kind)hash_kind, hex);
		rc = duet_buf_printf(b, "%s:%s", duet_hash_name((enum duet_hash_kind)hash_kind), hex);
	} else if (rc == 0) {
		rc = duet_buf_putc(b, '-');
	}
	if (rc == 0)
		rc = duet_buf_printf(b, " - %s ", tm);
	if (rc == 0)
		rc = duet_lst_quote(b, e->path, e->pathlen);
	if (rc == 0)
		rc = duet_buf_putc(b, '\n');
	return rc;
}

int
duet_lst_write(FILE *f, const struct duet_listing *l, int hash_kind, int64_t saved_ns)
{
	struct duet_buf b = DUET_BUF_INIT;
	char tm[DUET_LST_TIME_LEN + 1];
	int rc;

	duet_lst_format_time(saved_ns, tm);
	rc = duet_buf_printf(&b, "%s%s\n", LST_HEADER, tm);
	for (size_t i = 0; rc == 0 && i < l->n; i++) {
		rc = duet_lst_format_entry(&b, &l->v[i], hash_kind);
		if (rc == 0 && b.len >= 65536) {
			if (fwrite(b.p, 1, b.len, f) != b.len)
				rc = duet_err_errno(errno, "write listing");
			duet_buf_reset(&b);
		}
	}
	if (rc == 0 && b.len > 0 && fwrite(b.p, 1, b.len, f) != b.len)
		rc = duet_err_errno(errno, "write listing");
	if (rc == 0 && fflush(f) != 0)
		rc = duet_err_errno(errno, "write listing");
	duet_buf_dispose(&b);
	return rc;
}

int
duet_lst_write_path(const char *path, const struct duet_listing *l, int hash_kind,
    int64_t saved_ns)
{
	struct duet_buf tmp = DUET_BUF_INIT;
	FILE *f = NULL;
	int rc;

	rc = duet_buf_printf(&tmp, "%s.tmp", path);
	if (rc != 0)
		goto out;
	f = fopen(tmp.p, "wb");
	if (f == NULL) {
		rc = duet_err_errno(errno, "create %s", tmp.p);
		goto out;
	}
	rc = duet_lst_write(f, l, hash_kind, saved_ns);
	if (rc == 0 && fsync(fileno(f)) != 0)
		rc = duet_err_errno(errno, "fsync %s", tmp.p);
	if (fclose(f) != 0 && rc == 0)
		rc = duet_err_errno(errno, "close %s", tmp.p);
	f = NULL;
	if (rc == 0 && rename(tmp.p, path) != 0)
		rc = duet_err_errno(errno, "rename %s to %s", tmp.p, path);
	if (rc != 0)
		unlink(tmp.p);
out:
	duet_buf_dispose(&tmp);
	return rc;
}
