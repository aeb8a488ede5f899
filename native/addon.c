#include "addon.h"

int addon_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return 1;
}

int addon_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, len, data, &ab, &offset) != napi_ok || type != want) {
    napi_throw_type_error(env, NULL, "an argument is not the typed array expected");
    return 0;
  }
  return 1;
}

int addon_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  return addon_typed(env, v, napi_uint8_array, (void **)data, len);
}

// Raised whenever what a function computes changes, so a build left from older sources is not
// used (src/native-addon.ts asks for this one).
#define ADDON_VERSION 2

NAPI_MODULE_INIT() {
  napi_value version;
  napi_create_uint32(env, ADDON_VERSION, &version);
  napi_set_named_property(env, exports, "version", version);
  addon_register_chain(env, exports);
  addon_register_outline(env, exports);
  addon_register_scan(env, exports);
  return exports;
}
