import { describe, expect, it } from 'vitest';
import { isLoopback } from '../../conformance/runner.js';

describe('the runner paces only targets off this machine', () => {
  it('calls localhost, 127.0.0.0/8 and ::1 loopback, and nothing else', () => {
    for (const url of [
      'ws://localhost:5565/task/service',
      'ws://127.0.0.1:5565/task/service',
      'ws://127.8.9.10/task/service',
      'ws://[::1]:5565/task/service',
    ])
      expect(isLoopback(url), url).toBe(true);
    for (const url of [
      'ws://10.0.0.1:5565/task/service',
      'wss://rocketride.example.com/task/service',
      'ws://127.0.0.1.example.com/task/service',
      'ws://[::2]/task/service',
    ])
      expect(isLoopback(url), url).toBe(false);
  });
});
