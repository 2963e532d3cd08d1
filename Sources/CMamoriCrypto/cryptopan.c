// Crypto-PAn (prefix-preserving IP address pseudonymisation), IPv4 and IPv6.
//
// For bit position p of an n-bit address (n = 32 or 128), the reference algorithm encrypts one
// 16-byte block: the first p bits of the address followed by bits p..127 of the pad (the pad is
// AES(key, key[16..31])). The most significant bit of the ciphertext is XORed into address bit p.
// All n blocks of one address are independent, so the AES-NI path encrypts them 16 at a time,
// round by round, to keep the AES units busy, and gathers the 16 output bits with one PMOVMSKB.
// Bits 0..15 depend only on the first 15 address bits; they come from a 65,536-entry table built
// at key setup (IPv4 and IPv6 share it: for p < 16 the blocks of both families are identical).
// So an IPv4 address costs 16 AES blocks and an IPv6 address 112.
//
// The table is indexed by the address: a local cache-timing observer could learn which cache line
// (i.e. roughly the first 11 bits of the address) was used, not the key.
//
// The fast path needs AES-NI and SSE4.1 (checked at run time with CPUID); otherwise, or when asked
// for, the portable path uses OpenSSL's AES_encrypt. Both give bit-identical results.

#include "CMamoriCryptoPAn.h"

// AES_encrypt / AES_set_encrypt_key are deprecated in OpenSSL 3 but still provided; the EVP API
// would need a per-call context to be thread safe. This is only the fallback for CPUs without AES-NI.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/aes.h>
#include <openssl/crypto.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define MAMORI_HAVE_X86 1
#include <cpuid.h>
#include <emmintrin.h>
#include <smmintrin.h>
#include <wmmintrin.h>
#define MAMORI_AESNI __attribute__((target("aes,sse4.1")))
#define MAMORI_AESNI_INLINE __attribute__((target("aes,sse4.1"), always_inline)) inline
#else
#define MAMORI_HAVE_X86 0
#endif

struct mamori_cryptopan {
    /// AES-128 round keys in the AES-NI layout (fast path only).
    _Alignas(64) uint8_t round_keys[11][16];
    /// AES(key, key[16..31]).
    _Alignas(16) uint8_t pad[16];
    /// v6_masks[p]: the first p bits set, in network byte order.
    _Alignas(16) uint8_t v6_masks[128][16];
    /// The first 4 bytes of the pad as a big-endian integer.
    uint32_t pad_v4;
    /// 1 for the AES-NI path, 0 for the portable one.
    int aesni;
    /// OpenSSL key schedule (portable path only).
    AES_KEY portable;
    /// v4_table[x]: the flip bits for address bits 0..15 of any address whose first 16 bits are x
    /// (bit 15 of the entry is address bit 0).
    uint16_t v4_table[65536];
};

size_t mamori_cryptopan_size(void) { return sizeof(struct mamori_cryptopan); }

size_t mamori_cryptopan_alignment(void) { return _Alignof(struct mamori_cryptopan); }

int mamori_cryptopan_cpu_has_aesni(void) {
#if MAMORI_HAVE_X86
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return ((ecx & bit_AES) != 0 && (ecx & bit_SSE4_1) != 0) ? 1 : 0;
#else
    return 0;
#endif
}

int mamori_cryptopan_uses_aesni(const mamori_cryptopan *ctx) { return ctx->aesni; }

void mamori_cryptopan_wipe(mamori_cryptopan *ctx) { OPENSSL_cleanse(ctx, sizeof *ctx); }

static inline uint32_t load_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void store_be64(uint8_t *p, uint64_t v) {
    store_be32(p, (uint32_t)(v >> 32));
    store_be32(p + 4, (uint32_t)v);
}

/// The first 4 bytes (as a big-endian integer) of the IPv4 block for bit position p (0..31).
static inline uint32_t v4_block_head(uint32_t pad_v4, uint32_t address, int p) {
    uint32_t mask = p == 0 ? 0 : 0xFFFFFFFFu << (32 - p);
    return pad_v4 ^ ((address ^ pad_v4) & mask);
}

// MARK: - AES-NI

#if MAMORI_HAVE_X86

MAMORI_AESNI_INLINE static __m128i expand_step(__m128i key, __m128i generated) {
    generated = _mm_shuffle_epi32(generated, 0xFF);
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    return _mm_xor_si128(key, generated);
}

#define MAMORI_EXPAND(i, rcon)                                                       \
    do {                                                                             \
        k = expand_step(k, _mm_aeskeygenassist_si128(k, rcon));                      \
        _mm_storeu_si128((__m128i *)(void *)ctx->round_keys[i], k);                  \
    } while (0)

