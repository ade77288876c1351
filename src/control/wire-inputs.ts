/**
 * Parsing of the control inputs that concern the wire: injected fault specs and journal
 * filters. They arrive untyped (HTTP bodies and query strings, CLI words); every failure is a
 * 400 naming the field and what it should be.
 */
import { FAULT_KINDS, type FaultKind, type FaultSpec } from '../dap/fault-plan.js';
import type { JournalFilter } from '../dap/journal.js';
import { badInput, parseChoice, parseDuration, parseObject, parseOptionalText, parseText, wholeNumber } from './inputs.js';
import { definedFields } from '../domain/json.js';

const SCOPE_FIELDS = ['kind', 'command', 'connectionId', 'userId', 'count'] as const;
/** The fields each kind takes besides its scope. */
const KIND_FIELDS: Readonly<Record<FaultKind, readonly string[]>> = {
  delay: ['ms'],
  reorder: ['ms'],
  'no-reply': [],
  fail: ['message'],
  reply: ['body'],
  close: ['code', 'reason'],
};

/** Every field a fault spec may have: its scope, then each kind's own. */
export const FAULT_SPEC_FIELDS = [...new Set([...SCOPE_FIELDS, ...Object.values(KIND_FIELDS).flat()])];

/** The fields a journal filter may have. */
export const JOURNAL_FILTER_FIELDS = ['connectionId', 'userId', 'command', 'direction', 'type', 'after'] as const;

/** The longest wait a timer can take (setTimeout's limit, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Close codes a server may send (RFC 6455 7.4; 1004-1006 and 1015 are reserved). */
function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

export function parseFaultSpec(value: unknown): FaultSpec {
  const input = definedFields(parseObject(value, 'fault'));
  const kind = parseChoice(input['kind'], 'kind', FAULT_KINDS);
  const allowed = [...SCOPE_FIELDS, ...KIND_FIELDS[kind]];
  const unknown = Object.keys(input).filter((field) => !allowed.includes(field));
  if (unknown.length > 0) {
    throw badInput(`A '${kind}' fault does not take ${unknown.map((f) => `'${f}'`).join(', ')}; it takes ${allowed.join(', ')}`);
  }
  const spec: FaultSpec = { kind };
  const command = parseOptionalText(input['command'], 'command');
  if (command !== undefined) spec.command = command;
  if (input['connectionId'] !== undefined) spec.connectionId = wholeNumber(input['connectionId'], 'connectionId', 1);
  const userId = parseOptionalText(input['userId'], 'userId');
  if (userId !== undefined) spec.userId = userId;
  if (input['count'] !== undefined) spec.count = wholeNumber(input['count'], 'count', kind === 'reorder' ? 2 : 1);
  if (input['ms'] !== undefined) {
    spec.ms = parseDuration(input['ms'], 'ms');
    if (spec.ms > MAX_TIMER_MS)
      throw badInput(`ms must be at most ${MAX_TIMER_MS} (about 24.8 days); for no answer at all, use a no-reply fault`);
  }
  if (kind === 'delay' && spec.ms === undefined) throw badInput('A delay fault needs ms: how long each response waits, like 500 or "2s"');
  if (input['message'] !== undefined) spec.message = parseText(input['message'], 'message');
  if (input['body'] !== undefined) spec.body = jsonObject(input['body'], 'body');
  if (input['code'] !== undefined) {
    const code = wholeNumber(input['code'], 'code', 1000);
    if (!isSendableCloseCode(code))
      throw badInput(`code must be a close code a server may send: 1000-1003, 1007-1014 or 3000-4999 (got ${code})`);
    spec.code = code;
  }
  if (input['reason'] !== undefined) {
    const reason = input['reason'];
    if (typeof reason !== 'string' || new TextEncoder().encode(reason).length > 123)
      throw badInput('reason must be a string of at most 123 bytes (a WebSocket close reason)');
    spec.reason = reason;
  }
  return spec;
}

export function parseJournalFilter(value: unknown): JournalFilter {
  const input = definedFields(parseObject(value ?? {}, 'filter'));
  const accepted: readonly string[] = JOURNAL_FILTER_FIELDS;
  const unknown = Object.keys(input).filter((field) => !accepted.includes(field));
  if (unknown.length > 0) throw badInput(`Unknown journal filter field(s) ${unknown.join(', ')}; use ${accepted.join(', ')}`);
  const filter: JournalFilter = {};
  if (input['connectionId'] !== undefined) filter.connectionId = wholeNumber(input['connectionId'], 'connectionId', 1);
  const userId = parseOptionalText(input['userId'], 'userId');
  if (userId !== undefined) filter.userId = userId;
  const command = parseOptionalText(input['command'], 'command');
  if (command !== undefined) filter.command = command;
  if (input['direction'] !== undefined) filter.direction = parseChoice(input['direction'], 'direction', ['in', 'out'] as const);
  const type = parseOptionalText(input['type'], 'type');
  if (type !== undefined) filter.type = type;
  if (input['after'] !== undefined) filter.after = wholeNumber(input['after'], 'after', 0);
  return filter;
}

/** An object that JSON can carry (no BigInt, no cycles), as JSON would read it back. */
function jsonObject(value: unknown, field: string): Record<string, unknown> {
  parseObject(value, field);
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw badInput(`${field} must be JSON: ${(error as Error).message}`);
  }
  return JSON.parse(text) as Record<string, unknown>;
}
