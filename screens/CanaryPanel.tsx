import React from 'react';
import { Text } from 'ink';
import { Panel } from './Panel.js';

/** Canary windows arrive with canary analysis; until a runbook declares one, say so plainly. */
export function CanaryPanel(props: { width: number }) {
  return (
    <Panel title="Canary" width={props.width}>
      <Text dimColor>no canary configured in this runbook</Text>
    </Panel>
  );
}