MAMORI_AESNI static void aesni_expand_key(struct mamori_cryptopan *ctx, const uint8_t key[16]) {
    __m128i k = _mm_loadu_si128((const __m128i *)(const void *)key);
    _mm_storeu_si128((__m128i *)(void *)ctx->round_keys[0], k);
    MAMORI_EXPAND(1, 0x01);
    MAMORI_EXPAND(2, 0x02);
    MAMORI_EXPAND(3, 0x04);
    MAMORI_EXPAND(4, 0x08);
    MAMORI_EXPAND(5, 0x10);
    MAMORI_EXPAND(6, 0x20);
    MAMORI_EXPAND(7, 0x40);
    MAMORI_EXPAND(8, 0x80);
    MAMORI_EXPAND(9, 0x1B);
    MAMORI_EXPAND(10, 0x36);
}

#undef MAMORI_EXPAND

MAMORI_AESNI_INLINE static void aesni_load_keys(const struct mamori_cryptopan *ctx, __m128i rk[11]) {
    for (int r = 0; r < 11; r++) rk[r] = _mm_load_si128((const __m128i *)(const void *)ctx->round_keys[r]);
}

/// Encrypts 8 independent blocks, round by round, so that 8 AESENC are in flight.
MAMORI_AESNI_INLINE static void aesni_encrypt8(__m128i b[8], const __m128i rk[11]) {
    for (int i = 0; i < 8; i++) b[i] = _mm_xor_si128(b[i], rk[0]);
    for (int r = 1; r < 10; r++) {
        for (int i = 0; i < 8; i++) b[i] = _mm_aesenc_si128(b[i], rk[r]);
    }
    for (int i = 0; i < 8; i++) b[i] = _mm_aesenclast_si128(b[i], rk[10]);
}

/// ECB-encrypts `count` blocks in place.
MAMORI_AESNI static void aesni_encrypt_blocks(const struct mamori_cryptopan *ctx, uint8_t (*blocks)[16], size_t count) {
    __m128i rk[11];
    aesni_load_keys(ctx, rk);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i b[8];
        for (size_t j = 0; j < 8; j++) b[j] = _mm_loadu_si128((const __m128i *)(const void *)blocks[i + j]);
        aesni_encrypt8(b, rk);
        for (size_t j = 0; j < 8; j++) _mm_storeu_si128((__m128i *)(void *)blocks[i + j], b[j]);
    }
    for (; i < count; i++) {
        __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)blocks[i]), rk[0]);
        for (int r = 1; r < 10; r++) b = _mm_aesenc_si128(b, rk[r]);
        b = _mm_aesenclast_si128(b, rk[10]);
        _mm_storeu_si128((__m128i *)(void *)blocks[i], b);
    }
}

/// Encrypts 16 independent blocks round by round (the round keys come from memory operands).
MAMORI_AESNI_INLINE static void aesni_encrypt16(__m128i b[16], const __m128i rk[11]) {
    for (int i = 0; i < 16; i++) b[i] = _mm_xor_si128(b[i], rk[0]);
    for (int r = 1; r < 10; r++) {
        for (int i = 0; i < 16; i++) b[i] = _mm_aesenc_si128(b[i], rk[r]);
    }
    for (int i = 0; i < 16; i++) b[i] = _mm_aesenclast_si128(b[i], rk[10]);
}

/// Output bits for the 16 bit positions p0 .. p0+15: block i is pad ^ (diff & mask[p0 + i]),
/// where diff = address ^ pad (both in network byte order). Bit j of the result is the bit of
/// position p0 + 15 - j, so the result can be shifted straight into place.
MAMORI_AESNI_INLINE static uint32_t aesni_group16(const struct mamori_cryptopan *ctx, const __m128i rk[11], __m128i pad,
                                                  __m128i diff, int p0) {
    __m128i b[16];
    for (int i = 0; i < 16; i++) {
        __m128i mask = _mm_load_si128((const __m128i *)(const void *)ctx->v6_masks[p0 + i]);
        b[i] = _mm_xor_si128(pad, _mm_and_si128(diff, mask));
    }
    aesni_encrypt16(b, rk);
    // Gather byte 0 of the 16 ciphertexts into one register, block 15 first, then take their
    // most significant bits with one PMOVMSKB.
    __m128i u8[8], u16[4], u32[2];
    for (int i = 0; i < 8; i++) u8[i] = _mm_unpacklo_epi8(b[15 - 2 * i], b[14 - 2 * i]);
    for (int i = 0; i < 4; i++) u16[i] = _mm_unpacklo_epi16(u8[2 * i], u8[2 * i + 1]);
    for (int i = 0; i < 2; i++) u32[i] = _mm_unpacklo_epi32(u16[2 * i], u16[2 * i + 1]);
    return (uint32_t)_mm_movemask_epi8(_mm_unpacklo_epi64(u32[0], u32[1]));
}

