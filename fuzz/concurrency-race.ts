/**
 * Same-id races: many connections add one project id at once, every request sent before any
 * answer is read. Per user exactly one add may win (DEP-ADD-4/5); every other answer is the
 * exact "already exists" failure, and status and list then show the winner's record.
 */
import { randomUUID } from 'node:crypto';
import { ConcurrencyError, show } from './concurrency-errors.js';
import { expectedMessages, recordProblems } from './concurrency-model.js';
import { DapPipe, type DapReply } from './concurrency-pipe.js';

export interface SameIdRaceOptions {
  /** The server's DAP url (`ws://…/task/service`). */
  readonly url: string;
  /** Connections opened; in the across-users variant, spread over the keys round robin. */
  readonly connections: number;
  /** Adds sent in all, round robin over the connections. */
  readonly adds: number;
  /**
   * API keys with the control and monitor permissions. Same-user races use the first; the
   * across-users variant uses them all (each key one user). Default: the demo users' MYAPIKEY, ALICEKEY.
   */
  readonly keys?: readonly string[];
  /** Every key races for the same id, and each user must get exactly one success. Default false. */
  readonly acrossUsers?: boolean;
  /** The contended project id. Default: a fresh one. */
  readonly projectId?: string;
  /** Removes the winners' records at the end, so repeated races leave nothing behind. Default true. */
  readonly cleanup?: boolean;
}

export interface RaceWinner {
  readonly userId: string;
  readonly connection: number;
  /** The winning add's number (0-based, over all adds). */
  readonly add: number;
}

export interface SameIdRaceResult {
  readonly projectId: string;
  readonly adds: number;
  /** One winner per user that raced. */
  readonly winners: readonly RaceWinner[];
}

const DEFAULT_KEYS = ['MYAPIKEY', 'ALICEKEY'];

export async function sameIdRace(options: SameIdRaceOptions): Promise<SameIdRaceResult> {
  const keys = options.acrossUsers ? (options.keys ?? DEFAULT_KEYS) : [(options.keys ?? DEFAULT_KEYS)[0]!];
  if (keys.length === 0) throw new ConcurrencyError('BAD_OPTIONS', 'sameIdRace: give at least one key');
  if (!(options.connections >= keys.length))
    throw new ConcurrencyError(
      'BAD_OPTIONS',
      `sameIdRace: ${keys.length} keys need at least as many connections, got ${options.connections}`,
    );
  if (!(options.adds >= options.connections))
    throw new ConcurrencyError(
      'BAD_OPTIONS',
      `sameIdRace: every connection sends at least one add: adds (${options.adds}) < connections (${options.connections})`,
    );
  const projectId = options.projectId ?? `race-${randomUUID()}`;

  // Open and authenticate each connection on its own (no waiting for all to open first).
  const pipes: DapPipe[] = [];
  const opened = await Promise.allSettled(
    Array.from({ length: options.connections }, async (_, i) => {
      const pipe = await DapPipe.open(options.url, `race connection ${i}`);
      pipes.push(pipe);
      return { pipe, userId: await pipe.auth(keys[i % keys.length]!) };
    }),
  );
  try {
    const failed = opened.find((o) => o.status === 'rejected');
    if (failed) throw failed.reason;
    const connections = opened.map((o) => (o as PromiseFulfilledResult<{ pipe: DapPipe; userId: string }>).value);
    const users = [...new Set(connections.map((c) => c.userId))];
    if (users.length !== keys.length)
      throw new ConcurrencyError(
        'BAD_OPTIONS',
        `sameIdRace: the ${keys.length} keys authenticate as ${users.length} distinct user(s); give one key per user`,
      );

    // Every add is sent before any answer is read: the server sees them all at once.
    const pipelineOf = (add: number, connection: number) => ({ project_id: projectId, race: { add, connection } });
    const answers: Array<Promise<DapReply>> = [];
    for (let add = 0; add < options.adds; add++) {
      const connection = add % connections.length;
      answers.push(connections[connection]!.pipe.request('rrext_deploy_add', { pipeline: pipelineOf(add, connection) }));
    }
    const replies = await Promise.all(answers);

    const winners: RaceWinner[] = [];
    const problems: string[] = [];
    replies.forEach((reply, add) => {
      const connection = add % connections.length;
      const { userId } = connections[connection]!;
      if (reply.success) {
        winners.push({ userId, connection, add });
        const bad = recordProblems(reply.body, { pipeline: pipelineOf(add, connection), schedule: 'manual', userId, fresh: true });
        if (bad.length > 0) problems.push(`add #${add} (connection ${connection}) won, but its record is wrong: ${bad.join('; ')}`);
      } else if (reply.message !== expectedMessages.alreadyExists(projectId)) {
        problems.push(
          `add #${add} (connection ${connection}) failed with ${show(reply.message)}, expected ${show(expectedMessages.alreadyExists(projectId))}`,
        );
      }
    });
    for (const userId of users) {
      const won = winners.filter((w) => w.userId === userId);
      if (won.length !== 1)
        problems.push(`user ${show(userId)}: ${won.length} adds succeeded, expected exactly 1 (${won.map((w) => `#${w.add}`).join(', ')})`);
    }
    if (problems.length === 0) {
      for (const winner of winners) {
        const expected = { pipeline: pipelineOf(winner.add, winner.connection), schedule: 'manual', userId: winner.userId, fresh: true };
        // Read back on a connection of the same user other than the winner's, when there is one.
        const reader = connections.find((c, i) => c.userId === winner.userId && i !== winner.connection) ?? connections[winner.connection]!;
        const status = await reader.pipe.request('rrext_deploy_status', { projectId });
        if (!status.success) problems.push(`user ${show(winner.userId)}: status after the race failed: ${show(status.message)}`);
        else problems.push(...recordProblems(status.body, expected).map((p) => `user ${show(winner.userId)}: status: ${p}`));
        const list = await reader.pipe.request('rrext_deploy_list');
        const entries = ((list.body?.deployments ?? []) as Array<{ pipeline?: { project_id?: unknown } }>).filter(
          (d) => d?.pipeline?.project_id === projectId,
        );
        if (!list.success || entries.length !== 1)
          problems.push(
            `user ${show(winner.userId)}: list shows ${entries.length} record(s) of ${show(projectId)}, expected 1 (${show(list.message ?? list.body)})`,
          );
        else problems.push(...recordProblems(entries[0], expected).map((p) => `user ${show(winner.userId)}: list: ${p}`));
      }
    }
    if (problems.length > 0) {
      const mode = options.acrossUsers ? `across ${keys.length} users` : 'one user';
      throw new ConcurrencyError(
        'MISMATCH',
        `same-id race on ${show(projectId)} (${options.adds} adds over ${options.connections} connections, ${mode}):\n  ${problems.slice(0, 20).join('\n  ')}`,
      );
    }
    if (options.cleanup ?? true) {
      for (const winner of winners) {
        const removed = await connections[winner.connection]!.pipe.request('rrext_deploy_remove', { projectId });
        if (!removed.success)
          throw new ConcurrencyError('MISMATCH', `removing the race's record of ${show(winner.userId)} failed: ${show(removed.message)}`);
      }
    }
    return { projectId, adds: options.adds, winners };
  } finally {
    await Promise.all(pipes.map((pipe) => pipe.close()));
  }
}
