/*
 * entry.h: one file or directory as a backend reports it, and the hash
 * record an entry may carry. Entries are small (48 bytes) because listings
 * hold millions of them; their strings live in the listing's arena.
 */
#ifndef DUET_CORE_ENTRY_H
#define DUET_CORE_ENTRY_H

#include <stdint.h>

enum duet_etype {
	DUET_T_FILE = 1,
	DUET_T_DIR = 2,
};

/* Hash kinds, in rclone's names: md5, sha1, sha256, xxh3, xxh128. */
enum duet_hash_kind {
	DUET_HASH_MD5 = 0,
	DUET_HASH_SHA1 = 1,
	DUET_HASH_SHA256 = 2,
	DUET_HASH_XXH3 = 3,
	DUET_HASH_XXH128 = 4,
	DUET_HASH_COUNT = 5,
};
#define DUET_HASH_BIT(k) (1u << (unsigned)(k))
#define DUET_HASH_ALL ((1u << DUET_HASH_COUNT) - 1)
#define DUET_HASH_MAXLEN 32 /* bytes of the longest digest (sha256) */

/* Digests of one content; `mask` says which of `v` are valid. */
struct duet_hashes {
	unsigned mask;                                    /* DUET_HASH_BIT set */
	unsigned char v[DUET_HASH_COUNT][DUET_HASH_MAXLEN]; /* raw digests */
};

/* Entry flags. */
#define DUET_EF_LINK 0x01 /* a symlink stored as NAME.rclonelink (-l) */
#define DUET_EF_LAZY 0x02 /* mtime is the store's own time (LastModified),
                             not the kept one, which a read stream gives
                             (duet_rstream.mtime): see duet_fs.exact_only */

struct duet_entry {
	const char *path;           /* relative to the root, '/'-separated, no
	                               leading '/'; "" is the root. Borrowed:
	                               valid as long as its listing/callback */
	int64_t size;               /* bytes; -1 unknown (directories: -1) */
	int64_t mtime;              /* ns since the epoch, UTC; 0 unknown */
	struct duet_hashes *hashes; /* NULL when none known; borrowed */
	uint32_t pathlen;           /* strlen(path) */
	uint8_t type;               /* enum duet_etype */
	uint8_t flags;              /* DUET_EF_* */
};

#endif
