// A Markdown runbook's outline (src/runbook/markdown/outline.ts), read from satteri's serialized
// mdast arena and written as JSON, which JSON.parse turns into the outline objects. It reads
// exactly what src/runbook/markdown/native.ts's OutlineReader reads, field for field and in the
// same key order. It takes only documents it is sure of: where native.ts would join indented
// code blocks that satteri split (two indented code nodes side by side), or where lists nest
// past MAX_LIST_DEPTH, it returns null and native.ts reads the document in JavaScript.
//
// Every read of the arena is checked against its bounds: a read outside them gives null too.
#include "addon.h"
#include <stdlib.h>
#include <string.h>

// Node type tags (native.ts T) and the arena's layout (native.ts HEADER, FIELD, ARENA).
enum {
  T_ROOT = 0, T_PARAGRAPH = 1, T_HEADING = 2, T_BLOCKQUOTE = 4, T_LIST = 5, T_LIST_ITEM = 6, T_HTML = 7,
  T_CODE = 8, T_TEXT = 10, T_INLINE_CODE = 13, T_BREAK = 14, T_IMAGE = 16, T_IMAGE_REFERENCE = 18,
  T_FOOTNOTE_DEFINITION = 19, T_TABLE = 21, T_YAML = 25, T_TOML = 26, T_MATH = 27, T_INLINE_MATH = 28,
};
enum { H_MAGIC = 0, H_KIND = 4, H_NODE_SIZE = 8, H_NODE_COUNT = 12, H_NODES = 16, H_CHILD_COUNT = 20, H_CHILDREN = 24,
       H_TYPE_DATA_LEN = 28, H_TYPE_DATA = 32, H_POOL_LEN = 36, H_POOL = 40, H_END = 52 };
enum { F_TYPE = 4, F_START_OFFSET = 12, F_START_LINE = 20, F_CHILDREN_START = 36, F_CHILDREN_COUNT = 40,
       F_DATA_OFFSET = 44, F_DATA_LEN = 48 };
#define ARENA_MAGIC 0x5241444du
#define KIND_MDAST 1u
#define NODE_SIZE 52u
#define MAX_LIST_DEPTH 32

typedef struct {
  uint8_t *data;
  size_t len, cap;
} Buf;

// The JSON, in UTF-16 code units: V8 copies such a string as it is, where UTF-8 would be
// decoded again.
typedef struct {
  uint16_t *data;
  size_t len, cap;
} Units;

typedef struct {
  const uint8_t *b;
  size_t len;
  size_t nodes, node_count, children, child_count, type_data, type_data_len, pool, pool_len;
  napi_env env;
  napi_value source;
  uint16_t *src; // the source's UTF-16 code units, fetched at the first pair of code nodes
  size_t src_len;
  int unsure; // set at the first thing not read for sure: the result is null
  // Nodes visited, and how many a tree of node_count nodes allows: each is read once, so an
  // arena whose children make a cycle ends here, not in a loop.
  size_t visits, budget;
  Units out;
  Buf text;
  uint32_t *stack;
  size_t stack_len, stack_cap;
} Reader;

// `data` (holding *cap elements of `size` bytes, `len` of them used) with room for `more`
// after them, doubled where needed: the block to use from now on, or NULL (unsure, and `data`
// left as it was) where memory runs out.
static void *reserve(Reader *r, void *data, size_t *cap, size_t len, size_t more, size_t size) {
  if (len + more <= *cap && data) return data;
  size_t n = *cap ? *cap : 1 << 12;
  while (n < len + more) n *= 2;
  void *d = realloc(data, n * size);
  if (!d) {
    r->unsure = 1;
    return NULL;
  }
  *cap = n;
  return d;
}

static int grow(Reader *r, Buf *b, size_t more) {
  uint8_t *d = reserve(r, b->data, &b->cap, b->len, more, 1);
  if (d) b->data = d;
  return d != NULL;
}

static void put(Reader *r, Buf *b, const void *s, size_t n) {
  if (n == 0 || !grow(r, b, n)) return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
}

// Room for `more` code units of JSON.
static int room(Reader *r, size_t more) {
  uint16_t *d = reserve(r, r->out.data, &r->out.cap, r->out.len, more, sizeof(uint16_t));
  if (d) r->out.data = d;
  return d != NULL;
}

