/** Helpers several mutant families build their deviations from. */
import type { Deployment } from '../../domain/deployment.js';
import { withChanges } from '../../domain/deployment.js';
import { DeployError, type DeployErrorCode } from '../../domain/errors.js';
import type { SessionOutput } from '../../dap/session.js';
import type { ServerParts } from './definition.js';

export type Reply = { [key: string]: unknown; command?: unknown; success?: unknown; message?: unknown; body?: any };

/** Wraps the session's output so every reply passes through `edit` (undefined: not sent). */
export function editReplies(edit: (text: string) => string | undefined): (out: SessionOutput) => SessionOutput {
  return (out) => ({
    send(text) {
      const edited = edit(text);
      if (edited !== undefined) out.send(edited);
    },
    close: (code, reason) => out.close(code, reason),
  });
}

const RECORD_COMMANDS = new Set(['rrext_deploy_add', 'rrext_deploy_status', 'rrext_deploy_update']);

/** Wraps the session's output so every deployment record in a successful reply passes through `edit`. */
export function editRecords(
  edit: (record: Record<string, any>) => void,
  only?: ReadonlySet<string>,
): (out: SessionOutput) => SessionOutput {
  return editReplies((text) => {
    if (!text.includes('"command":"rrext_deploy_')) return text;
    const reply = JSON.parse(text) as Reply;
    if (reply.success !== true || typeof reply.body !== 'object' || reply.body === null) return text;
    if (only && !only.has(String(reply.command))) return text;
    if (reply.command === 'rrext_deploy_list' && Array.isArray(reply.body.deployments)) reply.body.deployments.forEach(edit);
    else if (RECORD_COMMANDS.has(String(reply.command)) && 'pipeline' in reply.body) edit(reply.body);
    else return text;
    return JSON.stringify(reply);
  });
}

export function hasCode(error: unknown, ...codes: DeployErrorCode[]): error is DeployError {
  return error instanceof DeployError && codes.includes(error.code);
}

export function given(args: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(args, key) && (args as Record<string, unknown>)[key] !== undefined;
}

/** Owner and project id as one map key. */
export function recordKey(userId: unknown, projectId: unknown): string {
  const owner = String(userId);
  return `${owner.length}:${owner}${String(projectId)}`;
}

/** recordKey of a wire record (its owner and its pipeline's project_id). */
export function wireRecordKey(record: Record<string, any>): string {
  return recordKey(record['userId'] ?? record['created_by'], record['pipeline']?.['project_id']);
}

/**
 * Stores `next` again with `changes` applied, and tells the scheduler (so its copy of the record
 * is the stored one): a mutant's after-the-fact edit of a record the deploy service just stored.
 */
export function amend({ store, scheduler }: ServerParts, next: Deployment, changes: Partial<Deployment>): Deployment {
  const fixed = withChanges(next, changes);
  store.put(fixed);
  scheduler.updated(next, fixed);
  return fixed;
}
