/**
 * Fair baselines: the mock's replies, recorded while it serves the row's own workload, for the
 * echo server to send back (bench/echo-server.mjs --replies). Per command the median-sized
 * reply is kept, so a row whose `list` carries 16 records has echo send 16 records' worth too.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildServer, type ChildServer } from './child-server.js';
import type { ReplyRule } from './replies.js';

/** Replies kept per command to take the median from. */
const SAMPLES_PER_COMMAND = 301;

/** Wraps a rule: every good reply it passes is also kept, as text, by command. */
export class ReplyRecorder {
  readonly #seen = new Map<string, string[]>();

  constructor(private readonly base: ReplyRule) {}

  readonly rule: ReplyRule = {
    requestSeqOf: (reply) => this.base.requestSeqOf(reply),
    problem: (reply, sent) => {
      const problem = this.base.problem(reply, sent);
      if (problem === undefined) {
        const texts = this.#seen.get(sent.command) ?? [];
        if (texts.length < SAMPLES_PER_COMMAND) texts.push(JSON.stringify(reply)); // the mock's replies are compact JSON already
        this.#seen.set(sent.command, texts);
      }
      return problem;
    },
  };

  /** Per command, the median-sized reply split around its request_seq. */
  templates(): Record<string, [string, string]> {
    const out: Record<string, [string, string]> = {};
    for (const [command, texts] of this.#seen) {
      const median = [...texts].sort((a, b) => a.length - b.length)[texts.length >> 1]!;
      const seq = (JSON.parse(median) as { request_seq: number }).request_seq;
      const marker = `"request_seq":${seq}`;
      const at = median.indexOf(marker);
      if (at < 0) throw new Error(`replay: no ${marker} in the recorded ${command} reply`);
      out[command] = [median.slice(0, at) + '"request_seq":', median.slice(at + marker.length)];
    }
    return out;
  }

  /** Median reply size per command (bytes of JSON), for the report. */
  sizes(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.templates()).map(([command, [before, after]]) => [command, before.length + after.length + 1]),
    );
  }
}

/** Starts an echo server answering with the recorded replies; its file goes when it stops. */
export async function startReplayEcho(recorder: ReplyRecorder, root: string): Promise<ChildServer> {
  const dir = await mkdtemp(join(tmpdir(), 'rrdk-bench-replies-'));
  const file = join(dir, 'replies.json');
  await writeFile(file, JSON.stringify(recorder.templates()));
  const server = await startChildServer('echo', ['bench/echo-server.mjs', '--replies', file], root);
  return {
    ...server,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
