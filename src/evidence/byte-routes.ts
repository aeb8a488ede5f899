// Routes found by their bytes for the byte scanner (scan-bytes.ts), fastest first: a cache of
// the routes seen lately (RouteCache), a trie of all seen (RouteTrie), and the table that
// numbers a route the first time (RouteTable, by FNV-1a hash).
import type { Accumulator } from './accumulator.js';
import { COMMA, CR, LF, QUOTE, readEnd } from './byte-cells.js';

/** Routes by their bytes: open addressing over FNV-1a hashes, each entry's bytes compared. */
export class RouteTable {
  private slots = new Int32Array(64).fill(-1);
  private readonly hashes: number[] = [];
  private readonly keys: Uint8Array[] = [];
  private readonly ids: number[] = [];

  constructor(readonly acc: Accumulator) {}

  find(b: Buffer, from: number, to: number, h: number): number {
    const mask = this.slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s];
      if (e < 0) return this.add(b, from, to, h, s);
      if (this.hashes[e] === h && sameBytes(this.keys[e], b, from, to)) return this.ids[e];
    }
  }

  private add(b: Buffer, from: number, to: number, h: number, slot: number): number {
    const e = this.keys.length;
    this.hashes.push(h);
    this.keys.push(new Uint8Array(b.subarray(from, to)));
    this.ids.push(this.acc.routeId(b.toString('utf8', from, to)));
    this.slots[slot] = e;
    if (2 * this.keys.length > this.slots.length) this.grow();
    return this.ids[e];
  }

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    this.hashes.forEach((h, e) => {
      let s = h & mask;
      while (slots[s] >= 0) s = (s + 1) & mask;
      slots[s] = e;
    });
    this.slots = slots;
  }
}

/** RouteTrie.walk: a route the trie does not know yet. */
export const UNKNOWN = -2;

/**
 * The routes already seen, as a trie over their bytes: a route is found with one table read a
 * byte, where hashing it and comparing it with the table's entry reads each byte twice. Holds
 * up to MAX_NODES nodes (4 MB); routes past that are found by hash only.
 */
export class RouteTrie {
  private static readonly MAX_NODES = 4096;
  private next = new Int32Array(256 * 64); // node * 256 + byte → child node (0: none)
  private route = new Int32Array(64).fill(-1); // node → route number ending there
  private nodes = 1; // node 0 is the root

  /** The route number of the field at p (readEnd: its end), -1 when empty, UNKNOWN otherwise. */
  walk(b: Uint8Array, p: number, quoted: boolean): number {
    const next = this.next;
    let node = 0;
    if (quoted) {
      for (let c = b[p]; c !== QUOTE; c = b[++p]) if ((node = next[node * 256 + c]) === 0) return UNKNOWN;
      if (b[p + 1] === QUOTE) return UNKNOWN; // an escaped quote: read as text
    } else for (let c = b[p]; c !== COMMA && c !== LF && c !== CR; c = b[++p]) if ((node = next[node * 256 + c]) === 0) return UNKNOWN;
    readEnd[0] = p;
    return node === 0 ? -1 : this.route[node] >= 0 ? this.route[node] : UNKNOWN;
  }

  /** Teaches the trie the route of bytes [from, to), while there is room. */
  learn(b: Uint8Array, from: number, to: number, route: number): void {
    let node = 0;
    for (let p = from; p < to; p++) {
      let child = this.next[node * 256 + b[p]];
      if (child === 0) {
        if (this.nodes === RouteTrie.MAX_NODES) return;
        if (this.nodes === this.route.length) this.grow();
        child = this.nodes++;
        this.next[node * 256 + b[p]] = child;
      }
      node = child;
    }
    this.route[node] = route;
  }

  private grow(): void {
    const next = new Int32Array(this.next.length * 2);
    next.set(this.next);
    this.next = next;
    const route = new Int32Array(this.route.length * 2).fill(-1);
    route.set(this.route);
    this.route = route;
  }
}

/**
 * The routes seen most lately, found by their first four bytes and checked four bytes at a
 * time: where the trie reads a route one byte and one table entry after another (each read
 * waiting for the one before), this compares a few words that can all be read at once. Holds
 * routes of four bytes or more, up to WAYS of them sharing a slot; any other route, or one
 * whose bytes differ, is UNKNOWN here and goes to the trie.
 */
export class RouteCache {
  private static readonly SLOTS = 64;
  private static readonly WAYS = 4;
  private readonly heads = new Int32Array(RouteCache.SLOTS * RouteCache.WAYS); // first four bytes
  private readonly ids = new Int32Array(RouteCache.SLOTS * RouteCache.WAYS).fill(-1);
  private readonly lengths = new Int32Array(RouteCache.SLOTS * RouteCache.WAYS);
  private readonly quoted = new Uint8Array(RouteCache.SLOTS * RouteCache.WAYS);
  private readonly bytes: DataView[] = []; // each entry's bytes, padded to whole words
  private readonly next = new Uint8Array(RouteCache.SLOTS); // the way to replace next

  /** The route number of the field at p (readEnd: its end), or UNKNOWN. */
  find(words: DataView, b: Uint8Array, p: number, quoted: boolean): number {
    const head = words.getInt32(p, true);
    const slot = (Math.imul(head, 0x9e3779b1) >>> 26) * RouteCache.WAYS;
    for (let e = slot; e < slot + RouteCache.WAYS; e++) {
      const id = this.ids[e];
      if (id < 0) return UNKNOWN;
      if (this.heads[e] !== head || this.quoted[e] !== (quoted ? 1 : 0)) continue;
      const length = this.lengths[e];
      const known = this.bytes[e];
      let i = 4;
      while (i + 4 <= length && words.getInt32(p + i, true) === known.getInt32(i, true)) i += 4;
      if (i + 4 <= length) continue;
      while (i < length && b[p + i] === known.getUint8(i)) i++;
      if (i < length) continue;
      const c = b[p + length];
      if (quoted ? c !== QUOTE || b[p + length + 1] === QUOTE : c !== COMMA && c !== LF && c !== CR) continue;
      readEnd[0] = p + length;
      return id;
    }
    return UNKNOWN;
  }

  /** Remembers the route of bytes [from, to), when it is four bytes or more. */
  learn(b: Uint8Array, from: number, to: number, quoted: boolean, id: number): void {
    const length = to - from;
    if (length < 4) return;
    const padded = new Uint8Array(Math.ceil(length / 4) * 4);
    padded.set(b.subarray(from, to));
    const known = new DataView(padded.buffer);
    const head = known.getInt32(0, true);
    const slotIndex = Math.imul(head, 0x9e3779b1) >>> 26;
    const slot = slotIndex * RouteCache.WAYS;
    let e = slot;
    while (e < slot + RouteCache.WAYS && this.ids[e] >= 0) e++;
    if (e === slot + RouteCache.WAYS) {
      e = slot + this.next[slotIndex];
      this.next[slotIndex] = (this.next[slotIndex] + 1) % RouteCache.WAYS;
    }
    this.heads[e] = head;
    this.ids[e] = id;
    this.lengths[e] = length;
    this.quoted[e] = quoted ? 1 : 0;
    this.bytes[e] = known;
  }
}

function sameBytes(key: Uint8Array, b: Buffer, from: number, to: number): boolean {
  if (key.length !== to - from) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== b[from + i]) return false;
  return true;
}
