import React from 'react';
import { Box, Text } from './ink.js';

export function Panel(props: { title: string; right?: string; width?: number | string; height?: number; children: React.ReactNode; borderColor?: string }) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={props.borderColor} width={props.width} height={props.height} paddingX={1} overflow="hidden">
      <Box justifyContent="space-between">
        <Text bold>{props.title}</Text>
        {props.right ? <Text dimColor>{props.right}</Text> : null}
      </Box>
      {props.children}
    </Box>
  );
}
