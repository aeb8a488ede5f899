// opscockpit's native addon (built by `npm ci` with node-gyp): the ledger's batch hasher
// (chain.c), the harvest's plain-line reader (scan.c) and the Markdown outline reader
// (outline.c). Shared argument readers here.
#ifndef OPSCOCKPIT_ADDON_H
#define OPSCOCKPIT_ADDON_H
#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

// The call's first n arguments into argv; 0 (with a TypeError naming `usage` thrown) when fewer came.
int addon_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage);
// A Uint8Array's bytes; 0 (with a TypeError thrown) when v is not one.
int addon_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len);
// A typed array of the given type: its data and element count; 0 (with a TypeError thrown) when not.
int addon_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len);

void addon_register_chain(napi_env env, napi_value exports);
void addon_register_outline(napi_env env, napi_value exports);
void addon_register_scan(napi_env env, napi_value exports);
#endif
