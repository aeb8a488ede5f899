// Text from runbooks, targets and scripts on its way to a terminal. A control character there
// is an instruction to the terminal (retitle it, clear it, move the cursor, reverse the
// text), not text: each is made visible instead. C0 controls become their pictures (␛ for
// ESC), DEL ␡; C1 controls, bidirectional overrides and zero-width characters become \uXXXX, which is also a valid
// escape inside a JSON string, so JSON output stays JSON. Tabs and line ends (LF, CRLF) stay; a
// carriage return alone, which would let a line overwrite itself, is shown as ␍.

/**
 * Characters a terminal shows as nothing, or that reorder the text around them: Unicode's
 * default-ignorable code points (zero-width spaces and joiners, the soft hyphen, Hangul fillers,
 * tag characters…) and its bidirectional controls, and the line separators a terminal may not
 * break on. Variation selectors are left alone: they only choose how an emoji looks.
 */
export const INVISIBLE = String.raw`(?![\ufe00-\ufe0f\u{e0100}-\u{e01ef}])[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}\u2028\u2029\u0085]`;

const UNSAFE = new RegExp(String.raw`\r(?!\n)|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|${INVISIBLE}`, 'u');
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'gu');

function shown(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  // Each UTF-16 unit (a tag character is two): valid inside a JSON string too.
  return [...Array(ch.length).keys()].map((i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
}

export function visible(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, shown) : text;
}

const LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/g;

/**
 * A field shown on one line (a ledger event, a recorded value): a line end inside it is shown
 * as ␊ (␍␊ for CRLF), never as a new line that could pass for another event. Then visible().
 */
export function oneLine(text: string): string {
  return visible(text.replace(LINE_BREAK, (br) => (br === '\r\n' ? '\u240d\u240a' : br === '\n' ? '\u240a' : br === '\r' ? '\u240d' : `\\u${br.charCodeAt(0).toString(16)}`)));
}
