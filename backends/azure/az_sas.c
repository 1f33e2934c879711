/*
 * az_sas.c: redaction of SAS signatures in text, and the account SAS
 * generator tests use. The signature is HMAC-SHA256 over the documented
 * StringToSign with the decoded account key, like SharedKey.
 */
#include "az_sas.h"

#include <string.h>

#include "core/error.h"

static int
sas_is_sig_at(const char *text, const char *p)
{
	if (p != text && p[-1] != '?' && p[-1] != '&')
		return 0;
	return (p[0] == 's' || p[0] == 'S') && (p[1] == 'i' || p[1] == 'I') &&
	       (p[2] == 'g' || p[2] == 'G') && p[3] == '=';
}

int
duet_az_redact(const char *text, struct duet_buf *out)
{
	const char *p = text, *copied = text;
	int rc = 0;

	while (rc == 0 && *p != '\0') {
		if (!sas_is_sig_at(text, p)) {
			p++;
			continue;
		}
		p += 4;
		rc = duet_buf_append(out, copied, (size_t)(p - copied));
		if (rc == 0)
			rc = duet_buf_puts(out, "REDACTED");
		p += strcspn(p, "&# \t\r\n\"'<>");
		copied = p;
	}
	if (rc == 0)
		rc = duet_buf_puts(out, copied);
	return rc;
}

/* Version strings are dates, so they compare as text. */
static int
sas_has_scope_line(const char *version)
{
	return strcmp(version, "2020-12-06") >= 0;
}

static int
sas_check(const struct duet_az_account_sas *p)
{
	const char *all[] = {p->version,     p->services, p->resource_types,
	                     p->permissions, p->start,    p->expiry,
	                     p->ip,          p->protocol, p->encryption_scope};

	if (p->version == NULL || p->services == NULL || p->resource_types == NULL ||
	    p->permissions == NULL || p->expiry == NULL)
		return duet_err_set(DUET_E_INVAL,
		                    "azureblob: an account SAS needs sv, ss, srt, sp and se");
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i] != NULL && strpbrk(all[i], "\r\n") != NULL)
			return duet_err_set(DUET_E_INVAL,
			                    "azureblob: an account SAS field has a line break");
	return 0;
}

int
duet_az_account_sas_string(const char *account, const struct duet_az_account_sas *p,
                           struct duet_buf *out)
{
	const char *lines[10] = {account,    p->permissions,     p->services, p->resource_types,
	                         p->start,   p->expiry,          p->ip,       p->protocol,
	                         p->version, p->encryption_scope};
	size_t n = 9;
	int rc = sas_check(p);

	if (rc != 0)
		return rc;
	if (sas_has_scope_line(p->version))
		n = 10;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = duet_buf_printf(out, "%s\n", lines[i] != NULL ? lines[i] : "");
	return rc;
}

int
duet_az_account_sas_token(const char *account, const struct duet_az_key *key,
                          const struct duet_az_account_sas *p, struct duet_buf *token)
{
	const char *names[] = {"sv", "ss", "srt", "sp", "st", "se", "sip", "spr", "ses"};
	const char *vals[] = {p->version,     p->services, p->resource_types,
	                      p->permissions, p->start,    p->expiry,
	                      p->ip,          p->protocol, p->encryption_scope};
	struct duet_buf sts = DUET_BUF_INIT;
	char sig[DUET_AZ_SIG_LEN];
	int rc;

	if (key->len == 0)
		return duet_err_set(DUET_E_INVAL, "azureblob: no account key to sign a SAS with");
	rc = duet_az_account_sas_string(account, p, &sts);
	if (rc == 0)
		rc = duet_az_hmac_b64(key, sts.p, sts.len, sig);
	for (size_t i = 0; rc == 0 && i < sizeof(names) / sizeof(names[0]); i++)
		if (vals[i] != NULL && (i != 8 || sas_has_scope_line(p->version)))
			rc = duet_az_query_add(token, names[i], vals[i]);
	if (rc == 0)
		rc = duet_az_query_add(token, "sig", sig);
	duet_buf_dispose(&sts);
	return rc;
}
