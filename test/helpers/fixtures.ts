import { readFileSync } from 'node:fs';

export interface ScheduleCase {
  value: string;
  why: string;
}

/** The schedule corpus shared by unit, integration and (later) conformance tests. */
export const scheduleCorpus = JSON.parse(readFileSync(new URL('../../fixtures/schedules.json', import.meta.url), 'utf8')) as {
  valid: ScheduleCase[];
  invalid: ScheduleCase[];
};

/** Project ids that would escape a path-based store, plus unicode and a 10 KB id. */
export const hostileProjectIds: readonly string[] = [
  '../x',
  'a/../../b',
  '%2e%2e',
  '%2e%2e%2fother',
  '..',
  '.',
  '/',
  '/etc/passwd',
  'C:\\Windows\\win.ini',
  'users/alice/deployments/p1',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'p1\u0000',
  'ünïcødé-项目-🚀',
  ' p1 ',
  'x'.repeat(10 * 1024),
];
