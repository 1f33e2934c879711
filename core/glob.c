/*
 * glob.c: rclone's glob syntax compiled to a Thompson NFA over runes, or,
 * when the pattern holds {{regexp}}, to a POSIX extended regex. The parser
 * follows rclone's translation to a Go regexp: '*' is [^/]*, '**' is .*
 * (which, as in Go, does not cross '\n'), '?' is [^/], [...] a Go
 * character class, {a,b} an alternation, '\' a Go escape; the whole is
 * anchored as (^|/)...$ or, after a leading '/', as ^...$. Invariants: a
 * program ends in GI_MATCH and every jump lands inside it; matching reads
 * the glob only, so many threads may match at once.
 */
#include "glob.h"

#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

#include "alloc.h"
#include "buf.h"
#include "error.h"

#define GLOB_BADBYTE 0x110000u /* + byte: a byte that is not UTF-8 */
#define GLOB_RMAX 0x1100FFu    /* largest value a decoded "rune" takes */
#define GLOB_NONE UINT32_MAX   /* end of a chain of jumps to patch */

enum glob_op { GI_RUNE, GI_ANY, GI_ANYNL, GI_CLASS, GI_SPLIT, GI_JMP, GI_MATCH };

struct glob_insn {
	uint32_t op; /* enum glob_op */
	uint32_t x;  /* rune (folded under ICASE), class index or jump target */
	uint32_t y;  /* second target of GI_SPLIT */
};

struct glob_range {
	uint32_t lo, hi; /* inclusive runes */
};

struct glob_class {
	uint32_t first, count; /* slice of duet_glob.ranges */
	uint32_t neg;          /* 1: [^...] */
};

struct duet_glob {
	struct glob_insn *prog;    /* owned; n instructions */
	struct glob_range *ranges; /* owned; all classes' ranges */
	struct glob_class *classes;/* owned */
	uint32_t n, nranges, nclasses;
	char *lit;         /* owned: literal prefix, then literal suffix bytes */
	size_t prefix_len; /* bytes at lit every match starts with (anchored) */
	size_t suffix_off; /* where in lit the suffix starts */
	size_t suffix_len; /* bytes every match ends with */
	int whole_literal; /* the pattern is one literal (prefix == suffix) */
	int last_elem;     /* unanchored and never matches '/': only the last
	                      path element can match */
	int match_all;     /* the pattern is "**" */
	uint64_t last[2];  /* bytes a match can end with (bit per ASCII byte) */
	int has_last;      /* last[] is exact (as fast) */
	int fast;          /* prefix/suffix byte checks are exact: 1 always,
	                      2 on ASCII paths, 0 never */
	int anchored;      /* leading '/' */
	int icase;
	regex_t *re;       /* owned: the {{regexp}} form; NULL for the NFA */
};

/* Builder state; owns g until compilation succeeds. */
struct gb {
	struct duet_glob *g;
	const char *p, *end; /* cursor over the pattern */
	int depth;           /* open '{' */
	int ere;             /* emitting ERE text instead of the NFA */
	int want_ere;        /* a {{regexp}} was met in NFA mode: restart */
	int re_icase;        /* a regexp section began with (?i) */
	uint32_t cap_prog, cap_ranges, cap_classes;
	struct duet_buf re;  /* ERE text */
	struct duet_buf pre; /* literal prefix (bytes before the first wildcard) */
	struct duet_buf lit; /* current literal run at depth 0 */
	int broken;          /* a non-literal item was seen at depth 0 */
	char *why;
	size_t whylen;
};

/* Go's ASCII character classes, as rune ranges. */
struct glob_named {
	const char *name;
	uint32_t n;
	struct glob_range r[4];
};

static const struct glob_named glob_posix[] = {
	{"alnum", 3, {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}}},
	{"alpha", 2, {{'A', 'Z'}, {'a', 'z'}}},
	{"ascii", 1, {{0, 0x7F}}},
	{"blank", 2, {{'\t', '\t'}, {' ', ' '}}},
	{"cntrl", 2, {{0, 0x1F}, {0x7F, 0x7F}}},
	{"digit", 1, {{'0', '9'}}},
	{"graph", 1, {{'!', '~'}}},
	{"lower", 1, {{'a', 'z'}}},
	{"print", 1, {{' ', '~'}}},
	{"punct", 4, {{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}}},
	{"space", 2, {{'\t', '\r'}, {' ', ' '}}},
	{"upper", 1, {{'A', 'Z'}}},
	{"word", 4, {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}},
	{"xdigit", 3, {{'0', '9'}, {'A', 'F'}, {'a', 'f'}}},
};

/* Perl classes \d \s \w (Go's ASCII meaning); upper case negates. */
static const struct glob_named glob_perl[] = {
	{"d", 1, {{'0', '9'}}},
	{"s", 3, {{'\t', '\n'}, {'\f', '\r'}, {' ', ' '}}},
	{"w", 4, {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}},
};

/* The same classes as ERE bracket expressions, for {{regexp}} patterns. */
static const char *const glob_perl_ere[] = {
	"[0-9]", "[\t\n\f\r ]", "[0-9A-Za-z_]",
	"[^0-9]", "[^\t\n\f\r ]", "[^0-9A-Za-z_]",
};

/* ---- runes ---- */

