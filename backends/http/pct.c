/*
 * pct.c: percent-decoding (see pct.h).
 */
#include "pct.h"

#include "core/error.h"

static int
pct_hex(char c)
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
duet_pct_decode(const char *s, size_t n, int plus, struct duet_buf *out)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		char c = s[i];
		if (c == '%') {
			if (n - i < 3 || pct_hex(s[i + 1]) < 0 || pct_hex(s[i + 2]) < 0)
				return DUET_E_INVAL;
			c = (char)(pct_hex(s[i + 1]) * 16 + pct_hex(s[i + 2]));
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		rc = duet_buf_putc(out, c);
	}
	return rc;
}
