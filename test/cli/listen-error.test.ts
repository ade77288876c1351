import { describe, expect, it } from 'vitest';
import { describeListenError } from '../../src/cli/listen-error.js';

// Errors shaped as Node's net module makes them (the CLI test meets the others for real; a
// privileged port cannot be refused to the root user that CI runs as).
const listenError = (code: string, address: string, port: number) =>
  Object.assign(new Error(`listen ${code}: ${address}:${port}`), { code, syscall: 'listen', address, port });

describe('describeListenError', () => {
  it('names the address, the cause and the flag to change', () => {
    expect(describeListenError(listenError('EACCES', '127.0.0.1', 80))).toBe(
      'Cannot listen on 127.0.0.1:80: permission denied (EACCES); ports below 1024 need privileges, pick another with --port',
    );
    expect(describeListenError(listenError('EADDRINUSE', '::1', 5565))).toBe('Port already in use (::1:5565); pick another with --port');
  });

  it('leaves other errors to their own message', () => {
    expect(describeListenError(listenError('EMFILE', '127.0.0.1', 5565))).toBeUndefined();
    expect(describeListenError(Object.assign(new Error('x'), { code: 'ENOTFOUND', syscall: 'open' }))).toBeUndefined();
    expect(describeListenError(Object.assign(new Error('x'), { code: 'EACCES', syscall: 'open', path: '/state.json' }))).toBeUndefined();
  });
});