/* Decodes one rune; a byte that starts no valid sequence is GLOB_BADBYTE+b. */
static size_t
glob_decode(const unsigned char *s, size_t n, uint32_t *r)
{
	unsigned c = s[0], need, min2 = 0x80, max2 = 0xBF;
	uint32_t v;

	if (c < 0x80) {
		*r = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1, v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2, v = c & 0x0F;
		min2 = c == 0xE0 ? 0xA0 : 0x80;
		max2 = c == 0xED ? 0x9F : 0xBF;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3, v = c & 0x07;
		min2 = c == 0xF0 ? 0x90 : 0x80;
		max2 = c == 0xF4 ? 0x8F : 0xBF;
	} else {
		goto bad;
	}
	if (n <= need || s[1] < min2 || s[1] > max2)
		goto bad;
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			goto bad;
		v = (v << 6) | (s[i] & 0x3F);
	}
	*r = v;
	return need + 1;
bad:
	*r = GLOB_BADBYTE + c;
	return 1;
}

/* Case mappings; Turkish dotted and dotless i have no simple case
 * folding (Go's (?i) keeps them apart from i and I), so they map to
 * themselves. */
static uint32_t
glob_lower(uint32_t r)
{
	if (r < 0x80)
		return r >= 'A' && r <= 'Z' ? r + 32 : r;
	if (r > 0x10FFFF || r == 0x130 || r == 0x131)
		return r;
	return (uint32_t)utf8proc_tolower((utf8proc_int32_t)r);
}

static uint32_t
glob_upper(uint32_t r)
{
	if (r < 0x80)
		return r >= 'a' && r <= 'z' ? r - 32 : r;
	if (r > 0x10FFFF || r == 0x130 || r == 0x131)
		return r;
	return (uint32_t)utf8proc_toupper((utf8proc_int32_t)r);
}

/* One representative per case orbit (simple folding), like Go's (?i). */
static uint32_t
glob_fold(uint32_t r)
{
	if (r < 0x80)
		return r >= 'A' && r <= 'Z' ? r + 32 : r;
	return glob_lower(glob_upper(r));
}

/* ---- building ---- */

__attribute__((format(printf, 2, 3))) static int
gb_fail(struct gb *b, const char *fmt, ...)
{
	va_list ap;
	if (b->whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(b->why, b->whylen, fmt, ap);
		va_end(ap);
	}
	return DUET_E_INVAL;
}

static int
gb_nomem(void)
{
	return duet_err_set(DUET_E_NOMEM, "out of memory compiling a filter pattern");
}

/* Grows *v (of elem-sized items, *cap of them) to hold need items. */
static int
gb_grow(void **v, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t ncap;
	void *nv;
	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	nv = duet_reallocarray(*v, ncap, elem);
	if (nv == NULL)
		return gb_nomem();
	*v = nv;
	*cap = ncap;
	return 0;
}

static int
gb_emit(struct gb *b, uint32_t op, uint32_t x, uint32_t y)
{
	struct duet_glob *g = b->g;
	int rc;
	if (g->n >= DUET_GLOB_MAX_INSNS)
		return gb_fail(b, "pattern too long (more than %d steps)", DUET_GLOB_MAX_INSNS);
	rc = gb_grow((void **)&g->prog, &b->cap_prog, g->n + 1, sizeof(*g->prog));
	if (rc != 0)
		return rc;
	g->prog[g->n].op = op;
	g->prog[g->n].x = x;
	g->prog[g->n].y = y;
	g->n++;
	return 0;
}

static int
gb_ere(struct gb *b, const char *s)
{
	return duet_buf_puts(&b->re, s) == 0 ? 0 : gb_nomem();
}

/* A non-literal item at depth 0 ends the literal prefix and suffix. */
static int
gb_break(struct gb *b)
{
	if (b->depth > 0 || b->ere)
		return 0;
	if (!b->broken && b->lit.len > 0 && duet_buf_append(&b->pre, b->lit.p, b->lit.len) != 0)
		return gb_nomem();
	b->broken = 1;
	duet_buf_reset(&b->lit);
	return 0;
}

static int
gb_literal(struct gb *b, uint32_t r)
{
	utf8proc_uint8_t u[4];
	size_t n = (size_t)utf8proc_encode_char((utf8proc_int32_t)r, u);

	if (b->ere) {
		if (r < 0x80 && strchr(".[]()*+?{}|^$\\", (int)r) != NULL)
			if (duet_buf_putc(&b->re, '\\') != 0)
				return gb_nomem();
		return duet_buf_append(&b->re, u, n) == 0 ? 0 : gb_nomem();
	}
	if (b->depth == 0 && duet_buf_append(&b->lit, u, n) != 0)
		return gb_nomem();
	return gb_emit(b, GI_RUNE, b->g->icase ? glob_fold(r) : r, 0);
}

/* Adds ranges to the class being built, complemented over all runes when neg. */
static int
gb_ranges(struct gb *b, const struct glob_range *r, uint32_t n, int neg)
{
	struct duet_glob *g = b->g;
	uint32_t next = 0;
	int rc = gb_grow((void **)&g->ranges, &b->cap_ranges, g->nranges + n + 1,
	    sizeof(*g->ranges));
	if (rc != 0)
		return rc;
	if (!neg) {
		memcpy(&g->ranges[g->nranges], r, n * sizeof(*r));
		g->nranges += n;
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) { /* tables are sorted and disjoint */
		if (r[i].lo > next)
			g->ranges[g->nranges++] = (struct glob_range){next, r[i].lo - 1};
		next = r[i].hi + 1;
	}
	g->ranges[g->nranges++] = (struct glob_range){next, GLOB_RMAX};
	return 0;
}

