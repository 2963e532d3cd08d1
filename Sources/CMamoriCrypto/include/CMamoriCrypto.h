#ifndef CMAMORI_CRYPTO_H
#define CMAMORI_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "CMamoriCryptoPAn.h"

/// SHA-256 of `length` bytes at `data` into `out` (32 bytes). Uses the system libcrypto.
void mamori_sha256(const void *data, size_t length, uint8_t out[32]);

/// Incremental SHA-256 (for files too large to hold twice): `mamori_sha256_begin` returns a
/// context (NULL on failure), `update` feeds bytes, `finish` writes the digest and frees it.
void *mamori_sha256_begin(void);
void mamori_sha256_update(void *context, const void *data, size_t length);
void mamori_sha256_finish(void *context, uint8_t out[32]);

/// HMAC-SHA-256 with `key` over `data` into `out` (32 bytes). Uses the system libcrypto.
void mamori_hmac_sha256(const void *key, size_t key_length, const void *data, size_t length, uint8_t out[32]);

/// Fills `out` with `length` bytes from the system's CSPRNG. Returns 1 on success, 0 on failure.
int mamori_random_bytes(uint8_t *out, size_t length);

#endif
