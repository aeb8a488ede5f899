// "Trojan source": bidirectional controls reorder what a terminal shows, zero-width characters
// show nothing at all, so the command on screen is not the command that runs. A block holding
// one is refused unless its author annotates it allow-hidden; where it is shown, each is an
// escape (visible.ts). What counts as hidden is the one list visible.ts escapes.
import { INVISIBLE } from '../../visible.js';

const HIDDEN = new RegExp(INVISIBLE, 'u');

const NAMES: Record<number, string> = {
  0x200b: 'zero-width space',
  0x200c: 'zero-width non-joiner',
  0x200d: 'zero-width joiner',
  0x2060: 'word joiner',
  0xfeff: 'zero-width no-break space',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
  0x200e: 'left-to-right mark',
  0x200f: 'right-to-left mark',
  0x061c: 'arabic letter mark',
  0x00ad: 'soft hyphen',
  0x2028: 'line separator',
  0x2029: 'paragraph separator',
  0x0085: 'next line',
  0x3164: 'hangul filler',
};

/** The first hidden character of a text: its line and column in it (1-based) and how to name it. */
export function firstHidden(text: string): { line: number; column: number; shown: string } | undefined {
  const m = HIDDEN.exec(text);
  if (!m) return undefined;
  const before = text.slice(0, m.index);
  const nl = before.lastIndexOf('\n');
  const code = m[0].codePointAt(0)!;
  return { line: before.split('\n').length, column: m.index - nl, shown: `<U+${code.toString(16).toUpperCase().padStart(4, '0')}> (${NAMES[code] ?? 'an invisible character'})` };
}