static int
gb_class_begin(struct gb *b, uint32_t neg)
{
	struct duet_glob *g = b->g;
	int rc = gb_grow((void **)&g->classes, &b->cap_classes, g->nclasses + 1,
	    sizeof(*g->classes));
	if (rc != 0)
		return rc;
	g->classes[g->nclasses].first = g->nranges;
	g->classes[g->nclasses].count = 0;
	g->classes[g->nclasses].neg = neg;
	return 0;
}

static int
gb_class_end(struct gb *b)
{
	struct duet_glob *g = b->g;
	struct glob_class *c = &g->classes[g->nclasses];
	c->count = g->nranges - c->first;
	g->nclasses++;
	return gb_emit(b, GI_CLASS, g->nclasses - 1, 0);
}

/* The table of \d, \s or \w for a letter of "dDsSwW". */
static const struct glob_named *
glob_perl_table(char letter)
{
	switch (letter) {
	case 'd':
	case 'D':
		return &glob_perl[0];
	case 's':
	case 'S':
		return &glob_perl[1];
	default:
		return &glob_perl[2];
	}
}

/* \d \s \w and their negations; `letter` is one of "dDsSwW". */
static int
gb_perl(struct gb *b, char letter)
{
	int neg = letter >= 'A' && letter <= 'Z';
	const struct glob_named *t = glob_perl_table(letter);
	int rc;

	if (b->ere)
		return gb_ere(b, glob_perl_ere[(t - glob_perl) + (neg ? 3 : 0)]);
	rc = gb_class_begin(b, 0);
	if (rc == 0)
		rc = gb_ranges(b, t->r, t->n, neg);
	return rc == 0 ? gb_class_end(b) : rc;
}

/*
 * Parses the escape at *tp (**tp == '\\') as Go does: punctuation stands
 * for itself, \a\f\t\n\r\v are control characters, \d\s\w (any case) are
 * classes (*perl gets the letter). Other escapes Go knows (\x, \p, \Q,
 * octal, assertions) are refused.
 */
static int
gb_escape(struct gb *b, const char **tp, uint32_t *r, char *perl)
{
	const char *t = *tp;
	unsigned char c;
	const char *ctl = "a\af\ft\tn\nr\rv\v", *k;

	*perl = 0;
	if (t + 1 >= b->end)
		return gb_fail(b, "trailing backslash");
	c = (unsigned char)t[1];
	*tp = t + 2;
	if (c >= 0x80)
		return gb_fail(b, "invalid escape of a non-ASCII character");
	if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
		*r = c;
		return 0;
	}
	if (strchr("dDsSwW", c) != NULL) {
		*perl = (char)c;
		return 0;
	}
	for (k = ctl; *k != '\0'; k += 2)
		if (*k == (char)c) {
			*r = (unsigned char)k[1];
			return 0;
		}
	return gb_fail(b, "unsupported escape \\%c", c);
}

/* One class character or escape at *tp, for a range end point. */
static int
gb_class_char(struct gb *b, const char **tp, uint32_t *r)
{
	char perl;
	int rc;
	if (**tp != '\\') {
		*tp += glob_decode((const unsigned char *)*tp, (size_t)(b->end - *tp), r);
		return 0;
	}
	rc = gb_escape(b, tp, r, &perl);
	if (rc == 0 && perl != 0)
		return gb_fail(b, "invalid escape \\%c in a character range", perl);
	return rc;
}

/* [:name:] or [:^name:] at t (t[0..1] == "[:"), closing before `close`. */
static int
gb_named(struct gb *b, const char **tp, const char *close, int *done)
{
	const char *t = *tp, *e, *name;
	size_t len;
	int neg;

	*done = 0;
	for (e = t + 2; e + 1 < close && !(e[0] == ':' && e[1] == ']'); e++)
		;
	if (e + 1 >= close)
		return 0; /* no ":]" inside this class: a plain '[' */
	name = t + 2;
	neg = *name == '^';
	name += neg;
	len = (size_t)(e - name);
	for (size_t i = 0; i < sizeof(glob_posix) / sizeof(glob_posix[0]); i++) {
		const struct glob_named *p = &glob_posix[i];
		if (strlen(p->name) == len && memcmp(p->name, name, len) == 0) {
			*tp = e + 2;
			*done = 1;
			return gb_ranges(b, p->r, p->n, neg);
		}
	}
	return gb_fail(b, "invalid character class range \"%.*s\"", (int)(e + 2 - t), t);
}

/* One member of a class: a named or Perl class, a character or a range. */
static int
gb_class_item(struct gb *b, const char **tp, const char *close)
{
	const char *t = *tp;
	uint32_t lo, hi;
	int rc, done;

	if (t[0] == '[' && t + 1 < close && t[1] == ':') {
		rc = gb_named(b, tp, close, &done);
		if (rc != 0 || done)
			return rc;
	}
	if (t[0] == '\\' && t + 1 < close && strchr("dDsSwW", t[1]) != NULL) {
		const struct glob_named *pt = glob_perl_table(t[1]);
		*tp = t + 2;
		return gb_ranges(b, pt->r, pt->n, t[1] >= 'A' && t[1] <= 'Z');
	}
	rc = gb_class_char(b, tp, &lo);
	if (rc != 0)
		return rc;
	hi = lo;
	t = *tp;
	if (t + 1 < b->end && t[0] == '-' && t[1] != ']') {
		*tp = t + 1;
		rc = gb_class_char(b, tp, &hi);
		if (rc != 0)
			return rc;
		if (hi < lo)
			return gb_fail(b, "invalid character class range");
	}
	return gb_ranges(b, &(struct glob_range){lo, hi}, 1, 0);
}

