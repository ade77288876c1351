/** The kit's argument parser: its table-driven checks and its "did you mean". */
import { describe, expect, it } from 'vitest';
import { editDistance, nearest, parseFlags } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/usage-error.js';

const TABLE = {
  port: { type: 'string', placeholder: 'PORT' },
  'allow-origin': { type: 'string', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
} as const;

describe('parseFlags', () => {
  it('reads values, repeated flags, switches, short flags and `--`', () => {
    expect(
      parseFlags(['--port', '1', '--allow-origin=a', '--allow-origin', 'b', '-q', '--', '--x'], TABLE, { command: 'c', positionals: 1 }),
    ).toEqual({
      values: { port: '1', 'allow-origin': ['a', 'b'], quiet: true },
      positionals: ['--x'],
    });
  });

  it('takes the last of a repeated flag, so a wrapper puts defaults first and lets the caller override them', () => {
    expect(parseFlags(['--port', '0', '--quiet', '--port=5565'], TABLE, { command: 'c' }).values).toEqual({ port: '5565', quiet: true });
  });

  it.each([
    [['--prot', '1'], 'c does not take --prot (did you mean --port?)'],
    [['--zzzzzz'], 'c does not take --zzzzzz'],
    [['-x'], 'c does not take -x'],
    [['--port'], '--port needs a value: c --port PORT'],
    [['--port', '--quiet'], '--port needs a value: c --port PORT'],
    [['--quiet=1'], "--quiet is a switch and takes no value (got '--quiet=1')"],
    [['extra'], "c takes no arguments, got 'extra'"],
  ])('refuses %j: %s', (args, message) => {
    expect(() => parseFlags(args, TABLE, { command: 'c' })).toThrow(new UsageError(message));
  });
});

describe('nearest', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('prot', 'port')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests a near word or a unique prefix, and nothing for a far one', () => {
    expect(nearest('jornal', ['journal', 'clock'])).toBe('journal');
    expect(nearest('max-conn', ['max-connections', 'max-frame-bytes'])).toBe('max-connections');
    expect(nearest('banana', ['journal', 'clock'])).toBeUndefined();
  });
});
