#!/usr/bin/env node
// The package's sources are TypeScript, which Node 20 can't load by itself: this launcher registers
// tsx's loader (a dependency of this package) and then runs the CLI, so `node` and the `bin` work as is.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