/*
 * A character class. rclone finds its end by counting '[' and ']' and then
 * hands the text to Go's regexp; a class Go would close elsewhere than
 * rclone's count says is refused rather than guessed at.
 */
static int
gb_class(struct gb *b)
{
	const char *t, *close;
	int nest = 0, first = 1, rc;
	uint32_t neg;

	for (close = b->p; close < b->end; close++)
		if (*close == '[')
			nest++;
		else if (*close == ']' && --nest == 0)
			break;
	if (close >= b->end)
		return gb_fail(b, "mismatched '[' and ']'");
	if (b->ere)
		return gb_fail(b, "character classes cannot be mixed with {{regexp}}");
	rc = gb_break(b);
	t = b->p + 1;
	neg = t < close && *t == '^';
	t += neg;
	if (rc == 0)
		rc = gb_class_begin(b, neg);
	while (rc == 0 && !(t == close && !first)) {
		if (t >= close || (*t == ']' && !first) ||
		    (t[0] == '\\' && t + 1 == close))
			return gb_fail(b, "unsupported character class (brackets pair differently "
			    "in rclone and Go)");
		first = 0;
		rc = gb_class_item(b, &t, close);
		if (rc == 0 && t > close)
			return gb_fail(b, "unsupported character class");
	}
	b->p = close + 1;
	return rc != 0 ? rc : gb_class_end(b);
}

/* * or ** (more stars are an error, as in rclone). */
static int
gb_stars(struct gb *b)
{
	uint32_t l = b->g->n;
	int n = 0, rc;
	while (b->p < b->end && *b->p == '*')
		b->p++, n++;
	if (n > 2)
		return gb_fail(b, "too many stars");
	if (b->ere)
		return gb_ere(b, n == 1 ? "[^/]*" : ".*");
	rc = gb_break(b);
	if (rc == 0)
		rc = gb_emit(b, GI_SPLIT, l + 1, l + 3);
	if (rc == 0)
		rc = gb_emit(b, n == 1 ? GI_ANY : GI_ANYNL, 0, 0);
	return rc == 0 ? gb_emit(b, GI_JMP, l, 0) : rc;
}

static int
gb_ere_n(struct gb *b, const char *s, size_t n)
{
	return duet_buf_append(&b->re, s, n) == 0 ? 0 : gb_nomem();
}

/* Length of a bracket expression's [:name:] (or [.x.], [=x=]) at s, or 0. */
static size_t
gb_re_named(const char *s, size_t n)
{
	if (n < 2 || s[0] != '[' || strchr(":.=", s[1]) == NULL)
		return 0;
	for (size_t j = 2; j + 1 < n; j++)
		if (s[j] == s[1] && s[j + 1] == ']')
			return j + 2;
	return 0;
}

#define GLOB_RE_MAX 20000 /* nodes a {{regexp}} may expand to */
#define GLOB_RE_DEPTH 64  /* nested groups in a {{regexp}} */

/* Length of the bracket expression at s (s[0] == '['), or n if unclosed. */
static size_t
gb_re_bracket(const char *s, size_t n)
{
	size_t k = 1, m;
	k += k < n && s[k] == '^';
	k += k < n && s[k] == ']';
	for (; k < n && s[k] != ']'; k++)
		if ((m = gb_re_named(s + k, n - k)) > 0)
			k += m - 1;
	return k < n ? k + 1 : n;
}

/* Parses "{n}", "{n,}" or "{n,m}" at s; 0 when it is not one. */
static size_t
gb_re_count(const char *s, size_t n, unsigned long *max)
{
	size_t k = 1;
	unsigned long v[2] = {0, 0};
	int part = 0, digits = 0;

	for (; k < n && s[k] != '}'; k++) {
		if (s[k] == ',' && part == 0 && digits > 0) {
			part = 1, digits = 0;
			v[1] = v[0] + 1; /* "{n,}": glibc makes n + 1 copies */
		} else if (s[k] >= '0' && s[k] <= '9' && v[part] <= 100000) {
			v[part] = (part && digits == 0 ? 0 : v[part] * 10) + (unsigned long)(s[k] - '0');
			digits++;
		} else {
			return 0;
		}
	}
	if (k >= n || (part == 0 && digits == 0))
		return 0;
	*max = v[0] > v[1] ? v[0] : v[1];
	return k + 1;
}

/*
 * Refuses what Go's regexp refuses and what makes the C library's regcomp
 * or regexec blow up: a repetition of a repetition ("a++"), counts over
 * 1000, back-references, deep nesting, and anything that would expand to
 * more than GLOB_RE_MAX nodes.
 */
static int
gb_re_check(struct gb *b, const char *s, size_t n)
{
	unsigned long size[GLOB_RE_DEPTH + 1] = {0}, last = 0, cnt;
	int depth = 0, prevq = 0;

	for (size_t i = 0, k; i < n; i += k) {
		int q = 0;
		k = 1;
		if (s[i] == '\\' && i + 1 < n && s[i + 1] >= '1' && s[i + 1] <= '9')
			return gb_fail(b, "bad regexp: back-references are not supported");
		if (s[i] == '*' || s[i] == '+' || s[i] == '?' ||
		    (s[i] == '{' && (k = gb_re_count(s + i, n - i, &cnt)) > 0)) {
			q = s[i] == '?' && prevq == 1 ? 2 : 1; /* "*?" is Go's lazy star */
			if (prevq && q == 1)
				return gb_fail(b, "bad regexp: invalid nested repetition operator");
			if (s[i] == '{' && cnt > 1000)
				return gb_fail(b, "bad regexp: invalid repeat count");
			size[depth] += s[i] == '+' ? last : s[i] == '{' && cnt > 1 ? last * (cnt - 1) : 0;
		} else if (s[i] == '(') {
			if (depth == GLOB_RE_DEPTH)
				return gb_fail(b, "bad regexp: nested too deeply");
			size[++depth] = 0;
		} else if (s[i] == ')' && depth > 0) {
			last = size[depth--] + 1;
			size[depth] += last;
		} else if (s[i] != '|') {
			k = s[i] == '[' ? gb_re_bracket(s + i, n - i) : s[i] == '\\' && i + 1 < n ? 2 : 1;
			last = 1;
			size[depth]++;
		}
		prevq = q;
		if (size[depth] > GLOB_RE_MAX || last > GLOB_RE_MAX)
			return gb_fail(b, "bad regexp: too large");
	}
	return 0;
}

