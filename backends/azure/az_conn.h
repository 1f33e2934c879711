/*
 * az_conn.h: from an azureblob remote's config (rclone's keys account,
 * key, sas_url, endpoint, use_emulator) to what every request needs: the
 * base URL, the account, the credentials, and per request the URL, the
 * path to sign and the Authorization line. No network code.
 *
 * Two URL styles: host style (https://ACCOUNT.blob.core.windows.net/
 * container/blob) and path style, used by Azurite and other emulators
 * (http://127.0.0.1:10000/ACCOUNT/container/blob). In path style the
 * account is part of the path, so it appears twice in what SharedKey
 * signs ("/ACCOUNT/ACCOUNT/container/blob").
 */
#ifndef DUET_BACKENDS_AZURE_AZ_CONN_H
#define DUET_BACKENDS_AZURE_AZ_CONN_H

#include <stddef.h>

#include "az_auth.h"
#include "core/buf.h"

/* The well-known emulator account (public, the same in every Azurite). */
#define DUET_AZ_DEV_ACCOUNT "devstoreaccount1"
#define DUET_AZ_DEV_KEY                                                                            \
	"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
#define DUET_AZ_DEV_ENDPOINT "http://127.0.0.1:10000/devstoreaccount1"
#define DUET_AZ_DEFAULT_DOMAIN "blob.core.windows.net"

enum duet_az_authkind {
	DUET_AZ_AUTH_ANON = 0, /* account only: public containers */
	DUET_AZ_AUTH_KEY = 1,  /* SharedKey with the account key */
	DUET_AZ_AUTH_SAS = 2,  /* a SAS token on every URL */
};

/* The config keys, borrowed; NULL or "" means unset. */
struct duet_az_conf {
	const char *account;  /* storage account name */
	const char *key;      /* base64 account key (secret) */
	const char *sas_url;  /* account- or container-level SAS URL (secret) */
	const char *endpoint; /* service URL; see duet_az_conn_init */
	int use_emulator;     /* nonzero: Azurite defaults */
};

struct duet_az_conn {
	char *base;                 /* owned: scheme://host[:port][/ACCOUNT], no '/' at the end */
	size_t origin_len;          /* bytes of base that are scheme://host[:port] */
	char *account;              /* owned */
	char *container;            /* owned: the container a container-level sas_url
	                               names, else NULL */
	char *sas;                  /* owned: SAS token without '?', or NULL (secret) */
	struct duet_az_key key;     /* decoded key; len 0 unless DUET_AZ_AUTH_KEY */
	enum duet_az_authkind auth; /* which of the above signs requests */
};

/*
 * Fills *c from the config, choosing as rclone does: use_emulator (account
 * defaults to devstoreaccount1, key to its well-known key, endpoint to
 * http://127.0.0.1:10000/devstoreaccount1), else account + key (SharedKey),
 * else sas_url, else account alone (anonymous).
 *
 * The base URL: the endpoint when set, with one addition: an endpoint
 * whose host is an IP address or "localhost" and which has no path gets
 * "/ACCOUNT" appended (path style, as Azurite wants). An endpoint without
 * "://" is a domain suffix, as older rclone read it: https://ACCOUNT.SUFFIX.
 * No endpoint: https://ACCOUNT.blob.core.windows.net.
 *
 * A sas_url gives endpoint, account and container itself: host style
 * (https://ACCOUNT.blob.core.windows.net[/CONTAINER]?TOKEN) or path style
 * when the host is an IP address or localhost
 * (http://127.0.0.1:10000/ACCOUNT[/CONTAINER]?TOKEN); the endpoint key is
 * then ignored. The token must hold a "sig" parameter.
 *
 * Errors: DUET_E_INVAL for no usable method, a bad URL, an account name
 * with characters other than letters, digits, '-', '_', a sas_url naming a
 * blob; DUET_E_AUTH for a key that is not base64; DUET_E_NOMEM. Messages
 * show a sas_url only redacted, never a key. On error *c is left disposed.
 */
int duet_az_conn_init(struct duet_az_conn *c, const struct duet_az_conf *conf);

/* Frees what *c owns and wipes the key and SAS token. NULL-safe. */
void duet_az_conn_dispose(struct duet_az_conn *c);

/*
 * Appends the URL of a request to `url` and the path that SharedKey signs
 * to `path` (either may be NULL). container NULL addresses the account
 * (path "/" after the base's own path), blob NULL the container. Names are
 * encoded with duet_az_path_encode. query (without '?', built with
 * duet_az_query_add; NULL or "" for none) is appended, and then the SAS
 * token when the connection has one. The URL holds the SAS token: pass it
 * through duet_az_redact before showing it. Errors: DUET_E_NOMEM.
 */
int duet_az_conn_url(const struct duet_az_conn *c, const char *container, const char *blob,
                     const char *query, struct duet_buf *url, struct duet_buf *path);

/*
 * Appends the "Authorization: SharedKey ..." line for a request when the
 * connection signs with a key (see duet_az_sign for the arguments and
 * errors); appends nothing and returns 0 for SAS and anonymous access.
 */
int duet_az_conn_authorize(const struct duet_az_conn *c, const char *method, const char *path,
                           const char *query, const struct duet_az_header *h, size_t nh,
                           struct duet_buf *line);

#endif