/// IPv4: bits 0..15 from the table, bits 16..31 as one batch of 16 blocks.
MAMORI_AESNI_INLINE static uint32_t aesni_v4(const struct mamori_cryptopan *ctx, const __m128i rk[11], __m128i pad,
                                             uint32_t address) {
    uint32_t flips = (uint32_t)ctx->v4_table[address >> 16] << 16;
    __m128i diff = _mm_cvtsi32_si128((int)__builtin_bswap32(address ^ ctx->pad_v4));
    return address ^ flips ^ aesni_group16(ctx, rk, pad, diff, 16);
}

MAMORI_AESNI static uint32_t aesni_v4_one(const struct mamori_cryptopan *ctx, uint32_t address) {
    __m128i rk[11];
    aesni_load_keys(ctx, rk);
    __m128i pad = _mm_load_si128((const __m128i *)(const void *)ctx->pad);
    return aesni_v4(ctx, rk, pad, address);
}

MAMORI_AESNI static void aesni_v4_batch(const struct mamori_cryptopan *ctx, const uint32_t *input, uint32_t *output,
                                        size_t count) {
    __m128i rk[11];
    aesni_load_keys(ctx, rk);
    __m128i pad = _mm_load_si128((const __m128i *)(const void *)ctx->pad);
    for (size_t i = 0; i < count; i++) output[i] = aesni_v4(ctx, rk, pad, input[i]);
}

/// IPv6: bits 0..15 from the table, bits 16..127 as 7 batches of 16 blocks.
MAMORI_AESNI static void aesni_v6(const struct mamori_cryptopan *ctx, uint64_t high, uint64_t low, uint64_t out[2]) {
    __m128i rk[11];
    aesni_load_keys(ctx, rk);
    __m128i pad = _mm_load_si128((const __m128i *)(const void *)ctx->pad);
    // The address in network byte order: bytes 0..7 = high (big-endian), 8..15 = low.
    __m128i address = _mm_set_epi64x((long long)__builtin_bswap64(low), (long long)__builtin_bswap64(high));
    __m128i diff = _mm_xor_si128(address, pad);
    uint64_t flips_high = (uint64_t)ctx->v4_table[high >> 48] << 48;
    uint64_t flips_low = 0;
    for (int p0 = 16; p0 < 128; p0 += 16) {
        // Positions p0 .. p0+15 are flip bits (127 - p0 - 15) .. (127 - p0) of the 128-bit value.
        uint64_t bits = aesni_group16(ctx, rk, pad, diff, p0);
        int shift = 112 - p0;
        if (shift >= 64) {
            flips_high |= bits << (shift - 64);
        } else {
            flips_low |= bits << shift;
        }
    }
    out[0] = high ^ flips_high;
    out[1] = low ^ flips_low;
}

#endif  // MAMORI_HAVE_X86

// MARK: - Portable (OpenSSL AES_encrypt)

static uint32_t portable_v4(const struct mamori_cryptopan *ctx, uint32_t address) {
    uint32_t flips = (uint32_t)ctx->v4_table[address >> 16] << 16;
    uint8_t block[16], out[16];
    memcpy(block, ctx->pad, 16);
    for (int p = 16; p < 32; p++) {
        store_be32(block, v4_block_head(ctx->pad_v4, address, p));
        AES_encrypt(block, out, &ctx->portable);
        flips |= (uint32_t)(out[0] >> 7) << (31 - p);
    }
    OPENSSL_cleanse(out, sizeof out);
    return address ^ flips;
}

static void portable_v6(const struct mamori_cryptopan *ctx, uint64_t high, uint64_t low, uint64_t out[2]) {
    uint8_t address[16], diff[16], block[16], encrypted[16];
    store_be64(address, high);
    store_be64(address + 8, low);
    for (int j = 0; j < 16; j++) diff[j] = address[j] ^ ctx->pad[j];
    uint64_t flips_high = (uint64_t)ctx->v4_table[high >> 48] << 48;
    uint64_t flips_low = 0;
    for (int p = 16; p < 128; p++) {
        for (int j = 0; j < 16; j++) block[j] = ctx->pad[j] ^ (diff[j] & ctx->v6_masks[p][j]);
        AES_encrypt(block, encrypted, &ctx->portable);
        uint64_t bit = (uint64_t)(encrypted[0] >> 7);
        if (p < 64) {
            flips_high |= bit << (63 - p);
        } else {
            flips_low |= bit << (127 - p);
        }
    }
    OPENSSL_cleanse(encrypted, sizeof encrypted);
    out[0] = high ^ flips_high;
    out[1] = low ^ flips_low;
}