/*
 * The text of a {{regexp}} for POSIX: \d and \D become bracket expressions
 * and a leading (?i) turns on REG_ICASE (for the whole pattern); the rest
 * is passed through. The bracket tracking only finds where \d is outside.
 */
static int
gb_re_text(struct gb *b, const char *s, size_t n)
{
	size_t i = 0, k;
	int br = 0, rc = 0;

	if (n >= 4 && memcmp(s, "(?i)", 4) == 0) {
		b->re_icase = 1;
		i = 4;
	}
	for (; rc == 0 && i < n; i++) {
		if (!br && s[i] == '\\' && i + 1 < n) {
			i++;
			if (s[i] == 'd' || s[i] == 'D')
				rc = gb_ere(b, s[i] == 'd' ? "[0-9]" : "[^0-9]");
			else
				rc = gb_ere_n(b, s + i - 1, 2);
		} else if (!br && s[i] == '[') {
			k = i + 1;
			k += k < n && s[k] == '^';
			k += k < n && s[k] == ']';
			rc = gb_ere_n(b, s + i, k - i);
			i = k - 1;
			br = 1;
		} else if (br && (k = gb_re_named(s + i, n - i)) > 0) {
			rc = gb_ere_n(b, s + i, k);
			i += k - 1;
		} else {
			if (br && s[i] == ']')
				br = 0;
			rc = gb_ere_n(b, s + i, 1);
		}
	}
	return rc;
}

/*
 * {{regexp}} at b->p. As in rclone it ends at the first "}}", and any
 * further '}' of that run belong to the regexp ("{{\d{8}}}" is \d{8}).
 */
static int
gb_regexp(struct gb *b)
{
	const char *s = b->p + 2, *q = s, *run;
	size_t extra;
	int rc;

	while (q + 1 < b->end && !(q[0] == '}' && q[1] == '}'))
		q++;
	if (q + 1 >= b->end)
		return gb_fail(b, "mismatched '{{' and '}}'");
	if (!b->ere) {
		b->want_ere = 1;
		return 0;
	}
	for (run = q; run < b->end && *run == '}'; run++)
		;
	extra = (size_t)(run - q) - 2;
	rc = gb_re_check(b, s, (size_t)(run - s) - 2);
	if (rc == 0)
		rc = gb_ere(b, "(");
	if (rc == 0)
		rc = gb_re_text(b, s, (size_t)(q - s));
	while (rc == 0 && extra-- > 0)
		rc = gb_ere(b, "}");
	if (rc == 0)
		rc = gb_ere(b, ")");
	b->p = run;
	return rc;
}

static int gb_seq(struct gb *b);

/* {a,b,...}: SPLIT to each alternative, each but the last jumps to the end. */
static int
gb_alt(struct gb *b)
{
	uint32_t split, jmps = GLOB_NONE, next;
	int rc = gb_break(b);

	b->p++;
	b->depth++;
	if (rc == 0 && b->ere)
		rc = gb_ere(b, "(");
	while (rc == 0) {
		split = b->g->n;
		if (!b->ere)
			rc = gb_emit(b, GI_SPLIT, split + 1, 0);
		if (rc == 0)
			rc = gb_seq(b);
		if (rc != 0 || b->want_ere)
			return rc;
		if (b->p >= b->end)
			return gb_fail(b, "mismatched '{' and '}'");
		if (*b->p++ == '}') {
			if (!b->ere)
				b->g->prog[split].y = split + 1;
			break;
		}
		if (b->ere) {
			rc = gb_ere(b, "|");
			continue;
		}
		rc = gb_emit(b, GI_JMP, jmps, 0);
		jmps = b->g->n - 1;
		b->g->prog[split].y = b->g->n;
	}
	for (; rc == 0 && jmps != GLOB_NONE; jmps = next) {
		next = b->g->prog[jmps].x;
		b->g->prog[jmps].x = b->g->n;
	}
	b->depth--;
	return rc == 0 && b->ere ? gb_ere(b, ")") : rc;
}

static int
gb_item(struct gb *b)
{
	uint32_t r;
	char perl;
	int rc;

	switch (*b->p) {
	case '*':
		return gb_stars(b);
	case '?':
		b->p++;
		if (b->ere)
			return gb_ere(b, "[^/]");
		rc = gb_break(b);
		return rc == 0 ? gb_emit(b, GI_ANY, 0, 0) : rc;
	case '[':
		return gb_class(b);
	case ']':
		return gb_fail(b, "mismatched ']'");
	case '{':
		if (b->p + 1 < b->end && b->p[1] == '{') {
			rc = gb_break(b);
			return rc == 0 ? gb_regexp(b) : rc;
		}
		return gb_alt(b);
	case '}':
		return gb_fail(b, "mismatched '{' and '}'");
	case '\\':
		rc = gb_escape(b, &b->p, &r, &perl);
		if (rc == 0 && perl != 0) {
			rc = gb_break(b);
			return rc == 0 ? gb_perl(b, perl) : rc;
		}
		return rc == 0 ? gb_literal(b, r) : rc;
	default:
		b->p += glob_decode((const unsigned char *)b->p, (size_t)(b->end - b->p), &r);
		return gb_literal(b, r);
	}
}

