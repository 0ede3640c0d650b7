#!/usr/bin/env node
import { main } from './main.ts';

const code = await main(process.argv.slice(2), process.env);
// Everything the command opened is closed by now; a timer or socket a library left behind must not keep it alive.
process.exit(code);