// MARK: - Setup

/// ECB-encrypts `count` blocks in place with whichever AES the context uses.
static void encrypt_blocks(const struct mamori_cryptopan *ctx, uint8_t (*blocks)[16], size_t count) {
#if MAMORI_HAVE_X86
    if (ctx->aesni) {
        aesni_encrypt_blocks(ctx, blocks, count);
        return;
    }
#endif
    for (size_t i = 0; i < count; i++) AES_encrypt(blocks[i], blocks[i], &ctx->portable);
}

/// Fills v4_table. Node n (0 ..< 65535) of the prefix tree is bit position p = floor(log2(n + 1))
/// with prefix n + 1 - 2^p; its output bit is ORed into the 2^(16-p) entries that share the prefix.
static void build_v4_table(struct mamori_cryptopan *ctx) {
    enum { chunk = 256, nodes = 65535 };
    uint8_t blocks[chunk][16];
    memset(ctx->v4_table, 0, sizeof ctx->v4_table);
    for (uint32_t start = 0; start < nodes; start += chunk) {
        uint32_t count = nodes - start < chunk ? nodes - start : chunk;
        for (uint32_t i = 0; i < count; i++) {
            uint32_t n = start + i + 1;
            int p = 31 - __builtin_clz(n);
            uint32_t prefix = n - (1u << p);
            uint32_t address = p == 0 ? 0 : prefix << (32 - p);
            memcpy(blocks[i], ctx->pad, 16);
            store_be32(blocks[i], v4_block_head(ctx->pad_v4, address, p));
        }
        encrypt_blocks(ctx, blocks, count);
        for (uint32_t i = 0; i < count; i++) {
            if ((blocks[i][0] & 0x80) == 0) continue;
            uint32_t n = start + i + 1;
            int p = 31 - __builtin_clz(n);
            uint32_t prefix = n - (1u << p);
            uint32_t width = 1u << (16 - p);
            uint16_t bit = (uint16_t)(1u << (15 - p));
            for (uint32_t x = prefix * width; x < (prefix + 1) * width; x++) ctx->v4_table[x] |= bit;
        }
    }
    OPENSSL_cleanse(blocks, sizeof blocks);
}

int mamori_cryptopan_init(mamori_cryptopan *ctx, const uint8_t key[32], int flags) {
    memset(ctx, 0, sizeof *ctx);
    ctx->aesni = ((flags & MAMORI_CRYPTOPAN_PORTABLE) == 0 && mamori_cryptopan_cpu_has_aesni()) ? 1 : 0;
#if MAMORI_HAVE_X86
    if (ctx->aesni) {
        aesni_expand_key(ctx, key);
    } else
#endif
    {
        ctx->aesni = 0;
        if (AES_set_encrypt_key(key, 128, &ctx->portable) != 0) {
            mamori_cryptopan_wipe(ctx);
            return 0;
        }
    }
    uint8_t pad[1][16];
    memcpy(pad[0], key + 16, 16);
    encrypt_blocks(ctx, pad, 1);
    memcpy(ctx->pad, pad[0], 16);
    OPENSSL_cleanse(pad, sizeof pad);
    ctx->pad_v4 = load_be32(ctx->pad);
    for (int p = 0; p < 128; p++) {
        for (int j = 0; j < 16; j++) {
            int bits = p - 8 * j;
            ctx->v6_masks[p][j] = bits >= 8 ? 0xFF : bits <= 0 ? 0x00 : (uint8_t)(0xFF << (8 - bits));
        }
    }
    build_v4_table(ctx);
    return 1;
}

// MARK: - Public entry points

uint32_t mamori_cryptopan_v4(const mamori_cryptopan *ctx, uint32_t address) {
#if MAMORI_HAVE_X86
    if (ctx->aesni) return aesni_v4_one(ctx, address);
#endif
    return portable_v4(ctx, address);
}

void mamori_cryptopan_v4_batch(const mamori_cryptopan *ctx, const uint32_t *input, uint32_t *output, size_t count) {
#if MAMORI_HAVE_X86
    if (ctx->aesni) {
        aesni_v4_batch(ctx, input, output, count);
        return;
    }
#endif
    for (size_t i = 0; i < count; i++) output[i] = portable_v4(ctx, input[i]);
}

void mamori_cryptopan_v6(const mamori_cryptopan *ctx, uint64_t high, uint64_t low, uint64_t out[2]) {
#if MAMORI_HAVE_X86
    if (ctx->aesni) {
        aesni_v6(ctx, high, low, out);
        return;
    }
#endif
    portable_v6(ctx, high, low, out);
}