/* Items up to the end, or to ',' or '}' inside braces. */
static int
gb_seq(struct gb *b)
{
	int rc = 0;
	while (rc == 0 && b->p < b->end && !b->want_ere) {
		if (b->depth > 0 && (*b->p == ',' || *b->p == '}'))
			break;
		rc = gb_item(b);
	}
	return rc;
}

static int
gb_check_utf8(struct gb *b, const char *s, size_t n)
{
	uint32_t r;
	for (size_t i = 0; i < n;) {
		i += glob_decode((const unsigned char *)s + i, n - i, &r);
		if (r >= GLOB_BADBYTE)
			return gb_fail(b, "invalid UTF-8");
	}
	return 0;
}

static int glob_class_has(const struct duet_glob *g, const struct glob_class *c, uint32_t r);

/*
 * The ASCII runes a match can end with: those consumed by a step from
 * which GI_MATCH is reached without reading more. Only kept when every
 * such step is one ASCII rune and the pattern cannot match "". Under
 * --ignore-case, k and s make it hold on ASCII paths only (see fast).
 */
static int
gb_last_runes(struct gb *b)
{
	struct duet_glob *g = b->g;
	unsigned char *end = duet_calloc(g->n, 1); /* 1: reaches GI_MATCH freely */
	int changed = 1;

	if (end == NULL)
		return gb_nomem();
	end[g->n - 1] = 1;
	while (changed) {
		changed = 0;
		for (uint32_t i = g->n; i-- > 0;) {
			const struct glob_insn *in = &g->prog[i];
			unsigned char e = in->op == GI_JMP ? end[in->x]
			    : in->op == GI_SPLIT ? (end[in->x] | end[in->y]) : end[i];
			changed |= e != end[i];
			end[i] = e;
		}
	}
	g->has_last = !end[0];
	for (uint32_t i = 0; g->has_last && i + 1 < g->n; i++) {
		const struct glob_insn *in = &g->prog[i];
		uint32_t r = in->x;
		if (in->op == GI_JMP || in->op == GI_SPLIT || !end[i + 1])
			continue;
		if (in->op != GI_RUNE || r >= 0x80) {
			g->has_last = 0;
			break;
		}
		if (g->icase && (r == 'k' || r == 's'))
			g->has_last = 2;
		g->last[r >> 6] |= 1ull << (r & 63);
		if (g->icase && r >= 'a' && r <= 'z')
			g->last[(r - 32) >> 6] |= 1ull << ((r - 32) & 63);
	}
	duet_free(end);
	return 0;
}

/* Notes shapes that allow a shortcut when matching. */
static int
gb_shape(struct gb *b)
{
	struct duet_glob *g = b->g;

	g->last_elem = !g->anchored;
	for (uint32_t i = 0; i < g->n; i++) {
		const struct glob_insn *in = &g->prog[i];
		if (in->op == GI_ANYNL || (in->op == GI_RUNE && in->x == '/') ||
		    (in->op == GI_CLASS && glob_class_has(g, &g->classes[in->x], '/')))
			g->last_elem = 0;
	}
	g->match_all = g->n == 4 && g->prog[1].op == GI_ANYNL && g->prog[0].op == GI_SPLIT;
	return gb_last_runes(b);
}

/*
 * Ends the program and keeps the literal bytes every match must start
 * (anchored patterns) and end with, for quick rejection.
 */
static int
gb_finish_nfa(struct gb *b)
{
	struct duet_glob *g = b->g;
	const struct duet_buf *pre = &b->pre, *suf = &b->lit;
	int rc = gb_emit(b, GI_MATCH, 0, 0);

	if (rc != 0)
		return rc;
	if (!b->broken)
		pre = &b->lit;
	g->whole_literal = !b->broken;
	g->lit = duet_malloc(pre->len + suf->len + 1);
	if (g->lit == NULL)
		return gb_nomem();
	if (pre->len > 0)
		memcpy(g->lit, pre->p, pre->len);
	g->prefix_len = g->anchored || !b->broken ? pre->len : 0;
	g->suffix_off = b->broken ? pre->len : 0;
	g->suffix_len = suf->len;
	if (b->broken && suf->len > 0)
		memcpy(g->lit + pre->len, suf->p, suf->len);
	rc = gb_shape(b);
	if (rc != 0)
		return rc;
	/* Under --ignore-case two non-ASCII runes fold onto ASCII letters
	 * (U+017F onto s, U+212A onto k), so bytes decide only for ASCII
	 * literals, and with k or s in them only on ASCII paths. */
	g->fast = 1;
	for (size_t i = 0; g->icase && i < pre->len + (b->broken ? suf->len : 0); i++) {
		unsigned char c = (unsigned char)g->lit[i];
		if (c >= 0x80) {
			g->fast = 0;
			break;
		}
		if (strchr("kKsS", c) != NULL)
			g->fast = 2;
	}
	return 0;
}

