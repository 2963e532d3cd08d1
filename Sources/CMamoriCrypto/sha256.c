#include "CMamoriCrypto.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

void mamori_sha256(const void *data, size_t length, uint8_t out[32]) {
    SHA256((const unsigned char *)data, length, out);
}

void *mamori_sha256_begin(void) {
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    if (context == NULL) return NULL;
    if (EVP_DigestInit_ex(context, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(context);
        return NULL;
    }
    return context;
}

void mamori_sha256_update(void *context, const void *data, size_t length) {
    EVP_DigestUpdate((EVP_MD_CTX *)context, data, length);
}

void mamori_sha256_finish(void *context, uint8_t out[32]) {
    unsigned int length = 32;
    EVP_DigestFinal_ex((EVP_MD_CTX *)context, out, &length);
    EVP_MD_CTX_free((EVP_MD_CTX *)context);
}

void mamori_hmac_sha256(const void *key, size_t key_length, const void *data, size_t length, uint8_t out[32]) {
    unsigned int out_length = 32;
    HMAC(EVP_sha256(), key, (int)key_length, (const unsigned char *)data, length, out, &out_length);
}

int mamori_random_bytes(uint8_t *out, size_t length) {
    return RAND_bytes(out, (int)length) == 1 ? 1 : 0;
}
