/** The program's top-level help: every command and its options. */
import { DEFAULT_LIMITS } from '../limits.js';
import { DEFAULT_DEMO_SEED, DEMO_LIMITS } from '../demo/demo-limits.js';
import { DEFAULT_PORT } from '../server/mock-server.js';
import { CONTROL_USAGE } from './control.js';
import { NAME } from './usage-error.js';

export const USAGE = `Usage: ${NAME} <command> [options]

Commands:
  serve        Start the mock RocketRide server (deploy API over DAP/WebSocket, control API over HTTP)
  control      Call a running server's control API (clock, keys, deployments, runs)
  conformance  Check a server (default: the in-process mock) against the spec, clause by clause
               (rocketride-deploy-kit conformance --help)

serve options:
  --host HOST            Interface to listen on (default 127.0.0.1)
  --port PORT            Port to listen on; 0 picks a free one (default ${DEFAULT_PORT})
  --users FILE           Users file (default: the demo users in fixtures/users.json)
  --clock fake|real      fake: time stands still until moved; real: wall time plus jumps (default real)
  --start-at INSTANT     Where the clock starts, e.g. 2026-11-26T10:07:00Z (default: now)
  --timezone ZONE        IANA time zone of cron schedules (default UTC)
  --run-duration SPAN    How long a run takes: 1s, 5m, 1h30m (default 1s)
  --run-outcome OUTCOME  How a run ends: completed or failed (default completed)
  --history-limit N      Ticks and runs kept per deployment; counters stay exact (default 1000)
  --journal-entries N    Frames kept in the frame journal; 0 turns it off (default 10000)
  --control-token TOKEN  Require "Authorization: Bearer TOKEN" on the control API (env
                         RRDK_CONTROL_TOKEN); without one, only loopback callers may use it
  --state-file FILE      Keep deployments, run-time users and revocations, the clock and run
                         history in FILE across restarts (created on the first change; a file
                         that is not a state file is refused and left alone)
  --allow-origin ORIGIN  Let web pages at ORIGIN (e.g. http://app.test:3000; * for any) open DAP
                         connections; repeat it or give a comma-separated list. Without it only
                         pages on localhost or 127.0.0.1 may (others get 403)
  -q, --quiet            Print no request log (by default, one line per connection, command, run,
                         clock move and fault follows the start-up lines on stdout)
  --log-format text|json The request log's lines: text, or JSON lines (default text)
  --demo [N]             Start with N demo deployments (${DEMO_LIMITS.min} to ${DEMO_LIMITS.max}, default ${DEMO_LIMITS.default}) across the users who
                         may deploy, and the day of runs before the clock's start (not with --state-file)
  --demo-seed S          The demo's seed: the same seed makes the same deployments (default ${DEFAULT_DEMO_SEED})

serve limits (positive integers or spans; input past a limit is refused and changes nothing stored):
  --max-frame-bytes N             Largest WebSocket message, bytes; a larger one closes it with 1009
                                  (default ${DEFAULT_LIMITS.maxFrameBytes})
  --max-pipeline-bytes N          Largest pipeline JSON an add or update may store (default ${DEFAULT_LIMITS.maxPipelineBytes})
  --max-project-id-length N       Longest project id, in characters (default ${DEFAULT_LIMITS.maxProjectIdLength})
  --max-deployments-per-user N    Most deployments one user may hold (default ${DEFAULT_LIMITS.maxDeploymentsPerUser})
  --max-stored-bytes-per-user N   Most bytes one user's deployments may hold: pipeline JSON and project
                                  ids, UTF-8 (default ${DEFAULT_LIMITS.maxStoredBytesPerUser})
  --max-stored-bytes N            The same, for all users together (default ${DEFAULT_LIMITS.maxStoredBytes})
  --max-history-entries N         Most ticks and runs kept by all deployments together; each keeps
                                  its share, the oldest go first (default ${DEFAULT_LIMITS.maxHistoryEntries})
  --max-reply-bytes-per-user N    Most unsent reply bytes one user's connections may hold; past it
                                  its requests wait until they drain (default ${DEFAULT_LIMITS.maxReplyBytesPerUser})
  --max-connections N             Most open WebSocket connections; one more is closed with 1013 (default ${DEFAULT_LIMITS.maxConnections})
  --max-unauthenticated-per-ip N  Most not-yet-authenticated connections from one address; one more
                                  is closed with 1008 (default ${DEFAULT_LIMITS.maxUnauthenticatedPerIp})
  --auth-timeout SPAN             How long a connection may stay unauthenticated (from its opening or a
                                  deauth); then it is closed with 1008 (default ${DEFAULT_LIMITS.authTimeoutMs / 1000}s)
  --max-handshakes N              Most connections still sending their HTTP request or upgrade; one
                                  more drops the oldest idle one (default ${DEFAULT_LIMITS.maxHandshakes})
  --max-handshakes-per-ip N       Most of those from one address waiting over 1 s (default ${DEFAULT_LIMITS.maxHandshakesPerIp})
  --handshake-timeout SPAN        How long a connection may take to send its request or upgrade
                                  (default ${DEFAULT_LIMITS.handshakeTimeoutMs / 1000}s)

${CONTROL_USAGE.replace(/^Usage: /, 'control: ')}

  -h, --help     Show this help
  -v, --version  Show the version`;
