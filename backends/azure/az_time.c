/*
 * az_time.c: RFC 1123 and RFC 3339 times to and from ns since the epoch,
 * with the proleptic Gregorian calendar done in integer arithmetic (days
 * from a civil date and back), so no locale, TZ or timegm is involved.
 * Parse failures carry no message: callers name what they were reading.
 */
#include "az_time.h"

#include <string.h>

#include "core/error.h"

#define TM_NS 1000000000LL
/* Seconds int64 ns can hold: 1677-09-21 .. 2262-04-11; keep whole years. */
#define TM_YEAR_MIN 1678
#define TM_YEAR_MAX 2261

static const char tm_days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char tm_months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days from 1970-01-01 to y-m-d (m 1..12). */
static int64_t
tm_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The date of day z counted from 1970-01-01. */
static void
tm_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
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

static int
tm_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
tm_mdays(int64_t y, int m)
{
	static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && tm_leap(y) ? 29 : n[m - 1];
}

/* Reads exactly n decimal digits at *p into *v and advances; 0 if not. */
static int
tm_digits(const char **p, int n, int *v)
{
	int x = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return 0;
		x = x * 10 + (c - '0');
	}
	*p += n;
	*v = x;
	return 1;
}

static int
tm_lit(const char **p, const char *lit)
{
	size_t n = strlen(lit);
	if (strncmp(*p, lit, n) != 0)
		return 0;
	*p += n;
	return 1;
}

/* Checks ranges and turns a UTC civil time plus an offset into ns. */
static int
tm_to_ns(int y, int mo, int d, int h, int mi, int s, long frac, int off_s, int64_t *ns)
{
	int64_t secs;

	if (y < TM_YEAR_MIN || y > TM_YEAR_MAX || mo < 1 || mo > 12 || d < 1 ||
	    d > tm_mdays(y, mo) || h > 23 || mi > 59 || s > 59)
		return -1;
	secs = tm_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off_s;
	*ns = secs * TM_NS + frac;
	return 0;
}

int
duet_az_time_parse_http(const char *s, int64_t *ns)
{
	const char *p = s;
	int wd = -1, mo = 0, d, y, h, mi, sec;

	for (int i = 0; i < 7; i++)
		if (strncmp(p, tm_days[i], 3) == 0)
			wd = i;
	if (wd < 0)
		return DUET_E_INVAL;
	p += 3;
	if (!tm_lit(&p, ", ") || !tm_digits(&p, 2, &d) || !tm_lit(&p, " "))
		return DUET_E_INVAL;
	for (int i = 0; i < 12; i++)
		if (strncmp(p, tm_months[i], 3) == 0)
			mo = i + 1;
	if (mo == 0)
		return DUET_E_INVAL;
	p += 3;
	if (!tm_lit(&p, " ") || !tm_digits(&p, 4, &y) || !tm_lit(&p, " ") ||
	    !tm_digits(&p, 2, &h) || !tm_lit(&p, ":") || !tm_digits(&p, 2, &mi) ||
	    !tm_lit(&p, ":") || !tm_digits(&p, 2, &sec) || !tm_lit(&p, " GMT") || *p != '\0')
		return DUET_E_INVAL;
	if (tm_to_ns(y, mo, d, h, mi, sec, 0, 0, ns) != 0)
		return DUET_E_INVAL;
	return 0;
}

/* The fraction after a '.', as ns (digits past the ninth are dropped). */
static int
tm_fraction(const char **p, long *frac)
{
	long f = 0;
	int n = 0;

	if (**p != '.')
		return 1;
	(*p)++;
	while (**p >= '0' && **p <= '9') {
		if (n < 9) {
			f = f * 10 + (**p - '0');
			n++;
		}
		(*p)++;
	}
	if (n == 0)
		return 0;
	for (; n < 9; n++)
		f *= 10;
	*frac = f;
	return 1;
}

