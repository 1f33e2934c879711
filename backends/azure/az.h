/*
 * az.h: the Azure Blob backend (type "azureblob"): block blobs in a
 * storage account, configured with rclone's azureblob keys (account, key,
 * sas_url, endpoint, use_emulator, chunk_size, upload_concurrency,
 * list_chunk, access_tier). The remote's path is "container/prefix"; ""
 * is the account, whose directories are its containers.
 */
#ifndef DUET_BACKENDS_AZURE_AZ_H
#define DUET_BACKENDS_AZURE_AZ_H

#include "core/backend.h"

extern const struct duet_backend duet_azure_backend;

#endif
