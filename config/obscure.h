/*
 * obscure.h: rclone's password obscuring, so that config files move
 * between rclone and duet. A value is encrypted with AES-256-CTR under a
 * fixed key that rclone publishes, a random 16-byte IV is put in front,
 * and the whole is written in unpadded URL-safe base64. This stops
 * someone reading a password over your shoulder; it is NOT encryption:
 * anyone with the file can reveal the value.
 */
#ifndef DUET_CONFIG_OBSCURE_H
#define DUET_CONFIG_OBSCURE_H

#include <stddef.h>

#define DUET_OBSCURE_IV_LEN 16

/*
 * Obscures the NUL-terminated plain text with a random IV. *out is a new
 * string the caller frees with duet_free. Errors: DUET_E_IO when the
 * random generator or the cipher fails, DUET_E_NOMEM.
 */
int duet_obscure_hide(const char *plain, char **out);

/*
 * As duet_obscure_hide with the given IV (DUET_OBSCURE_IV_LEN bytes), so
 * tests can reproduce a known obscured value. Not for real use.
 */
int duet_obscure_hide_iv(const char *plain, const unsigned char *iv, char **out);

/*
 * Reveals an obscured value (as `rclone reveal` does). *out is a new
 * NUL-terminated string the caller frees with duet_free. Errors:
 * DUET_E_INVAL with a one-line message asking whether the value was
 * obscured at all, when it is not unpadded URL-safe base64, is shorter
 * than the IV, or reveals a NUL byte; DUET_E_IO when the cipher fails;
 * DUET_E_NOMEM.
 */
int duet_obscure_reveal(const char *text, char **out);

#endif
