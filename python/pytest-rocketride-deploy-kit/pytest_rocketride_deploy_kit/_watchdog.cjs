// Preloaded into `serve` (node -r) by the pytest plugin's server.py: when the Python process that
// started the server ends, however it ends (even SIGKILL), its end of this pipe closes, and the
// server shuts down as on SIGTERM. The pipe does not keep the server alive (unref).
'use strict';
let stopping = false;
process.stdin.on('error', () => {});
process.stdin.on('end', () => {
  if (stopping) return;
  stopping = true;
  process.kill(process.pid, 'SIGTERM');
});
process.stdin.resume();
process.stdin.unref();