/* "Z", "z" or "+hh:mm"/"-hh:mm" into seconds east of UTC. */
static int
tm_offset(const char **p, int *off)
{
	int sign, oh, om;

	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		*off = 0;
		return 1;
	}
	if (**p != '+' && **p != '-')
		return 0;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (!tm_digits(p, 2, &oh) || !tm_lit(p, ":") || !tm_digits(p, 2, &om) || oh > 23 || om > 59)
		return 0;
	*off = sign * (oh * 3600 + om * 60);
	return 1;
}

int
duet_az_time_parse_rfc3339(const char *s, int64_t *ns)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, off = 0;
	long frac = 0;

	if (!tm_digits(&p, 4, &y) || !tm_lit(&p, "-") || !tm_digits(&p, 2, &mo) ||
	    !tm_lit(&p, "-") || !tm_digits(&p, 2, &d) || (*p != 'T' && *p != 't'))
		return DUET_E_INVAL;
	p++;
	if (!tm_digits(&p, 2, &h) || !tm_lit(&p, ":") || !tm_digits(&p, 2, &mi) ||
	    !tm_lit(&p, ":") || !tm_digits(&p, 2, &sec) || !tm_fraction(&p, &frac) ||
	    !tm_offset(&p, &off) || *p != '\0')
		return DUET_E_INVAL;
	if (tm_to_ns(y, mo, d, h, mi, sec, frac, off, ns) != 0)
		return DUET_E_INVAL;
	return 0;
}

/* Floor division of a by b > 0. */
static int64_t
tm_floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && a < 0);
}

/* Writes v as exactly w decimal digits (v < 10^w) and advances *p. */
static void
tm_put(char **p, int64_t v, int w)
{
	for (int i = w - 1; i >= 0; i--) {
		(*p)[i] = (char)('0' + v % 10);
		v /= 10;
	}
	*p += w;
}

static void
tm_puts(char **p, const char *s)
{
	size_t n = strlen(s);
	memcpy(*p, s, n);
	*p += n;
}

void
duet_az_time_format_http(time_t t, char *out)
{
	int64_t secs = (int64_t)t, days = tm_floordiv(secs, 86400), rem = secs - days * 86400;
	int64_t y;
	int m, d;
	char *p = out;

	tm_civil_from_days(days, &y, &m, &d);
	out[0] = '\0';
	if (y < 0 || y > 9999)
		return;
	tm_puts(&p, tm_days[(days % 7 + 11) % 7]);
	tm_puts(&p, ", ");
	tm_put(&p, d, 2);
	*p++ = ' ';
	tm_puts(&p, tm_months[m - 1]);
	*p++ = ' ';
	tm_put(&p, y, 4);
	*p++ = ' ';
	tm_put(&p, rem / 3600, 2);
	*p++ = ':';
	tm_put(&p, rem / 60 % 60, 2);
	*p++ = ':';
	tm_put(&p, rem % 60, 2);
	tm_puts(&p, " GMT");
	*p = '\0';
}

void
duet_az_time_format_rfc3339(int64_t ns, char *out)
{
	int64_t secs = tm_floordiv(ns, TM_NS), frac = ns - secs * TM_NS;
	int64_t days = tm_floordiv(secs, 86400), rem = secs - days * 86400;
	int64_t y;
	int m, d;
	char *p = out;

	/* int64 ns spans the years 1677..2262, so four digits always do. */
	tm_civil_from_days(days, &y, &m, &d);
	tm_put(&p, y, 4);
	*p++ = '-';
	tm_put(&p, m, 2);
	*p++ = '-';
	tm_put(&p, d, 2);
	*p++ = 'T';
	tm_put(&p, rem / 3600, 2);
	*p++ = ':';
	tm_put(&p, rem / 60 % 60, 2);
	*p++ = ':';
	tm_put(&p, rem % 60, 2);
	*p++ = '.';
	tm_put(&p, frac, 9);
	tm_puts(&p, "Z");
	*p = '\0';
}
