/**
 * The control token, when the server has one. It reaches the page in the URL's fragment
 * (`http://HOST:PORT/#token=TOKEN`: a fragment is never sent to a server, nor in a Referer), is
 * kept in this tab's sessionStorage and sent only to this origin's control API, in the
 * Authorization header the control API asks for. The fragment is removed from the address bar.
 */
const KEY = 'rocketride-deploy-kit.control-token';

export function takeToken(): string | undefined {
  const match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (match !== null) {
    const token = decodeURIComponent(match[1]!);
    saveToken(token);
    history.replaceState(null, '', location.pathname + location.search);
    return token === '' ? undefined : token;
  }
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function saveToken(token: string): void {
  if (token === '') sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, token);
}
