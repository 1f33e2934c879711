/*
 * az_sas.h: shared access signatures. A SAS token's "sig" is a secret as
 * good as a password for its lifetime, so everything that might show a
 * SAS URL goes through duet_az_redact first. The account SAS generator
 * exists for tests (to exercise sas_url against Azurite): duet itself
 * only consumes tokens, through az_conn.h.
 */
#ifndef DUET_BACKENDS_AZURE_AZ_SAS_H
#define DUET_BACKENDS_AZURE_AZ_SAS_H

#include "az_auth.h"
#include "core/buf.h"

/*
 * Appends `text` to `out` with the value of every "sig" query parameter
 * (name in any case, after the start, '?' or '&') replaced by "REDACTED".
 * The value ends at '&', '#', a blank, a quote, '<' or '>', so it works
 * on URLs, on query strings and on a server message quoting a URL.
 * Errors: DUET_E_NOMEM.
 */
int duet_az_redact(const char *text, struct duet_buf *out);

/*
 * The fields of an account SAS (Create an account SAS, version 2015-04-05
 * and later). Strings are borrowed and used as given (not encoded).
 */
struct duet_az_account_sas {
	const char *version;          /* sv, e.g. "2021-12-02"; required */
	const char *services;         /* ss, e.g. "b"; required */
	const char *resource_types;   /* srt, e.g. "sco"; required */
	const char *permissions;      /* sp, e.g. "rwdlacu"; required */
	const char *start;            /* st, ISO 8601 UTC; NULL for none */
	const char *expiry;           /* se, ISO 8601 UTC; required */
	const char *ip;               /* sip; NULL for none */
	const char *protocol;         /* spr, "https" or "https,http"; NULL */
	const char *encryption_scope; /* ses (sv >= 2020-12-06 only); NULL */
};

/*
 * Appends the account SAS StringToSign: account, sp, ss, srt, st, se, sip,
 * spr, sv each followed by "\n", and for sv >= 2020-12-06 the encryption
 * scope and "\n" too (absent fields are empty lines). Errors:
 * DUET_E_INVAL when a required field is missing or a field holds a line
 * break; DUET_E_NOMEM.
 */
int duet_az_account_sas_string(const char *account, const struct duet_az_account_sas *p,
                               struct duet_buf *out);

/*
 * Signs an account SAS with the account key and appends the token
 * "sv=..&ss=..&srt=..&sp=..[&st=..]&se=..[&sip=..][&spr=..][&ses=..]&sig=.."
 * (values %-encoded, no leading '?'). The token is a secret. Errors as
 * duet_az_account_sas_string; DUET_E_INVAL for an empty key; DUET_E_IO.
 */
int duet_az_account_sas_token(const char *account, const struct duet_az_key *key,
                              const struct duet_az_account_sas *p, struct duet_buf *token);

#endif
