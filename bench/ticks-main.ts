/** `node --import tsx bench/ticks-main.ts`: the scheduler tick benchmark on its own. */
import { measureTicks, tickLines } from './ticks.js';

for (const line of tickLines(await measureTicks())) console.log(line);
