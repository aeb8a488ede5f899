// The plain lines of a request log, read straight from the byte scanner's buffer
// (src/evidence/scan-bytes.ts): times, latencies and statuses parsed as that file's readers
// parse them (src/evidence/byte-cells.ts), the route's bytes found and hashed. It takes only
// what it is sure of and stops at the first line it is not: the caller reads that one line
// itself, with everything it knows about odd lines, and calls again after it. So this code
// never has to agree with the slow paths, only with the plain one, number for number.
//
// Every byte read is checked against the buffer's length: a read past it is a line not taken.
#include "addon.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

enum { OTHER = 0, TS = 1, LATENCY = 2, STATUS = 3, ROUTE = 4 };
enum { LF = 10, CR = 13, QUOTE = 34, COMMA = 44, DOT = 46, PLUS = 43, MINUS = 45, COLON = 58 };

typedef struct {
  const uint8_t *b;
  size_t len;
} Bytes;

// The byte at i, or 0 past the end (0 is nothing any reader accepts).
static inline int at(const Bytes *s, size_t i) { return i < s->len ? s->b[i] : 0; }
static inline int digit(int c) { return c >= '0' && c <= '9' ? c - '0' : -1; }

static const double POW10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// readDecimal: up to 15 digits with at most one point, digits / 10^k; NAN for anything else.
static double read_decimal(const Bytes *s, size_t p, size_t *end) {
  size_t from = p;
  double m = 0;
  long point = -1;
  for (;; p++) {
    int c = at(s, p);
    int d = digit(c);
    if (d >= 0) m = m * 10 + d;
    else if (c == DOT && point < 0) point = (long)p;
    else break;
  }
  *end = p;
  size_t digits = point < 0 ? p - from : p - from - 1;
  if (digits < 1 || digits > 15) return NAN;
  return point < 0 ? m : m / POW10[p - 1 - (size_t)point];
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

static int64_t days_from_civil(int64_t year, int64_t month, int64_t day) {
  int64_t y = month <= 2 ? year - 1 : year;
  int64_t era = floor_div(y, 400);
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t year, int64_t month) {
  if (month != 2) return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28;
}

// Two digits at i as a number, or -1.
static int two(const Bytes *s, size_t i) {
  int a = digit(at(s, i)), b = digit(at(s, i + 1));
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

// readTime: YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM|±HHMM), or epoch milliseconds (1–15 digits,
// not 10⁹–10¹¹: epoch seconds are the caller's to refuse). 0 when not read.
static int read_time(const Bytes *s, size_t p, double *ms_out, size_t *end) {
  if (at(s, p + 4) != MINUS) {
    size_t from = p;
    double ms = 0;
    for (int d = digit(at(s, p)); d >= 0; d = digit(at(s, ++p))) ms = ms * 10 + d;
    *end = p;
    *ms_out = ms;
    return p > from && p - from <= 15 && !(ms >= 1e9 && ms < 1e11);
  }
  if (at(s, p + 7) != MINUS || at(s, p + 10) != 'T' || at(s, p + 13) != COLON || at(s, p + 16) != COLON) return 0;
  int y0 = two(s, p), y1 = two(s, p + 2), mo = two(s, p + 5), dd = two(s, p + 8);
  int hh = two(s, p + 11), mi = two(s, p + 14), ss = two(s, p + 17);
  if (y0 < 0 || y1 < 0 || mo < 0 || dd < 0 || hh < 0 || mi < 0 || ss < 0) return 0;
  int64_t year = y0 * 100 + y1;
  if (mo < 1 || mo > 12 || dd < 1 || dd > days_in_month(year, mo)) return 0;
  if (hh > 23 || mi > 59 || ss > 59) return 0;
  p += 19;
  int64_t ms = 0;
  if (at(s, p) == DOT) {
    size_t from = ++p;
    for (int d = digit(at(s, p)); d >= 0; d = digit(at(s, ++p)))
      if (p - from < 3) ms = ms * 10 + d; // below a millisecond: dropped
    size_t digits = p - from;
    if (digits == 0) return 0;
    if (digits < 3) ms *= digits == 1 ? 100 : 10;
  }
  int64_t offset;
  int z = at(s, p);
  if (z == 'Z' || z == 'z') {
    offset = 0;
    *end = p + 1;
  } else if (z == PLUS || z == MINUS) {
    int colon = at(s, p + 3) == COLON;
    int oh = two(s, p + 1);
    int om = two(s, p + (colon ? 4 : 3));
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return 0;
    offset = (z == PLUS ? 1 : -1) * (int64_t)(oh * 60 + om) * 60000;
    *end = p + (colon ? 6 : 5);
  } else return 0;
  int64_t t = days_from_civil(year, mo, dd) * 86400000 + (int64_t)hh * 3600000 + (int64_t)mi * 60000 + (int64_t)ss * 1000 + ms - offset;
  *ms_out = (double)t;
  return 1;
}

// The end of a field's text (at its closing quote when quoted), and its FNV-1a hash; 0 when
// it is not plain: a quote in an unquoted field, a line break or an escaped quote in a quoted one.
static int field_end(const Bytes *s, size_t p, int quoted, size_t *end, uint32_t *hash) {
  uint32_t h = 0x811c9dc5u;
  for (;; p++) {
    if (p >= s->len) return 0;
    int c = s->b[p];
    if (quoted) {
      if (c == QUOTE) break;
      if (c == LF) return 0;
    } else {
      if (c == COMMA || c == LF || c == CR) break;
      if (c == QUOTE) return 0;
    }
    h = (h ^ (uint32_t)c) * 16777619u;
  }
  if (quoted && at(s, p + 1) == QUOTE) return 0;
  *end = p;
  *hash = h;
  return 1;
}

// The routes the caller has numbered: their bytes back to back (known[i] ends at ends[i]),
// their hashes and their numbers.
typedef struct {
  const uint8_t *bytes;
  size_t bytes_len;
  const int32_t *ends, *hashes, *ids;
  size_t count;
} Known;

// The number of the route at [from, to) with hash h, or -2 when the caller has not numbered it.
static int32_t known_route(const Known *k, const uint8_t *b, size_t from, size_t to, uint32_t h) {
  size_t start = 0;
  for (size_t i = 0; i < k->count; i++) {
    int32_t e = k->ends[i]; // read once, checked again here (it may share memory with spans)
    if (e < 0 || (size_t)e < start || (size_t)e > k->bytes_len) return -2;
    size_t end = (size_t)e;
    if ((uint32_t)k->hashes[i] == h && end - start == to - from && memcmp(k->bytes + start, b + from, to - from) == 0) return k->ids[i];
    start = end;
  }
  return -2;
}

// scanPlain(buf, p, limit, roles, crlf, virtualLf, nums, spans, state, known, knownEnds,
// knownHashes, knownIds): the plain lines from p, while they start before limit; per line nums
// gets ts, latency, status and spans gets the route's start, end, number and hash. The number
// is -1 for no route (no route column, or an empty field) and -2 for a route the caller has not
// numbered in known yet. Returns how many lines were read; state[0] is where it stopped:
// limit, the start of a line that is not plain, or the line after the last there was room for.
static napi_value ScanPlain(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  if (!addon_args(env, info, 13, argv, "scanPlain(buf, p, limit, roles, crlf, virtualLf, nums, spans, state, known, knownEnds, knownHashes, knownIds)")) return NULL;
  Known known;
  size_t n_ends, n_hashes, n_ids;
  if (!addon_bytes(env, argv[9], (uint8_t **)&known.bytes, &known.bytes_len) || !addon_typed(env, argv[10], napi_int32_array, (void **)&known.ends, &n_ends) ||
      !addon_typed(env, argv[11], napi_int32_array, (void **)&known.hashes, &n_hashes) || !addon_typed(env, argv[12], napi_int32_array, (void **)&known.ids, &n_ids))
    return NULL;
  known.count = n_ends < n_hashes ? n_ends : n_hashes;
  if (n_ids < known.count) known.count = n_ids;
  for (size_t i = 0, start = 0; i < known.count; i++) {
    if (known.ends[i] < 0 || (size_t)known.ends[i] < start || (size_t)known.ends[i] > known.bytes_len) {
      napi_throw_range_error(env, NULL, "knownEnds: a route outside the known bytes");
      return NULL;
    }
    start = (size_t)known.ends[i];
  }
  Bytes s;
  uint8_t *roles;
  size_t roles_len;
  double *nums, *state;
  size_t nums_len, state_len;
  int32_t *spans;
  size_t spans_len;
  uint32_t p32, limit32, crlf;
  int32_t virtual_lf;
  if (!addon_bytes(env, argv[0], (uint8_t **)&s.b, &s.len) || !addon_bytes(env, argv[3], &roles, &roles_len)) return NULL;
  if (napi_get_value_uint32(env, argv[1], &p32) != napi_ok || napi_get_value_uint32(env, argv[2], &limit32) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &crlf) != napi_ok || napi_get_value_int32(env, argv[5], &virtual_lf) != napi_ok) {
    napi_throw_type_error(env, NULL, "p, limit, crlf and virtualLf must be numbers");
    return NULL;
  }
  if (!addon_typed(env, argv[6], napi_float64_array, (void **)&nums, &nums_len) || !addon_typed(env, argv[7], napi_int32_array, (void **)&spans, &spans_len) ||
      !addon_typed(env, argv[8], napi_float64_array, (void **)&state, &state_len))
    return NULL;
  if (roles_len == 0 || state_len < 1) {
    napi_throw_range_error(env, NULL, "roles must name at least one column, state hold one number");
    return NULL;
  }
  size_t room = nums_len / 3 < spans_len / 4 ? nums_len / 3 : spans_len / 4;
  if (s.len > INT32_MAX) s.len = INT32_MAX; // route offsets go out as int32
  size_t limit = limit32 < s.len ? limit32 : s.len;
  size_t p = p32;
  size_t last = roles_len - 1;
  size_t n = 0;
  while (p < limit && n < room) {
    size_t line = p;
    int c = at(&s, p);
    if (c == LF || c == CR) break;
    double ts = NAN, latency = NAN, status = NAN;
    int32_t route_start = -1, route_end = -1;
    uint32_t route_hash = 0;
    int plain = 1;
    for (size_t col = 0; col <= last && plain; col++) {
      int quoted = at(&s, p) == QUOTE;
      if (quoted) p++;
      size_t end = p;
      uint32_t h;
      switch (roles[col]) {
        case TS:
          plain = read_time(&s, p, &ts, &end);
          break;
        case LATENCY:
          latency = read_decimal(&s, p, &end);
          plain = !isnan(latency);
          break;
        case STATUS:
          status = read_decimal(&s, p, &end);
          plain = !isnan(status);
          break;
        case ROUTE:
          plain = field_end(&s, p, quoted, &end, &h);
          route_start = (int32_t)p;
          route_end = (int32_t)end;
          route_hash = h;
          break;
        default:
          plain = field_end(&s, p, quoted, &end, &h);
      }
      if (!plain) break;
      p = end;
      if (quoted) {
        if (at(&s, p) != QUOTE) plain = 0;
        else p++;
      }
      if (plain && col < last) {
        if (at(&s, p) != COMMA) plain = 0;
        else p++;
      }
    }
    if (plain) {
      // The line end this file uses, right after the last field.
      if (at(&s, p) == LF) {
        if (crlf && (int64_t)p != virtual_lf) plain = 0;
        else p++;
      } else if (crlf && at(&s, p) == CR && at(&s, p + 1) == LF && (int64_t)(p + 1) != virtual_lf) p += 2;
      else plain = 0;
    }
    if (!plain) {
      p = line;
      break;
    }
    nums[3 * n] = ts;
    nums[3 * n + 1] = latency;
    nums[3 * n + 2] = status;
    spans[4 * n] = route_start;
    spans[4 * n + 1] = route_end;
    spans[4 * n + 2] = route_start < 0 || route_end == route_start ? -1 : known_route(&known, s.b, (size_t)route_start, (size_t)route_end, route_hash);
    spans[4 * n + 3] = (int32_t)route_hash;
    n++;
  }
  state[0] = (double)p;
  napi_value result;
  napi_create_uint32(env, (uint32_t)n, &result);
  return result;
}

void addon_register_scan(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "scanPlain", NAPI_AUTO_LENGTH, ScanPlain, NULL, &fn);
  napi_set_named_property(env, exports, "scanPlain", fn);
}
