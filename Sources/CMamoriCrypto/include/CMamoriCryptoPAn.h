#ifndef CMAMORI_CRYPTOPAN_H
#define CMAMORI_CRYPTOPAN_H

#include <stddef.h>
#include <stdint.h>

/// Crypto-PAn (Fan, Xu, Ammar, Moon): prefix-preserving keyed pseudonymisation of IPv4 (32-bit)
/// and IPv6 (128-bit) addresses, bit-identical to the reference implementation and yacryptopan.
///
/// The context is opaque: the caller allocates `mamori_cryptopan_size()` bytes aligned to
/// `mamori_cryptopan_alignment()`, calls `mamori_cryptopan_init` once, may then use it from any
/// number of threads at once (it is only read), and calls `mamori_cryptopan_wipe` before freeing it.
/// It holds the AES-128 round keys, the pad and a 65,536-entry table of the first 16 output bits.
typedef struct mamori_cryptopan mamori_cryptopan;

/// Flag for `mamori_cryptopan_init`: use the portable (OpenSSL) AES even when the CPU has AES-NI.
#define MAMORI_CRYPTOPAN_PORTABLE 1

/// Bytes to allocate for a context.
size_t mamori_cryptopan_size(void);

/// Alignment of a context, in bytes.
size_t mamori_cryptopan_alignment(void);

/// 1 when this CPU has AES-NI and SSE4.1 (the fast path), 0 otherwise.
int mamori_cryptopan_cpu_has_aesni(void);

/// Sets up `ctx` from a 32-byte key: bytes 0..15 are the AES-128 key, bytes 16..31 are encrypted
/// once to make the pad. `flags` is 0 or `MAMORI_CRYPTOPAN_PORTABLE`. Returns 1 on success, 0 on failure
/// (the context is then wiped).
int mamori_cryptopan_init(mamori_cryptopan *ctx, const uint8_t key[32], int flags);

/// 1 when `ctx` uses AES-NI, 0 when it uses the portable AES.
int mamori_cryptopan_uses_aesni(const mamori_cryptopan *ctx);

/// Overwrites the whole context with zeros (not optimised away).
void mamori_cryptopan_wipe(mamori_cryptopan *ctx);

/// The pseudonym of one IPv4 address (host byte order integer, most significant bit first).
uint32_t mamori_cryptopan_v4(const mamori_cryptopan *ctx, uint32_t address);

/// The pseudonyms of `count` IPv4 addresses; `input` and `output` may be the same buffer.
void mamori_cryptopan_v4_batch(const mamori_cryptopan *ctx, const uint32_t *input, uint32_t *output, size_t count);

/// The pseudonym of one IPv6 address given as its high and low 64 bits; the result goes to
/// `out[0]` (high 64 bits) and `out[1]` (low 64 bits).
void mamori_cryptopan_v6(const mamori_cryptopan *ctx, uint64_t high, uint64_t low, uint64_t out[2]);

#endif
