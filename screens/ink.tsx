// The screens' Text: Ink's, with every string it shows made visible (src/visible.ts) — runbook
// titles, target answers and script output never reach the terminal as control sequences.
// Screens import Text from here, never from ink (test/architecture.test.ts checks).
import React from 'react';
import { Text as InkText, type TextProps } from 'ink';
import { visible } from '../src/visible.js';

export { Box, Static, Spacer, Newline } from 'ink';

export function Text(props: TextProps): React.JSX.Element {
  const { children, ...rest } = props;
  return <InkText {...rest}>{React.Children.map(children, (c) => (typeof c === 'string' ? visible(c) : c))}</InkText>;
}
