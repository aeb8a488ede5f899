// The ledger's hash chain, many rows per call (adapters/ledger-chain.ts lays the rows out).
// Hashing a row from JavaScript costs a crypto call per row, most of it the call itself; here a
// batch of rows is hashed with SHA-256 (or HMAC-SHA256) in one call, through the OpenSSL that
// Node itself is built with (its symbols are resolved in the running node binary).
//
// A batch is one byte buffer holding the rows back to back; `ends[i]` is where row i ends
// (row 0 starts at 0). Each row starts with 32 bytes of room for the link: the previous row's
// hash, which the hash covers first. Every length and offset is checked before any byte is
// touched: a bad call throws, it never reads or writes outside its buffers.
#include "addon.h"
#include <openssl/sha.h>
#include <string.h>

#define HASH 32
#define BLOCK 64

typedef struct {
  uint8_t *batch;
  size_t batch_len;
  uint32_t *ends;
  uint32_t count;
  int keyed;
  SHA256_CTX ipad, opad; // HMAC's two keyed states, each after its 64-byte key block
} Rows;

// Row i: from *start (where row i - 1 ended) to ends[i], read once; its length into *len and
// *start moved to its end. 0 (a RangeError thrown) when it lies outside the batch or is shorter
// than its link. Checked again where each row is used, in case ends shares memory with a buffer
// that is written.
static int row_at(napi_env env, const Rows *r, uint32_t i, size_t *start, size_t *len) {
  size_t end = r->ends[i];
  if (end < *start || end - *start < HASH || end > r->batch_len) {
    napi_throw_range_error(env, NULL, "ends: a row outside the batch, or shorter than its link");
    return 0;
  }
  *len = end - *start;
  *start = end;
  return 1;
}

// batch, ends, count, key (64 bytes or null): checked and read into r.
static int read_rows(napi_env env, napi_value *argv, Rows *r) {
  size_t ends_len;
  if (!addon_bytes(env, argv[0], &r->batch, &r->batch_len)) return 0;
  if (!addon_typed(env, argv[1], napi_uint32_array, (void **)&r->ends, &ends_len)) return 0;
  if (napi_get_value_uint32(env, argv[2], &r->count) != napi_ok || r->count > ends_len) {
    napi_throw_range_error(env, NULL, "count: more rows than ends");
    return 0;
  }
  size_t start = 0, len;
  for (uint32_t i = 0; i < r->count; i++)
    if (!row_at(env, r, i, &start, &len)) return 0;
  napi_valuetype kt;
  napi_typeof(env, argv[3], &kt);
  r->keyed = kt != napi_null && kt != napi_undefined;
  if (r->keyed) {
    uint8_t *key;
    size_t key_len;
    if (!addon_bytes(env, argv[3], &key, &key_len)) return 0;
    if (key_len != BLOCK) {
      napi_throw_range_error(env, NULL, "key: expected 64 bytes");
      return 0;
    }
    uint8_t block[BLOCK];
    for (int i = 0; i < BLOCK; i++) block[i] = key[i] ^ 0x36;
    SHA256_Init(&r->ipad);
    SHA256_Update(&r->ipad, block, BLOCK);
    for (int i = 0; i < BLOCK; i++) block[i] = key[i] ^ 0x5c;
    SHA256_Init(&r->opad);
    SHA256_Update(&r->opad, block, BLOCK);
  }
  return 1;
}

static void hash_row(const Rows *r, const uint8_t *row, size_t len, uint8_t *out) {
  SHA256_CTX c;
  if (r->keyed) {
    uint8_t inner[HASH];
    c = r->ipad;
    SHA256_Update(&c, row, len);
    SHA256_Final(inner, &c);
    c = r->opad;
    SHA256_Update(&c, inner, HASH);
  } else {
    SHA256_Init(&c);
    SHA256_Update(&c, row, len);
  }
  SHA256_Final(out, &c);
}

// chainRows(batch, ends, count, key, prev, out): row i is linked to row i - 1's hash (row 0 to
// prev), its link written into its first 32 bytes, and its hash written to out[32 i ...].
static napi_value ChainRows(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!addon_args(env, info, 6, argv, "chainRows(batch, ends, count, key, prev, out)")) return NULL;
  Rows r;
  uint8_t *prev, *out;
  size_t prev_len, out_len;
  if (!read_rows(env, argv, &r) || !addon_bytes(env, argv[4], &prev, &prev_len) || !addon_bytes(env, argv[5], &out, &out_len)) return NULL;
  if (prev_len != HASH || out_len < (size_t)HASH * r.count) {
    napi_throw_range_error(env, NULL, "prev must be 32 bytes and out 32 bytes a row");
    return NULL;
  }
  uint8_t link[HASH];
  memcpy(link, prev, HASH); // prev may lie in out
  size_t start = 0, len;
  for (uint32_t i = 0; i < r.count; i++) {
    uint8_t *row = r.batch + start;
    if (!row_at(env, &r, i, &start, &len)) return NULL;
    memcpy(row, link, HASH);
    hash_row(&r, row, len, link);
    memcpy(out + (size_t)HASH * i, link, HASH);
  }
  return NULL;
}

// checkRows(batch, ends, count, key, expected): each row's link already in place; the number
// of rows from the first whose hash equals expected[32 i ...], up to the first that does not.
static napi_value CheckRows(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!addon_args(env, info, 5, argv, "checkRows(batch, ends, count, key, expected)")) return NULL;
  Rows r;
  uint8_t *expected;
  size_t expected_len;
  if (!read_rows(env, argv, &r) || !addon_bytes(env, argv[4], &expected, &expected_len)) return NULL;
  if (expected_len < (size_t)HASH * r.count) {
    napi_throw_range_error(env, NULL, "expected: 32 bytes a row");
    return NULL;
  }
  size_t start = 0, len;
  uint32_t good = 0;
  uint8_t h[HASH];
  for (; good < r.count; good++) {
    const uint8_t *row = r.batch + start;
    if (!row_at(env, &r, good, &start, &len)) return NULL;
    hash_row(&r, row, len, h);
    if (memcmp(h, expected + (size_t)HASH * good, HASH) != 0) break;
  }
  napi_value result;
  napi_create_uint32(env, good, &result);
  return result;
}

void addon_register_chain(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "chainRows", NAPI_AUTO_LENGTH, ChainRows, NULL, &fn);
  napi_set_named_property(env, exports, "chainRows", fn);
  napi_create_function(env, "checkRows", NAPI_AUTO_LENGTH, CheckRows, NULL, &fn);
  napi_set_named_property(env, exports, "checkRows", fn);
}
