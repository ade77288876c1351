/**
 * The clause catalogue is the spec's semantics.md as data: same IDs, levels and text.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLAUSES, clause } from '../../conformance/clauses.js';

// The spec lives in ../shared/spec beside the repository (as on the developers' machines and in
// CI); fixtures/spec holds a copy for a checkout without it, and a test keeps the two equal.
const SHARED = new URL('../../../shared/spec/semantics.md', import.meta.url);
const COPY = new URL('../../fixtures/spec/semantics.md', import.meta.url);
const SEMANTICS = existsSync(SHARED) ? SHARED : COPY;

describe('the clause catalogue', () => {
  it('lists exactly the clauses of semantics.md, in order, with their level and text', () => {
    const text = readFileSync(SEMANTICS, 'utf8');
    // An independent reading of the spec's clause items: an ID at the start of a list item.
    const ids = [...text.matchAll(/^- ((?:WIRE|REC|DEP|SCHED|RUN|SDK)-[A-Z0-9-]+)\b/gm)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(40);
    expect(CLAUSES.map((c) => c.id)).toEqual(ids);
    expect(clause('WIRE-5')).toMatchObject({ level: 'MUST', family: 'WIRE' });
    expect(clause('REC-2').level).toBe('NOTE');
    expect(clause('DEP-MSG-1').level).toBe('SHOULD');
    expect(clause('DEP-ISO-1').text).toMatch(
      /^a user can never see, read, change or remove another user's deployment, .* a fully percent-encoded traversal \(`%2E%2E%2F…`\) is as inert as a literal one\.$/,
    );
    for (const c of CLAUSES) expect(text.split(/\s+/).join(' ')).toContain(c.text);
  });

  it('keeps its copy of semantics.md equal to the spec it was made from', () => {
    expect(readFileSync(COPY, 'utf8')).toBe(readFileSync(SEMANTICS, 'utf8'));
  });

  it('gives every clause its family and the capabilities it needs', () => {
    for (const c of CLAUSES) expect(c.id.startsWith(`${c.family}-`)).toBe(true);
    expect(clause('RUN-3').needs).toEqual(['clock-control']);
    expect(clause('DEP-ISO-1').needs).toEqual(['second-user']);
    expect(clause('SDK-1').needs).toEqual(['sdk']);
    expect(() => clause('DEP-NOPE-1')).toThrow('Unknown clause DEP-NOPE-1');
  });
});
