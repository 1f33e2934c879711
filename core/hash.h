/*
 * hash.h: streaming hashers for MD5, SHA-1, SHA-256 (OpenSSL EVP) and
 * xxh3-64, xxh128 (xxHash). One hasher computes any set of kinds over the
 * same bytes in one pass, so a transfer hashes while it streams.
 */
#ifndef DUET_CORE_HASH_H
#define DUET_CORE_HASH_H

#include <stddef.h>

#include "entry.h"

struct duet_hasher;

/*
 * New hasher computing every kind in `mask` (DUET_HASH_BIT set). mask 0 is
 * allowed and computes nothing. Errors: DUET_E_NOMEM, DUET_E_IO (OpenSSL).
 * The caller owns *out and frees it with duet_hasher_free.
 */
int duet_hasher_new(unsigned mask, struct duet_hasher **out);
void duet_hasher_update(struct duet_hasher *h, const void *data, size_t n);
/* Writes the digests into *out (out->mask = the hasher's mask). The hasher
 * may be reused after duet_hasher_reset. */
void duet_hasher_final(struct duet_hasher *h, struct duet_hashes *out);
void duet_hasher_reset(struct duet_hasher *h);
void duet_hasher_free(struct duet_hasher *h);

/* rclone's name of a kind: "md5", "sha1", "sha256", "xxh3", "xxh128". */
const char *duet_hash_name(enum duet_hash_kind k);
/* Kind from a name (case-insensitive; "MD5" too, and the older rclone
 * spellings "SHA-1" and "SHA-256"); -1 when unknown. */
int duet_hash_parse(const char *name);
/* Digest length in bytes. */
size_t duet_hash_size(enum duet_hash_kind k);
/* Lower-case hex of kind k into out (at least 2*DUET_HASH_MAXLEN+1 bytes);
 * "" when k is not in h->mask. */
void duet_hash_hex(const struct duet_hashes *h, enum duet_hash_kind k, char *out);
/* Parses hex (either case) into h->v[k] and sets the bit; DUET_E_INVAL if
 * the text is not a digest of that kind. */
int duet_hash_from_hex(struct duet_hashes *h, enum duet_hash_kind k, const char *hex);
/* The value of one hex digit (either case), or -1. */
int duet_hex_nibble(char c);
/* 1 when both have kind k and the digests are equal, 0 otherwise. */
int duet_hash_equal(const struct duet_hashes *a, const struct duet_hashes *b,
    enum duet_hash_kind k);
/* The first kind present in `mask` in rclone's preference order (md5,
 * sha1, ...), or -1 when mask is 0. */
int duet_hash_first(unsigned mask);

/* One-shot convenience: hash all bytes read from fd (from its current
 * offset) into *out. Errors as read(2), mapped. */
int duet_hash_fd(int fd, unsigned mask, struct duet_hashes *out);

#endif
