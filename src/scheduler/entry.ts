/** One deployment's scheduling state, as the scheduler keeps it from its `add` to its `remove`. */
import type { Deployment } from '../domain/deployment.js';
import type { BucketItem } from './heap.js';
import type { RunLog, TickLog } from './history.js';
import type { NextTick } from './next-tick.js';
import { newCounters, type Counters, type RunBehavior, type RunOutcome } from './types.js';

/**
 * The end of a deployment's run in progress. Each deployment owns one and re-queues it, so a
 * long advance allocates nothing per run.
 */
export interface RunEnd extends BucketItem {
  /** When the run ends, while it is queued (`tickAt` is the queue's name for it). */
  tickAt: number | undefined;
  bucketIndex: number;
  /** The deployment's serial, kept here too so ordering touches no other object. */
  readonly serial: number;
  readonly entry: Entry;
}

/** A deployment's scheduling state. It waits in the tick queue itself (`tickAt`), for its next tick. */
export class Entry implements BucketItem {
  readonly userId: string;
  readonly projectId: string;
  tickAt: number | undefined = undefined;
  bucketIndex = -1;
  cron: NextTick | undefined = undefined;
  /** The end of its run in progress; queued unless the run is held. */
  readonly end: RunEnd;
  /** Number of the run in progress, or 0. */
  current = 0;
  /** How the run in progress will end, fixed when it started. */
  currentOutcome: RunOutcome = 'completed';
  /** Resolved run behavior, cached until a behavior changes. */
  behavior: RunBehavior | undefined = undefined;
  readonly counters: Counters = newCounters();
  /** Made at the first tick or run: deployments that come and go without any cost nothing. */
  ticks: TickLog | undefined = undefined;
  runs: RunLog | undefined = undefined;
  removedAt: number | undefined = undefined;

  constructor(
    readonly serial: number,
    /** The stored record, followed through updates (a tick reads its state and owner key). */
    public record: Deployment,
  ) {
    this.userId = record.ownerId;
    this.projectId = record.projectId;
    this.end = { serial, entry: this, tickAt: undefined, bucketIndex: -1 };
  }
}

/** Owner and project id as one unambiguous key (the length prefix keeps 'a'+'bc' apart from 'ab'+'c'). */
export function keyOf(userId: string, projectId: string): string {
  return `${userId.length}:${userId}${projectId}`;
}

/** The owner and project id back out of keyOf's key. */
export function splitKey(key: string): { userId: string; projectId: string } {
  const colon = key.indexOf(':');
  const end = colon + 1 + Number(key.slice(0, colon));
  return { userId: key.slice(colon + 1, end), projectId: key.slice(end) };
}
