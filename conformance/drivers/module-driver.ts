#!/usr/bin/env node
/**
 * The stdio driver (sdk-driver-protocol.md) for any JavaScript/TypeScript SDK with a module
 * adapter: `node dist/conformance/drivers/module-driver.js <module>[#export]`. It is how CI runs
 * the kit's own reference client over the protocol (adapters/reference-client.js). The adapter
 * loading, op mapping and error description are those of the in-process driver.
 */
import { createInterface } from 'node:readline';
import { DRIVER_EXIT_GRACE_MS, DriverError } from '../sdk/driver.js';
import { PROTOCOL_VERSION } from '../sdk/stdio-driver.js';
import {
  createSdkClient,
  describeError,
  disconnectWithin,
  jsonResult,
  moduleSdkInfo,
  runSdkCall,
  sdkCall,
  type SdkClient,
} from '../sdk/module-driver.js';

/** Leaves room within the runner's grace period to flush and exit after disconnecting. */
const DISCONNECT_BOUND_MS = DRIVER_EXIT_GRACE_MS / 2;

function send(message: object): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function fail(message: string): never {
  process.stderr.write(`module-driver: ${message}\n`);
  process.exit(1);
}

/** Runs one request line; always answers it (a driver fault as `DriverError`). */
async function answer(client: SdkClient, line: string): Promise<void> {
  let request: { id?: unknown; op?: unknown; args?: unknown };
  try {
    request = JSON.parse(line) as typeof request;
  } catch {
    return send({ id: null, ok: false, error: { type: 'DriverError', message: `not JSON: ${line.slice(0, 200)}` } });
  }
  const id = request?.id;
  if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0) {
    return send({
      id: null,
      ok: false,
      error: { type: 'DriverError', message: `a request needs a positive integer id: ${line.slice(0, 200)}` },
    });
  }
  try {
    const call = sdkCall(request.op, request.args ?? {});
    let result: unknown;
    try {
      result = await runSdkCall(call, client);
    } catch (error) {
      return send({ id, ok: false, error: describeError(error) });
    }
    send({ id, ok: true, result: jsonResult(result) });
  } catch (error) {
    // Only DriverErrors get here: bad op or arguments, or a result JSON cannot carry.
    send({ id, ok: false, error: { type: 'DriverError', message: describeError(error).message } });
  }
}

async function main(): Promise<void> {
  const spec = process.argv[2];
  if (!spec) fail('usage: module-driver <module>[#export]  (RRDK_URI and RRDK_KEY in the environment)');
  const uri = process.env['RRDK_URI'];
  const key = process.env['RRDK_KEY'];
  if (!uri || key === undefined) fail('RRDK_URI and RRDK_KEY must be set (the runner sets them)');
  let client: SdkClient;
  try {
    client = await createSdkClient(spec, { uri, key });
  } catch (error) {
    fail(error instanceof DriverError ? error.message : describeError(error).message);
  }
  process.stdout.on('error', () => process.exit(1)); // the runner is gone
  send({ ready: true, protocol: PROTOCOL_VERSION, ...moduleSdkInfo(spec) });

  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.trim() !== '') void answer(client, line);
  });
  lines.on('close', () => {
    // Standard input closed: disconnect (bounded), then exit even if calls are still pending.
    void disconnectWithin(client, DISCONNECT_BOUND_MS).then(() => process.exit(0));
  });
}

void main();
