/**
 * How a mutant server opens sessions when its mutants rewrite what a session sends or receives:
 * the transport's output wrapped, and incoming commands renamed by a session standing in front
 * of the real one (the response then echoes the name as the client sent it).
 */
import { splitFrame } from '../../dap/frames.js';
import type { Session, SessionOutput } from '../../dap/session.js';
import type { DeployCore } from '../../core-build.js';
import { editReplies } from './shared.js';

/**
 * How sessions are opened when mutants rewrite what a session sends or receives: the output
 * wrapped (the transport's own `unanswered` kept), the incoming commands renamed.
 */
export function sessionOpener(
  rename: ((command: string) => string) | undefined,
  outputWrappers: ReadonlyArray<(out: SessionOutput) => SessionOutput>,
): ((core: DeployCore, out: SessionOutput) => Session) | undefined {
  if (!rename && outputWrappers.length === 0) return undefined;
  const echo: Echo = { current: undefined };
  // The echo is restored outermost, on the session's own text, before any other output mutant sees it.
  const wrappers = rename ? [...outputWrappers, restoreEcho(echo)] : outputWrappers;
  return (core, out) => {
    const wrapped = wrappers.reduce((acc, wrap) => wrap(acc), out);
    const session = core.openSession({
      send: (text) => wrapped.send(text),
      close: (code, reason) => wrapped.close(code, reason),
      unanswered: () => out.unanswered?.(),
    });
    return rename ? renamingSession(session, rename, echo) : session;
  };
}

// ---- renaming incoming commands (WIRE-8) ----

/** The request being served under another name: its seq, the name it was renamed to, and the name it came with. */
interface Echo {
  current: { readonly seq: unknown; readonly command: string; readonly original: string } | undefined;
}

/**
 * A session whose incoming requests have their command renamed before it reads them; while it
 * serves a renamed one, `echo` says so (for restoreEcho).
 */
function renamingSession(session: Session, rename: (command: string) => string, echo: Echo): Session {
  return {
    get id() {
      return session.id;
    },
    get userId() {
      return session.userId;
    },
    ended: () => session.ended(),
    receive(data, isBinary) {
      const renamed = renameFrame(data, isBinary, rename);
      if (!renamed) return session.receive(data, isBinary);
      const outer = echo.current;
      echo.current = renamed.echo;
      try {
        session.receive(renamed.data, isBinary);
      } finally {
        echo.current = outer;
      }
    },
  };
}

/** The frame with its command renamed, or undefined when the name stays (or the frame is no request object). */
function renameFrame(
  data: Uint8Array | string,
  isBinary: boolean,
  rename: (command: string) => string,
): { data: Uint8Array | string; echo: NonNullable<Echo['current']> } | undefined {
  const { header, payload } = splitFrame(data, isBinary);
  let message: unknown;
  try {
    message = JSON.parse(header);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const fields = message as Record<string, unknown>;
  const original = fields['command'];
  if (typeof original !== 'string') return undefined;
  const command = rename(original);
  if (command === original) return undefined;
  fields['command'] = command;
  let text: string;
  try {
    text = JSON.stringify(fields);
  } catch {
    return undefined;
  }
  return {
    data: payload === undefined ? text : Buffer.concat([Buffer.from(text), Buffer.from('\n'), payload]),
    echo: { seq: fields['seq'], command, original },
  };
}

/** The response to a renamed request echoes the command as the client sent it. */
function restoreEcho(echo: Echo): (out: SessionOutput) => SessionOutput {
  return editReplies((text) => {
    const current = echo.current;
    if (!current) return text;
    const head = /^(\{"type":"response","seq":\d+,"request_seq":)([^,]*),"command":("(?:[^"\\]|\\.)*")/.exec(text);
    if (!head || head[2] !== JSON.stringify(current.seq) || JSON.parse(head[3]!) !== current.command) return text;
    return `${head[1]}${head[2]},"command":${JSON.stringify(current.original)}${text.slice(head[0].length)}`;
  });
}
