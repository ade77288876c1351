/**
 * The abuser of one case, alone in its process: told `{ name, target, until }` over IPC, it runs
 * that case's abuse and answers `{ outcome }`. The parent lowers its CPU priority (nice 19), so
 * that on a small machine the abusing client's own work (parsing answers, opening sockets) does
 * not take the CPU from the bystander's process: what the bystander feels is the server's doing.
 *
 *   node --import tsx fuzz/abuse/abuser.ts   (forked by fuzz/abuse.ts)
 */
import { ABUSE_CASES, type Target } from './cases.js';

interface Order {
  readonly name: string;
  readonly target: Target;
  readonly until: number;
}

process.once('message', (order: Order) => {
  const abuseCase = ABUSE_CASES.find((c) => c.name === order.name);
  const run = abuseCase ? abuseCase.abuse(order.target, order.until) : Promise.reject(new Error(`no abuse case '${order.name}'`));
  run.then(
    (outcome) => process.send!({ outcome }, () => process.exit(0)),
    (error: Error) => process.send!({ outcome: `the abuse stopped: ${error.message}` }, () => process.exit(0)),
  );
});
process.send!({ ready: true });