// ASCII text as it is (keys, punctuation, literals).
static void ascii(Reader *r, const char *s, size_t n) {
  if (!room(r, n)) return;
  for (size_t i = 0; i < n; i++) r->out.data[r->out.len++] = (uint8_t)s[i];
}

static void lit(Reader *r, const char *s) { ascii(r, s, strlen(s)); }

static void number(Reader *r, uint32_t v) {
  char s[16];
  int n = 0;
  char rev[16];
  do {
    rev[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (int i = 0; i < n; i++) s[i] = rev[n - 1 - i];
  ascii(r, s, (size_t)n);
}

static int continuation(const uint8_t *s, size_t n, size_t i) { return i < n && (s[i] & 0xc0) == 0x80; }

// A JSON string of UTF-8 bytes, in UTF-16: quotes, backslashes and control characters escaped
// as JSON.stringify escapes them. Bytes that are not UTF-8 (satteri's pool holds none) leave
// the reader unsure.
static void json_string(Reader *r, const uint8_t *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  // Every UTF-8 sequence makes at most as many code units as it has bytes; escapes ask for more.
  if (!room(r, n + 2)) return;
  uint16_t *o = r->out.data;
  o[r->out.len++] = '"';
  for (size_t i = 0; i < n;) {
    uint32_t c = s[i];
    if (c >= 0x80) {
      uint32_t cp;
      size_t k;
      if ((c & 0xe0) == 0xc0 && continuation(s, n, i + 1)) {
        cp = ((c & 0x1f) << 6) | (s[i + 1] & 0x3f), k = 2;
        if (cp < 0x80) cp = 0;
      } else if ((c & 0xf0) == 0xe0 && continuation(s, n, i + 1) && continuation(s, n, i + 2)) {
        cp = ((c & 0x0f) << 12) | ((uint32_t)(s[i + 1] & 0x3f) << 6) | (s[i + 2] & 0x3f), k = 3;
        if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0;
      } else if ((c & 0xf8) == 0xf0 && continuation(s, n, i + 1) && continuation(s, n, i + 2) && continuation(s, n, i + 3)) {
        cp = ((c & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3f) << 12) | ((uint32_t)(s[i + 2] & 0x3f) << 6) | (s[i + 3] & 0x3f), k = 4;
        if (cp < 0x10000 || cp > 0x10ffff) cp = 0;
      } else {
        cp = 0, k = 1;
      }
      if (cp == 0) {
        r->unsure = 1;
        return;
      }
      if (cp >= 0x10000) {
        cp -= 0x10000;
        o[r->out.len++] = (uint16_t)(0xd800 + (cp >> 10));
        o[r->out.len++] = (uint16_t)(0xdc00 + (cp & 0x3ff));
      } else {
        o[r->out.len++] = (uint16_t)cp;
      }
      i += k;
      continue;
    }
    i++;
    if (c >= 0x20 && c != '"' && c != '\\') {
      o[r->out.len++] = (uint16_t)c;
      continue;
    }
    char e[6] = {'\\', 0, 0, 0, 0, 0};
    size_t el = 2;
    switch (c) {
      case '"': e[1] = '"'; break;
      case '\\': e[1] = '\\'; break;
      case '\n': e[1] = 'n'; break;
      case '\r': e[1] = 'r'; break;
      case '\t': e[1] = 't'; break;
      case '\b': e[1] = 'b'; break;
      case '\f': e[1] = 'f'; break;
      default:
        e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15];
        el = 6;
    }
    // The escape's own units, and room still for the rest of the string.
    if (!room(r, el + (n - i) + 1)) return;
    o = r->out.data;
    for (size_t j = 0; j < el; j++) o[r->out.len++] = (uint8_t)e[j];
  }
  o[r->out.len++] = '"';
}

static uint32_t u32(Reader *r, size_t at) {
  if (at > r->len || r->len - at < 4) {
    r->unsure = 1;
    return 0;
  }
  const uint8_t *p = r->b + at;
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint32_t field(Reader *r, uint32_t id, size_t f) {
  if (id >= r->node_count) {
    r->unsure = 1;
    return 0;
  }
  return u32(r, r->nodes + (size_t)id * NODE_SIZE + f);
}

static int type_of(Reader *r, uint32_t id) {
  if (id >= r->node_count) {
    r->unsure = 1;
    return -1;
  }
  return r->b[r->nodes + (size_t)id * NODE_SIZE + F_TYPE];
}

static uint32_t child_count(Reader *r, uint32_t id) { return field(r, id, F_CHILDREN_COUNT); }

static uint32_t child(Reader *r, uint32_t id, uint32_t i) {
  size_t start = field(r, id, F_CHILDREN_START);
  if (start + i >= r->child_count) {
    r->unsure = 1;
    return 0;
  }
  return u32(r, r->children + (start + i) * 4);
}

// The byte at `at` of the node's type data, or `fallback` where it has fewer bytes.
static int data_byte(Reader *r, uint32_t id, uint32_t at, int fallback) {
  uint32_t dlen = field(r, id, F_DATA_LEN);
  if (at >= dlen) return fallback;
  size_t off = (size_t)field(r, id, F_DATA_OFFSET) + at;
  if (off >= r->type_data_len) {
    r->unsure = 1;
    return fallback;
  }
  return r->b[r->type_data + off];
}

// The string whose (pool offset, length) reference is at byte `at` of the type data.
static void string_of(Reader *r, uint32_t id, uint32_t at, const uint8_t **s, size_t *n) {
  *s = NULL;
  *n = 0;
  if ((size_t)at + 8 > field(r, id, F_DATA_LEN)) return;
  size_t off = (size_t)field(r, id, F_DATA_OFFSET) + at;
  if (off + 8 > r->type_data_len) {
    r->unsure = 1;
    return;
  }
  size_t pos = u32(r, r->type_data + off);
  size_t len = u32(r, r->type_data + off + 4);
  if (len == 0) return;
  if (pos > r->pool_len || r->pool_len - pos < len) {
    r->unsure = 1;
    return;
  }
  *s = r->b + r->pool + pos;
  *n = len;
}

static void write_string_of(Reader *r, uint32_t id, uint32_t at) {
  const uint8_t *s;
  size_t n;
  string_of(r, id, at, &s, &n);
  json_string(r, s, n);
}

// native.ts's `string(id, 0) || null`.
static void write_lang(Reader *r, uint32_t id) {
  const uint8_t *s;
  size_t n;
  string_of(r, id, 0, &s, &n);
  if (n == 0) lit(r, "null");
  else json_string(r, s, n);
}

// Counts a node read; 0 (and unsure) past the budget.
static int visit(Reader *r) {
  if (++r->visits > r->budget) r->unsure = 1;
  return !r->unsure;
}

static int holds_blocks(int t) { return t == T_ROOT || t == T_BLOCKQUOTE || t == T_LIST_ITEM || t == T_FOOTNOTE_DEFINITION; }

// native.ts INDENTED on source.slice(offset, offset + 4): four spaces, or up to three and a tab.
static int indented(Reader *r, uint32_t offset) {
  for (size_t i = 0; i < 4; i++) {
    size_t at = (size_t)offset + i;
    uint16_t c = at < r->src_len ? r->src[at] : 0;
    if (c == '\t') return 1;
    if (c != ' ') return 0;
  }
  return 1;
}

// Where native.ts's children() would join two indented code nodes of this block holder into
// one: this reader does not, so it is unsure of the document.
static void check_codes(Reader *r, uint32_t id) {
  if (!holds_blocks(type_of(r, id))) return;
  uint32_t n = child_count(r, id);
  for (uint32_t i = 1; i < n && !r->unsure; i++) {
    uint32_t a = child(r, id, i - 1), b = child(r, id, i);
    if (type_of(r, a) != T_CODE || type_of(r, b) != T_CODE) continue;
    if (!r->src) {
      size_t len;
      if (napi_get_value_string_utf16(r->env, r->source, NULL, 0, &len) != napi_ok) {
        r->unsure = 1;
        return;
      }
      r->src = malloc((len + 1) * sizeof(uint16_t));
      if (!r->src || napi_get_value_string_utf16(r->env, r->source, r->src, len + 1, &r->src_len) != napi_ok) {
        r->unsure = 1;
        return;
      }
    }
    if (indented(r, field(r, a, F_START_OFFSET)) && indented(r, field(r, b, F_START_OFFSET))) r->unsure = 1;
  }
}

static int push(Reader *r, uint32_t id) {
  // A tree's walk never holds more nodes than the tree has.
  if (r->stack_len > r->node_count) {
    r->unsure = 1;
    return 0;
  }
  uint32_t *s = reserve(r, r->stack, &r->stack_cap, r->stack_len, 1, sizeof(uint32_t));
  if (!s) return 0;
  r->stack = s;
  r->stack[r->stack_len++] = id;
  return 1;
}

enum { NOT_LEAF = -1, LEAF_SPACE = -2, LEAF_EMPTY = -3 };

// native.ts leafText(): where a leaf's text is in its type data (a byte offset), LEAF_SPACE for a
// break, LEAF_EMPTY for an image; NOT_LEAF for a node whose children hold its text.
static int leaf_text_at(int type) {
  switch (type) {
    case T_TEXT:
    case T_INLINE_CODE:
    case T_HTML:
    case T_YAML:
    case T_TOML:
      return 0;
    case T_CODE:
      return 16;
    case T_MATH:
    case T_INLINE_MATH:
      return 8;
    case T_BREAK:
      return LEAF_SPACE;
    case T_IMAGE:
    case T_IMAGE_REFERENCE:
      return LEAF_EMPTY;
    default:
      return NOT_LEAF;
  }
}

// native.ts text(): the node's plain text appended to r->text, depth first with a stack of its own.
static void text_into(Reader *r, uint32_t root) {
  size_t base = r->stack_len;
  push(r, root);
  while (r->stack_len > base && visit(r)) {
    uint32_t id = r->stack[--r->stack_len];
    const uint8_t *s;
    size_t n;
    int at = leaf_text_at(type_of(r, id));
    if (at >= 0) {
      string_of(r, id, (uint32_t)at, &s, &n);
      put(r, &r->text, s, n);
      continue;
    }
    if (at == LEAF_SPACE) put(r, &r->text, " ", 1);
    if (at != NOT_LEAF) continue;
    check_codes(r, id);
    for (uint32_t i = child_count(r, id); i > 0 && !r->unsure; i--) push(r, child(r, id, i - 1));
  }
  r->stack_len = base;
}

// The length of a JavaScript white space or line terminator (String.prototype.trim) that starts
// at s (forward) or ends at s + n (backward), or 0.
static size_t space_at(const uint8_t *s, size_t n, int backward) {
  static const uint8_t wide[][3] = {
    {0xe1, 0x9a, 0x80}, {0xe2, 0x80, 0xa8}, {0xe2, 0x80, 0xa9}, {0xe2, 0x80, 0xaf},
    {0xe2, 0x81, 0x9f}, {0xe3, 0x80, 0x80}, {0xef, 0xbb, 0xbf},
  };
  if (n == 0) return 0;
  uint8_t c = backward ? s[n - 1] : s[0];
  if (c == ' ' || (c >= 0x09 && c <= 0x0d)) return 1;
  if (n >= 2) {
    const uint8_t *p = backward ? s + n - 2 : s;
    if (p[0] == 0xc2 && p[1] == 0xa0) return 2;
  }
  if (n >= 3) {
    const uint8_t *p = backward ? s + n - 3 : s;
    if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0x80 && p[2] <= 0x8a) return 3; // U+2000..U+200A
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
      if (p[0] == wide[i][0] && p[1] == wide[i][1] && p[2] == wide[i][2]) return 3;
  }
  return 0;
}

// r->text from `from` on, trimmed in place as String.prototype.trim trims.
static void trim_text_from(Reader *r, size_t from) {
  if (r->text.len == from) return;
  uint8_t *s = r->text.data + from;
  size_t n = r->text.len - from, k, skip = 0;
  while ((k = space_at(s + skip, n - skip, 0)) > 0) skip += k;
  while (n > skip && (k = space_at(s + skip, n - skip, 1)) > 0) n -= k;
  if (skip > 0) memmove(s, s + skip, n - skip);
  r->text.len = from + (n - skip);
}

// r->text from `from` on, written as a JSON string (and dropped from r->text).
static void write_text_from(Reader *r, size_t from) {
  const uint8_t *s = r->text.data ? r->text.data + from : (const uint8_t *)"";
  json_string(r, s, r->text.len - from);
  r->text.len = from;
}

static void write_text(Reader *r, uint32_t id) {
  size_t from = r->text.len;
  text_into(r, id);
  write_text_from(r, from);
}

// native.ts table(): cells trimmed and joined with " | ", rows with "; ".
static void write_table(Reader *r, uint32_t id) {
  size_t from = r->text.len;
  uint32_t rows = child_count(r, id);
  for (uint32_t i = 0; i < rows && !r->unsure; i++) {
    if (i > 0) put(r, &r->text, "; ", 2);
    uint32_t row = child(r, id, i);
    uint32_t cells = child_count(r, row);
    for (uint32_t j = 0; j < cells && !r->unsure; j++) {
      if (j > 0) put(r, &r->text, " | ", 3);
      size_t at = r->text.len;
      text_into(r, child(r, row, j));
      trim_text_from(r, at);
    }
  }
  write_text_from(r, from);
}

// native.ts quote(): the text of each child, joined with " ".
static void write_quote(Reader *r, uint32_t id) {
  size_t from = r->text.len;
  check_codes(r, id);
  uint32_t n = child_count(r, id);
  for (uint32_t i = 0; i < n && !r->unsure; i++) {
    if (i > 0) put(r, &r->text, " ", 1);
    text_into(r, child(r, id, i));
  }
  write_text_from(r, from);
}

// The text native.ts reads of a paragraph, a table or a quote.
static void write_block_text(Reader *r, uint32_t id, int type) {
  if (type == T_TABLE) write_table(r, id);
  else if (type == T_BLOCKQUOTE) write_quote(r, id);
  else write_text(r, id);
}

static void write_line(Reader *r, uint32_t id) {
  uint32_t line = field(r, id, F_START_LINE);
  number(r, line ? line : 1);
}

// `{"type":"<type>","line":<line>`: how a block with a line opens.
static void block_head(Reader *r, const char *type, uint32_t id) {
  lit(r, "{\"type\":\"");
  lit(r, type);
  lit(r, "\",\"line\":");
  write_line(r, id);
}

static void write_list(Reader *r, uint32_t id, int depth);

static void write_item(Reader *r, uint32_t id, int depth) {
  if (!visit(r)) return;
  check_codes(r, id);
  uint32_t n = child_count(r, id);
  int64_t first = -1;
  for (uint32_t i = 0; i < n && first < 0 && !r->unsure; i++)
    if (type_of(r, child(r, id, i)) == T_PARAGRAPH) first = child(r, id, i);
  lit(r, "{\"line\":");
  write_line(r, id);
  int checked = data_byte(r, id, 0, 2);
  lit(r, checked == 2 ? ",\"checked\":null" : checked == 1 ? ",\"checked\":true" : ",\"checked\":false");
  if (first >= 0) {
    lit(r, ",\"first\":{\"text\":");
    write_text(r, (uint32_t)first);
    lit(r, ",\"codes\":[");
    uint32_t m = child_count(r, (uint32_t)first);
    int any = 0;
    for (uint32_t i = 0; i < m && !r->unsure; i++) {
      uint32_t c = child(r, (uint32_t)first, i);
      if (type_of(r, c) != T_INLINE_CODE) continue;
      if (any++) lit(r, ",");
      write_string_of(r, c, 0);
    }
    lit(r, "]}");
  }
  lit(r, n == 1 && first >= 0 ? ",\"soleParagraph\":true,\"parts\":[" : ",\"soleParagraph\":false,\"parts\":[");
  int any = 0;
  for (uint32_t i = 0; i < n && !r->unsure; i++) {
    uint32_t c = child(r, id, i);
    if ((int64_t)c == first) continue;
    int t = type_of(r, c);
    if (t != T_CODE && t != T_PARAGRAPH && t != T_TABLE && t != T_BLOCKQUOTE && t != T_LIST) continue;
    if (any++) lit(r, ",");
    switch (t) {
      case T_CODE:
        lit(r, "{\"type\":\"code\",\"lang\":");
        write_lang(r, c);
        lit(r, ",\"value\":");
        write_string_of(r, c, 16);
        break;
      case T_PARAGRAPH:
      case T_TABLE:
      case T_BLOCKQUOTE:
        lit(r, "{\"type\":\"text\",\"text\":");
        write_block_text(r, c, t);
        break;
      case T_LIST:
        // At MAX_LIST_DEPTH native.ts reads a nested list as text: rare, left to it.
        if (depth >= MAX_LIST_DEPTH) r->unsure = 1;
        lit(r, "{\"type\":\"list\",\"list\":");
        write_list(r, c, depth + 1);
        break;
    }
    lit(r, "}");
  }
  lit(r, "]}");
}

static void write_list(Reader *r, uint32_t id, int depth) {
  if (!visit(r)) return;
  if (depth > MAX_LIST_DEPTH) {
    r->unsure = 1;
    return;
  }
  block_head(r, "list", id);
  lit(r, data_byte(r, id, 4, 0) != 0 ? ",\"ordered\":true,\"items\":[" : ",\"ordered\":false,\"items\":[");
  uint32_t n = child_count(r, id);
  for (uint32_t i = 0; i < n && !r->unsure; i++) {
    if (i > 0) lit(r, ",");
    write_item(r, child(r, id, i), depth);
  }
  lit(r, "]}");
}

static void write_block(Reader *r, uint32_t id) {
  if (!visit(r)) return;
  switch (type_of(r, id)) {
    case T_HEADING:
    case T_PARAGRAPH: {
      int heading = type_of(r, id) == T_HEADING;
      block_head(r, heading ? "heading" : "paragraph", id);
      if (heading) {
        lit(r, ",\"depth\":");
        number(r, (uint32_t)data_byte(r, id, 0, 1));
      }
      lit(r, ",\"text\":");
      write_text(r, id);
      lit(r, "}");
      return;
    }
    case T_LIST:
      write_list(r, id, 1);
      return;
    case T_CODE:
      block_head(r, "code", id);
      lit(r, ",\"lang\":");
      write_lang(r, id);
      lit(r, ",\"value\":");
      write_string_of(r, id, 16);
      lit(r, "}");
      return;
    case T_TABLE:
    case T_BLOCKQUOTE:
      lit(r, "{\"type\":\"note\",\"text\":");
      write_block_text(r, id, type_of(r, id));
      lit(r, "}");
      return;
    case T_YAML:
      block_head(r, "yaml", id);
      lit(r, ",\"value\":");
      write_string_of(r, id, 0);
      lit(r, "}");
      return;
    default:
      lit(r, "{\"type\":\"other\"}");
  }
}

// Bounds of the header's tables; 0 where the arena is not laid out as native.ts reads it.
static int read_header(Reader *r) {
  if (r->len < H_END) return 0;
  if (u32(r, H_MAGIC) != ARENA_MAGIC || u32(r, H_KIND) != KIND_MDAST || u32(r, H_NODE_SIZE) != NODE_SIZE) return 0;
  r->node_count = u32(r, H_NODE_COUNT);
  r->nodes = u32(r, H_NODES);
  r->child_count = u32(r, H_CHILD_COUNT);
  r->children = u32(r, H_CHILDREN);
  r->type_data_len = u32(r, H_TYPE_DATA_LEN);
  r->type_data = u32(r, H_TYPE_DATA);
  r->pool_len = u32(r, H_POOL_LEN);
  r->pool = u32(r, H_POOL);
  if (r->nodes > r->len || (r->len - r->nodes) / NODE_SIZE < r->node_count) return 0;
  if (r->children > r->len || (r->len - r->children) / 4 < r->child_count) return 0;
  if (r->type_data > r->len || r->len - r->type_data < r->type_data_len) return 0;
  if (r->pool > r->len || r->len - r->pool < r->pool_len) return 0;
  r->budget = (size_t)r->node_count * 2 + 16;
  return r->node_count > 0;
}

// outlineJson(arena: Uint8Array, source: string): the outline as JSON, or null.
static napi_value OutlineJson(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  uint8_t *bytes;
  size_t len;
  if (!addon_args(env, info, 2, argv, "outlineJson(arena, source)")) return NULL;
  if (!addon_bytes(env, argv[0], &bytes, &len)) return NULL;
  Reader r = {.b = bytes, .len = len, .env = env, .source = argv[1]};
  if (read_header(&r)) {
    // About the JSON's size (a 1 MB runbook's is within a tenth of it): one allocation.
    room(&r, r.pool_len + r.node_count * 12);
    lit(&r, "[");
    check_codes(&r, 0);
    uint32_t n = child_count(&r, 0);
    for (uint32_t i = 0; i < n && !r.unsure; i++) {
      if (i > 0) lit(&r, ",");
      write_block(&r, child(&r, 0, i));
    }
    lit(&r, "]");
  } else {
    r.unsure = 1;
  }
  if (r.unsure || napi_create_string_utf16(env, (const char16_t *)r.out.data, r.out.len, &result) != napi_ok) napi_get_null(env, &result);
  free(r.out.data);
  free(r.text.data);
  free(r.stack);
  free(r.src);
  return result;
}

void addon_register_outline(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "outlineJson", NAPI_AUTO_LENGTH, OutlineJson, NULL, &fn);
  napi_set_named_property(env, exports, "outlineJson", fn);
}
