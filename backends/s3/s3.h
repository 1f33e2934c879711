/*
 * s3.h: the S3 backend (type "s3"): AWS S3 and S3-compatible stores,
 * configured with rclone's s3 keys. See docs/objstore.md.
 */
#ifndef DUET_BACKENDS_S3_S3_H
#define DUET_BACKENDS_S3_S3_H

#include "core/backend.h"

extern const struct duet_backend duet_s3_backend;

#endif
