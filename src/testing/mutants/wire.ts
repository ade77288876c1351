/** The WIRE mutants: the session and the envelope (WIRE-*). */
import { MAX_AUTH_ATTEMPTS, messages as sessionMessages, type SessionOutput } from '../../dap/session.js';
import type { FamilyMutants } from './definition.js';
import { editReplies, type Reply } from './shared.js';

export const WIRE_MUTANTS: FamilyMutants = {
  withChecks: [
    {
      name: 'request-seq-as-string',
      family: 'WIRE',
      description: 'Responses carry request_seq as a JSON string ("7") instead of a number, so SDKs never match them.',
      expectedClauses: ['WIRE-2'],
      deviations: () => ({
        wrapOutput: editReplies((text) => text.replace(/^(\{"type":"response","seq":\d+,"request_seq":)(-?[0-9.eE+-]+)/, '$1"$2"')),
      }),
    },
    {
      name: 'multiline-replies',
      family: 'WIRE',
      description: 'Replies are pretty-printed JSON with raw newlines (the TS SDK drops them and hangs).',
      expectedClauses: ['WIRE-2', 'WIRE-1'],
      deviations: () => ({ wrapOutput: editReplies((text) => JSON.stringify(JSON.parse(text), null, 2)) }),
    },
    {
      name: 'seq-not-incremented',
      family: 'WIRE',
      description: "The server's own seq stays 1 on every message instead of growing by one.",
      expectedClauses: ['WIRE-2'],
      deviations: () => ({
        wrapOutput: editReplies((text) => text.replace(/^\{"type":"response","seq":\d+/, '{"type":"response","seq":1')),
      }),
    },
    {
      name: 'no-deauth-reply',
      family: 'WIRE',
      description: 'deauth logs the connection out but sends no response (both SDKs wait for it forever).',
      expectedClauses: ['WIRE-6', 'WIRE-2'],
      deviations: () => ({
        wrapOutput: editReplies((text) => {
          const reply = JSON.parse(text) as Reply;
          return reply.command === 'deauth' && reply.success === true ? undefined : text;
        }),
      }),
    },
    {
      name: 'no-close-after-auth-failure',
      family: 'WIRE',
      description: 'A failed auth (bad or empty key, too many attempts) is answered but the connection is left open.',
      expectedClauses: ['WIRE-4', 'WIRE-5'],
      deviations: () => ({
        wrapOutput: (out) => {
          let authFailed = false;
          return {
            send(text) {
              const reply = JSON.parse(text) as Reply;
              authFailed = reply.command === 'auth' && reply.success === false;
              out.send(text);
            },
            close(code, reason) {
              if (!authFailed) out.close(code, reason);
            },
          };
        },
      }),
    },
    {
      name: 'unlimited-auth-attempts',
      family: 'WIRE',
      description: 'auth may be tried any number of times on one connection (no cap of 5).',
      expectedClauses: ['WIRE-5'],
      deviations: () => ({ maxAuthAttempts: Infinity }),
    },
    {
      name: 'gate-open',
      family: 'WIRE',
      description: 'rrext_ping is served before auth (the not-authenticated gate lets it through).',
      expectedClauses: ['WIRE-3'],
      deviations: () => ({
        servedBeforeAuth: (command) => command === 'auth' || command === 'rrext_ping' || command.startsWith('rrext_public_'),
      }),
    },
    {
      name: 'unknown-command-closes',
      family: 'WIRE',
      description: 'An unknown command is answered with a failure, then the connection is closed.',
      expectedClauses: ['WIRE-8'],
      deviations: () => ({
        wrapOutput: (out) => ({
          send(text) {
            out.send(text);
            const reply = JSON.parse(text) as Reply;
            if (reply.success === false && typeof reply.message === 'string' && reply.message.startsWith('Invalid command:'))
              out.close(1000, 'Invalid command');
          },
          close: (code, reason) => out.close(code, reason),
        }),
      }),
    },
  ],
  independent: [
    // ---- WIRE-2: the server's own seq ----
    {
      name: 'seq-starts-at-zero',
      family: 'WIRE',
      description: "The server's seq counter is read before it is incremented: the first message on a connection has seq 0, then 1, 2...",
      expectedClauses: ['WIRE-2'],
      deviations: () => ({ wrapOutput: renumberReplies(() => (seq) => seq - 1) }),
    },
    {
      name: 'seq-starts-at-two',
      family: 'WIRE',
      description: 'The server counts a connection-opened event it never sends: the first message on a connection has seq 2, then 3, 4...',
      expectedClauses: ['WIRE-2'],
      deviations: () => ({ wrapOutput: renumberReplies(() => (seq) => seq + 1) }),
    },
    {
      name: 'seq-shared-across-connections',
      family: 'WIRE',
      description:
        "One seq counter for the whole server instead of one per connection: a second connection's first message continues where the first left off.",
      expectedClauses: ['WIRE-2'],
      deviations: () => {
        let shared = 0;
        return { wrapOutput: renumberReplies(() => () => ++shared) };
      },
    },
    {
      name: 'seq-restarts-on-auth',
      family: 'WIRE',
      description:
        'Every successful auth starts a new session object whose seq counter starts again at 1 (the auth reply itself is 1), so seq falls back after a re-auth.',
      expectedClauses: ['WIRE-2'],
      deviations: () => ({
        wrapOutput: renumberReplies(() => {
          let n = 0;
          return (_seq, text) => {
            if (text.includes(',"command":"auth","success":true,')) n = 0;
            return ++n;
          };
        }),
      }),
    },

    // ---- WIRE-5: the auth cap ----
    {
      name: 'auth-cap-six',
      family: 'WIRE',
      description:
        'The auth cap is checked before the attempt is counted (off by one): six auth requests are served on one connection, the 7th is refused.',
      expectedClauses: ['WIRE-5'],
      deviations: () => ({ maxAuthAttempts: MAX_AUTH_ATTEMPTS + 1 }),
    },
    {
      name: 'auth-count-resets-on-deauth',
      family: 'WIRE',
      description:
        'The auth attempt counter lives in the login state and is reset by deauth: auth, deauth, auth... can go on forever on one connection.',
      expectedClauses: ['WIRE-5'],
      deviations: () => ({ maxAuthAttempts: Infinity, wrapOutput: authCap({ countReauth: true, resetOnDeauth: true }) }),
    },
    {
      name: 'auth-reauth-not-counted',
      family: 'WIRE',
      description:
        'Only an auth on an unauthenticated connection counts towards the cap of 5: re-auths of an authenticated connection are never refused.',
      expectedClauses: ['WIRE-5'],
      deviations: () => ({ maxAuthAttempts: Infinity, wrapOutput: authCap({ countReauth: false, resetOnDeauth: false }) }),
    },

    // ---- WIRE-8: command names ----
    {
      name: 'deploy-commands-case-insensitive',
      family: 'WIRE',
      description:
        "Extension commands are looked up lower-cased ('RREXT_DEPLOY_LIST', 'Rrext_Ping', 'RREXT_PUBLIC_PROBE' are served); auth and deauth are matched exactly.",
      expectedClauses: ['WIRE-8', 'WIRE-3'],
      deviations: () => ({
        renameCommand: (command) => {
          const lower = command.toLowerCase();
          return lower.startsWith('rrext_') ? lower : command;
        },
      }),
    },
    {
      name: 'auth-command-case-insensitive',
      family: 'WIRE',
      description:
        "The handshake compares auth and deauth lower-cased: 'Auth', 'AUTH' authenticate and 'DeAuth' signs out; other commands are matched exactly.",
      expectedClauses: ['WIRE-8', 'WIRE-3'],
      deviations: () => ({
        renameCommand: (command) => {
          const lower = command.toLowerCase();
          return lower === 'auth' || lower === 'deauth' ? lower : command;
        },
      }),
    },
    {
      name: 'command-whitespace-trimmed',
      family: 'WIRE',
      description: "Command names are trimmed before they are matched: ' auth', 'rrext_deploy_list\\n', 'rrext_ping ' are served.",
      expectedClauses: ['WIRE-8', 'WIRE-3'],
      deviations: () => ({ renameCommand: (command) => command.trim() }),
    },
  ],
};

/** Rewrites the `seq` of every message a session sends; `make` is called once per connection. */
function renumberReplies(make: () => (seq: number, text: string) => number): (out: SessionOutput) => SessionOutput {
  return (out) => {
    const renumber = make();
    return editReplies((text) =>
      text.replace(/^\{"type":"response","seq":(\d+)/, (_all, seq: string) => `{"type":"response","seq":${renumber(Number(seq), text)}`),
    )(out);
  };
}

/**
 * The auth cap of 5 enforced on the replies (the session's own cap is off), with a counting rule
 * of its own: whether re-auths of an authenticated connection count, and whether deauth resets
 * the count. An attempt over the cap is answered `Too many authentication attempts`, then closed.
 */
function authCap(rule: { countReauth: boolean; resetOnDeauth: boolean }): (out: SessionOutput) => SessionOutput {
  return (out) => {
    let count = 0;
    let authenticated = false;
    let refused = false;
    return {
      send(text) {
        if (refused) return;
        const reply = JSON.parse(text) as Reply;
        if (reply.command === 'deauth' && reply.success === true) {
          authenticated = false;
          if (rule.resetOnDeauth) count = 0;
        } else if (reply.command === 'auth' && !String(reply.message ?? '').startsWith('Invalid request:')) {
          if (rule.countReauth || !authenticated) count += 1;
          if (count > MAX_AUTH_ATTEMPTS) {
            refused = true;
            const { type, seq, request_seq } = reply;
            out.send(
              JSON.stringify({ type, seq, request_seq, command: reply.command, success: false, message: sessionMessages.tooManyAttempts }),
            );
            out.close(1000, sessionMessages.tooManyAttempts);
            return;
          }
          if (reply.success === true) authenticated = true;
        }
        out.send(text);
      },
      close(code, reason) {
        if (!refused) out.close(code, reason);
      },
    };
  };
}
