/** A frame as a person reads it: ANSI escapes removed. */
export const strip = (s: string | undefined): string => (s ?? '').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