static int
gb_finish_ere(struct gb *b)
{
	struct duet_glob *g = b->g;
	char msg[128];
	int rc, flags = REG_EXTENDED | REG_NOSUB;

	if (duet_buf_puts(&b->re, "$") != 0)
		return gb_nomem();
	if (g->icase || b->re_icase)
		flags |= REG_ICASE;
	g->re = duet_calloc(1, sizeof(*g->re));
	if (g->re == NULL)
		return gb_nomem();
	rc = regcomp(g->re, b->re.p, flags);
	if (rc == 0)
		return 0;
	if (rc == REG_ESPACE) {
		rc = gb_nomem();
	} else {
		regerror(rc, g->re, msg, sizeof(msg));
		rc = gb_fail(b, "bad regexp: %s", msg);
	}
	duet_free(g->re);
	g->re = NULL;
	return rc;
}

static void
gb_dispose(struct gb *b)
{
	duet_buf_dispose(&b->re);
	duet_buf_dispose(&b->pre);
	duet_buf_dispose(&b->lit);
	duet_glob_free(b->g);
	b->g = NULL;
}

/* One compilation attempt, in NFA or ERE mode. */
static int
gb_run(struct gb *b, const char *pattern, unsigned flags, int ere)
{
	size_t n = strlen(pattern);
	int rc;

	b->g = duet_calloc(1, sizeof(*b->g));
	if (b->g == NULL)
		return gb_nomem();
	b->g->icase = (flags & DUET_GLOB_ICASE) != 0;
	b->ere = ere;
	b->p = pattern;
	b->end = pattern + n;
	rc = gb_check_utf8(b, pattern, n);
	if (rc == 0 && *b->p == '/') {
		b->g->anchored = 1;
		b->p++;
	}
	if (rc == 0 && ere)
		rc = gb_ere(b, b->g->anchored ? "^" : "(^|/)");
	if (rc == 0)
		rc = gb_seq(b);
	if (rc != 0 || b->want_ere)
		return rc;
	return ere ? gb_finish_ere(b) : gb_finish_nfa(b);
}

int
duet_glob_compile(const char *pattern, unsigned flags, struct duet_glob **out, char *why,
    size_t whylen)
{
	struct gb b;
	int rc;

	*out = NULL;
	if (whylen > 0)
		why[0] = '\0';
	memset(&b, 0, sizeof(b));
	b.why = why;
	b.whylen = whylen;
	rc = gb_run(&b, pattern, flags, (flags & DUET_GLOB_ERE) != 0);
	if (rc == 0 && b.want_ere) {
		gb_dispose(&b);
		memset(&b, 0, sizeof(b));
		b.why = why;
		b.whylen = whylen;
		rc = gb_run(&b, pattern, flags, 1);
	}
	if (rc == 0) {
		*out = b.g;
		b.g = NULL;
	}
	gb_dispose(&b);
	return rc;
}

void
duet_glob_free(struct duet_glob *g)
{
	if (g == NULL)
		return;
	if (g->re != NULL) {
		regfree(g->re);
		duet_free(g->re);
	}
	duet_free(g->prog);
	duet_free(g->ranges);
	duet_free(g->classes);
	duet_free(g->lit);
	duet_free(g);
}

int
duet_glob_is_regexp(const struct duet_glob *g)
{
	return g->re != NULL;
}

/* ---- matching ---- */

/* A set of NFA states: list for iteration, bits for membership. */
struct glob_list {
	uint32_t n;
	uint16_t pc[DUET_GLOB_MAX_INSNS];
	uint64_t mark[DUET_GLOB_MAX_INSNS / 64];
};

static void
glob_clear(const struct duet_glob *g, struct glob_list *l)
{
	l->n = 0;
	memset(l->mark, 0, ((g->n + 63) / 64) * sizeof(l->mark[0]));
}

/* Adds pc and everything reachable from it without reading a rune. */
static void
glob_add(const struct duet_glob *g, struct glob_list *l, uint16_t *stk, uint32_t pc)
{
	uint32_t sp = 0, t[2];

	if (l->mark[pc >> 6] & (1ull << (pc & 63)))
		return;
	l->mark[pc >> 6] |= 1ull << (pc & 63);
	stk[sp++] = (uint16_t)pc;
	while (sp > 0) {
		const struct glob_insn *in = &g->prog[stk[--sp]];
		uint32_t nt = 0;
		if (in->op == GI_JMP)
			t[nt++] = in->x;
		else if (in->op == GI_SPLIT)
			t[nt++] = in->x, t[nt++] = in->y;
		else
			l->pc[l->n++] = (uint16_t)(in - g->prog);
		for (uint32_t i = 0; i < nt; i++) {
			if (l->mark[t[i] >> 6] & (1ull << (t[i] & 63)))
				continue;
			l->mark[t[i] >> 6] |= 1ull << (t[i] & 63);
			stk[sp++] = (uint16_t)t[i];
		}
	}
}

static int
glob_in(const struct duet_glob *g, const struct glob_class *c, uint32_t r)
{
	for (uint32_t i = 0; i < c->count; i++) {
		const struct glob_range *x = &g->ranges[c->first + i];
		if (r >= x->lo && r <= x->hi)
			return 1;
	}
	return 0;
}

/* Class membership; under --ignore-case the rune's case partners count
 * too (as in Go, the class is folded before it is negated). */
static int
glob_class_has(const struct duet_glob *g, const struct glob_class *c, uint32_t r)
{
	int m = glob_in(g, c, r);
	if (!m && g->icase && r <= 0x10FFFF) {
		uint32_t v[4] = {glob_lower(r), glob_upper(r), 0, 0};
		v[2] = glob_lower(v[1]);
		v[3] = glob_upper(v[0]);
		for (int i = 0; i < 4 && !m; i++)
			m = v[i] != r && glob_in(g, c, v[i]);
	}
	return m != (int)c->neg;
}

