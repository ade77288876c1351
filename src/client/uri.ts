// The real server's port, which the SDKs add when a URI has none.
import { DEFAULT_PORT } from '../version.js';

/**
 * Turns what a user passes as `uri` into the DAP WebSocket URL, as the SDKs do (wire.md):
 * `localhost:5565`, `http://host` and `https://host` become `ws(s)://host:5565/task/service`
 * (port added when absent, any path replaced).
 * @since 0.1.0
 */
export function toServiceUrl(uri: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) ? uri : `ws://${uri}`;
  // URL forgets a port equal to its scheme's default (`https://h:443`), so read it off the text.
  const explicitPort = /^[^:]+:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)/.exec(withScheme)?.[1];
  const url = new URL(withScheme);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new TypeError(`Unsupported URI scheme '${url.protocol}' in ${uri}: use ws, wss, http or https`);
  }
  url.port = explicitPort ?? String(DEFAULT_PORT);
  url.pathname = '/task/service';
  url.search = '';
  url.hash = '';
  return url.toString();
}
