/*
 * timeglob.c: the {...} time globs of --conflict-suffix (reference 1.10):
 * each brace group becomes the run's local time, formatted by a named
 * layout (DateOnly, MacFriendlyTime, YYYYMMDD, ...) or by a Go-style
 * reference-time layout such as {2006-01-02_1504}.
 */
#define _DEFAULT_SOURCE /* tm_gmtoff of struct tm */

#include "timeglob.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

/* Named layouts, as Go reference-time layouts. */
static const struct { const char *name, *layout; } tg_named[] = {
	{"DateOnly", "2006-01-02"}, {"TimeOnly", "15:04:05"},
	{"DateTime", "2006-01-02 15:04:05"}, {"RFC3339", "2006-01-02T15:04:05Z07:00"},
	{"RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"}, {"Kitchen", "3:04PM"},
	{"ANSIC", "Mon Jan _2 15:04:05 2006"}, {"UnixDate", "Mon Jan _2 15:04:05 MST 2006"},
	{"RFC822", "02 Jan 06 15:04 MST"}, {"RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"},
	{"Stamp", "Jan _2 15:04:05"}, {"MacFriendlyTime", "2006-01-02 0304PM"},
	{"mac", "2006-01-02 0304PM"}, {"YYYYMMDD", "20060102"},
};

/* Go layout tokens, longest first where one is a prefix of another, each
 * with the strftime conversion or a special code. */
static const struct { const char *tok, *fmt; } tg_tokens[] = {
	{"January", "%B"}, {"Monday", "%A"}, {"2006", "%Y"}, {"Z07:00", "Z:"},
	{"-07:00", "-:"}, {"-0700", "%z"}, {"Z0700", "Z"}, {"MST", "%Z"}, {"Jan", "%b"},
	{"Mon", "%a"}, {".999999999", ".n"}, {".000", ".m"}, {"01", "%m"}, {"02", "%d"},
	{"_2", "%e"}, {"15", "%H"}, {"03", "%I"}, {"04", "%M"}, {"05", "%S"}, {"06", "%y"},
	{"PM", "%p"}, {"pm", "pm"}, {"1", "M"}, {"2", "D"}, {"3", "h"}, {"4", "m"},
	{"5", "s"},
};

/* strftime of one conversion (literal formats keep -Wformat checks). */
static void
tg_conv(char *buf, size_t len, char c, const struct tm *tm)
{
	switch (c) {
	case 'B': strftime(buf, len, "%B", tm); break;
	case 'A': strftime(buf, len, "%A", tm); break;
	case 'Y': strftime(buf, len, "%Y", tm); break;
	case 'z': strftime(buf, len, "%z", tm); break;
	case 'Z': strftime(buf, len, "%Z", tm); break;
	case 'b': strftime(buf, len, "%b", tm); break;
	case 'a': strftime(buf, len, "%a", tm); break;
	case 'm': strftime(buf, len, "%m", tm); break;
	case 'd': strftime(buf, len, "%d", tm); break;
	case 'e': strftime(buf, len, "%e", tm); break;
	case 'H': strftime(buf, len, "%H", tm); break;
	case 'I': strftime(buf, len, "%I", tm); break;
	case 'M': strftime(buf, len, "%M", tm); break;
	case 'S': strftime(buf, len, "%S", tm); break;
	case 'y': snprintf(buf, len, "%02d", (tm->tm_year + 1900) % 100); break;
	case 'p': strftime(buf, len, "%p", tm); break;
	default: buf[0] = '\0'; break;
	}
}

/* Appends the formatted token to out (at *n, len bytes in all). */
static void
tg_put(char *out, size_t len, size_t *n, const char *fmt, const struct tm *tm, long nsec)
{
	char buf[64] = "";
	long off = tm->tm_gmtoff;
	if (fmt[0] == '%')
		tg_conv(buf, sizeof(buf), fmt[1], tm);
	else if (strcmp(fmt, "Z:") == 0 || strcmp(fmt, "-:") == 0 || strcmp(fmt, "Z") == 0) {
		if (off == 0 && fmt[0] == 'Z')
			snprintf(buf, sizeof(buf), "Z");
		else
			snprintf(buf, sizeof(buf), fmt[1] == ':' ? "%c%02ld:%02ld" : "%c%02ld%02ld",
			    off < 0 ? '-' : '+', (off < 0 ? -off : off) / 3600, (off < 0 ? -off : off) / 60 % 60);
	} else if (strcmp(fmt, ".n") == 0)
		snprintf(buf, sizeof(buf), ".%09ld", nsec);
	else if (strcmp(fmt, ".m") == 0)
		snprintf(buf, sizeof(buf), ".%03ld", nsec / 1000000);
	else if (strcmp(fmt, "pm") == 0)
		snprintf(buf, sizeof(buf), "%s", tm->tm_hour < 12 ? "am" : "pm");
	else {
		int v = fmt[0] == 'M' ? tm->tm_mon + 1 : fmt[0] == 'D' ? tm->tm_mday
		    : fmt[0] == 'h' ? (tm->tm_hour % 12 == 0 ? 12 : tm->tm_hour % 12)
		    : fmt[0] == 'm' ? tm->tm_min : tm->tm_sec;
		snprintf(buf, sizeof(buf), "%d", v);
	}
	for (const char *p = buf; *p; p++, (*n)++)
		if (*n + 1 < len)
			out[*n] = *p;
}

/* One layout into out at *n. */
static void
tg_layout(char *out, size_t len, size_t *n, const char *l, size_t ll, const struct tm *tm,
    long nsec)
{
	size_t i = 0;
	while (i < ll) {
		size_t k;
		for (k = 0; k < sizeof(tg_tokens) / sizeof(tg_tokens[0]); k++) {
			size_t tl = strlen(tg_tokens[k].tok);
			if (tl <= ll - i && memcmp(l + i, tg_tokens[k].tok, tl) == 0) {
				tg_put(out, len, n, tg_tokens[k].fmt, tm, nsec);
				i += tl;
				break;
			}
		}
		if (k == sizeof(tg_tokens) / sizeof(tg_tokens[0])) {
			if (*n + 1 < len)
				out[*n] = l[i];
			(*n)++;
			i++;
		}
	}
}

int
duet_timeglob_expand(const char *in, const struct tm *tm, long nsec, char *out, size_t len)
{
	size_t n = 0;
	const char *p = in;
	while (*p) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		const char *l;
		size_t ll, k;
		if (close == NULL) {
			if (n + 1 < len)
				out[n] = *p;
			n++;
			p++;
			continue;
		}
		l = p + 1;
		ll = (size_t)(close - l);
		for (k = 0; k < sizeof(tg_named) / sizeof(tg_named[0]); k++)
			if (strlen(tg_named[k].name) == ll && memcmp(tg_named[k].name, l, ll) == 0) {
				l = tg_named[k].layout;
				ll = strlen(l);
				break;
			}
		tg_layout(out, len, &n, l, ll, tm, nsec);
		p = close + 1;
	}
	if (len > 0)
		out[n < len ? n : len - 1] = '\0';
	if (n >= len)
		return duet_err_set(DUET_E_INVAL, "--conflict-suffix %s: too long once expanded", in);
	return 0;
}