static int
glob_take(const struct duet_glob *g, const struct glob_insn *in, uint32_t r, uint32_t fr)
{
	switch (in->op) {
	case GI_RUNE:
		return in->x == fr;
	case GI_ANY:
		return r != '/';
	case GI_ANYNL:
		return r != '\n';
	case GI_CLASS:
		return glob_class_has(g, &g->classes[in->x], r);
	default:
		return 0;
	}
}

/* Thompson simulation over path[0..len) plus an optional final '/'. */
static int
glob_nfa(const struct duet_glob *g, const unsigned char *s, size_t len, int dir, int anchored)
{
	struct glob_list la, lb, *cl = &la, *nl = &lb, *tmp;
	uint16_t stk[DUET_GLOB_MAX_INSNS];
	size_t pos = 0, total = len + (dir != 0);
	uint32_t r, last = g->n - 1;

	glob_clear(g, cl);
	glob_add(g, cl, stk, 0);
	while (pos < total) {
		size_t w = 1;
		if (cl->n == 0) { /* no thread left: resume after the next '/' */
			const unsigned char *q;
			if (anchored)
				return 0;
			q = pos < len ? memchr(s + pos, '/', len - pos) : NULL;
			if (q == NULL && !dir)
				return 0;
			pos = q != NULL ? (size_t)(q - s) + 1 : total;
			glob_clear(g, cl);
			glob_add(g, cl, stk, 0);
			continue;
		}
		if (pos < len)
			w = glob_decode(s + pos, len - pos, &r);
		else
			r = '/';
		glob_clear(g, nl);
		for (uint32_t i = 0; i < cl->n; i++)
			if (glob_take(g, &g->prog[cl->pc[i]], r, g->icase ? glob_fold(r) : r))
				glob_add(g, nl, stk, cl->pc[i] + 1u);
		if (!anchored && r == '/')
			glob_add(g, nl, stk, 0);
		tmp = cl, cl = nl, nl = tmp;
		pos += w;
	}
	return (cl->mark[last >> 6] & (1ull << (last & 63))) != 0;
}

static unsigned char
glob_ascii_fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Compares lit with the virtual string path + '/' at off. */
static int
glob_bytes(const struct duet_glob *g, const char *lit, size_t n, const char *path,
    size_t len, size_t off)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char a = (unsigned char)lit[i];
		unsigned char c = off + i < len ? (unsigned char)path[off + i] : '/';
		if (g->icase) {
			a = glob_ascii_fold(a);
			c = glob_ascii_fold(c);
		}
		if (a != c)
			return 0;
	}
	return 1;
}

static int
glob_is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* Answers from the last byte, literal prefix and suffix: -1 if undecided. */
static int
glob_quick(const struct duet_glob *g, const char *path, size_t len, int dir)
{
	size_t total = len + (dir != 0), n = g->suffix_len;
	int ascii = (g->fast == 2 || g->has_last == 2) ? glob_is_ascii(path, len) : 0;

	if (g->has_last == 1 || (g->has_last == 2 && ascii)) {
		unsigned char c = len > 0 && !dir ? (unsigned char)path[len - 1] : '/';
		if (total == 0 || c >= 0x80 || !(g->last[c >> 6] & (1ull << (c & 63))))
			return 0;
	}
	if (g->fast == 0 || (g->fast == 2 && !ascii))
		return -1;
	if (total < n || !glob_bytes(g, g->lit + g->suffix_off, n, path, len, total - n))
		return 0;
	if (g->whole_literal) {
		if (total == n)
			return 1;
		/* unanchored: the literal must start a path element */
		return !g->anchored && (total - n - 1 >= len || path[total - n - 1] == '/');
	}
	if (g->anchored && (total < g->prefix_len ||
	    !glob_bytes(g, g->lit, g->prefix_len, path, len, 0)))
		return 0;
	return -1;
}

static int
glob_re_match(const struct duet_glob *g, const char *path, size_t len, int dir)
{
	char small[512], *s = small;
	int hit;

	if (len + 2 > sizeof(small)) {
		s = duet_malloc(len + 2);
		if (s == NULL)
			return 0;
	}
	memcpy(s, path, len);
	if (dir)
		s[len++] = '/';
	s[len] = '\0';
	hit = regexec(g->re, s, 0, NULL, 0) == 0;
	if (s != small)
		duet_free(s);
	return hit;
}

int
duet_glob_match(const struct duet_glob *g, const char *path, size_t len, int dir)
{
	int q;
	if (g->re != NULL)
		return glob_re_match(g, path, len, dir);
	q = glob_quick(g, path, len, dir);
	if (q >= 0)
		return q;
	if (g->match_all || g->last_elem) {
		/* An unanchored pattern of either kind can only match after the
		 * last '/' (in "path/" that is the empty string). */
		const char *t = path;
		size_t tn = len;
		if (!g->anchored && dir) {
			t = path + len;
			tn = 0;
		}
		for (size_t i = tn; !g->anchored && i-- > 0;)
			if (path[i] == '/') {
				t = path + i + 1;
				tn = len - i - 1;
				break;
			}
		if (g->match_all) /* Go's ".*" stops at a newline */
			return tn == 0 || memchr(t, '\n', tn) == NULL;
		return glob_nfa(g, (const unsigned char *)t, tn, 0, 1);
	}
	return glob_nfa(g, (const unsigned char *)path, len, dir, g->anchored);
}
