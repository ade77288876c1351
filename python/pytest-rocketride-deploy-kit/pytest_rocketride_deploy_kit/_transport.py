"""How the generated ControlClient (control.py) talks to the control API: one JSON request over
HTTP per operation, built from the operation's HTTP binding of the registry exactly as the
TypeScript client builds it (src/control/control-requests.ts of the npm package): path inputs
percent-encoded into the path, a GET's other inputs as the query, a POST's as the JSON body (or
the body is one input's value: ``whole_body``); inputs given as ``None`` are not sent.
Standard library only.
"""
import json
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from typing import Any, Mapping, Optional, Union

#: An instant: epoch milliseconds, an ISO 8601 date-time with a zone, or a datetime (with a zone).
Instant = Union[str, int, datetime]
#: A span: milliseconds, a string like ``"15m"`` or ``"1h30m"``, or a timedelta.
Span = Union[str, int, timedelta]

_SERVE_HINT = 'is `rocketride-deploy-kit serve` running there?'


class ControlError(Exception):
    """What the control API refused, as it answered: ``{"error": {"code", "message"}}``.

    ``code`` is the control API's error code (``DEPLOYMENT_NOT_FOUND``, ``BAD_INPUT``,
    ``CLOCK_BACKWARDS``...), ``status`` the HTTP status, ``message`` the server's words. Two codes
    are the client's own: ``UNREACHABLE`` (status 0: no server answered) and ``NOT_JSON`` (an
    answer that is not the control API's).
    """

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(code, status, message)
        self.code = code
        self.status = status
        self.message = message

    def __str__(self) -> str:
        return '%s %s: %s' % (self.status, self.code, self.message)


def control_base_url(url: str) -> str:
    """``http://host:port`` from a URL given with or without ``/control/``, or a ``ws://`` server URL."""
    parts = urllib.parse.urlsplit(str(url))
    scheme = {'ws': 'http', 'wss': 'https'}.get(parts.scheme, parts.scheme)
    if scheme not in ('http', 'https') or not parts.netloc:
        raise ValueError('The control URL must be a URL like http://127.0.0.1:5565, got %r' % (url,))
    path = re.sub(r'(/control|/task/service)$', '', parts.path.rstrip('/'))
    return '%s://%s%s' % (scheme, parts.netloc, path)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        ms = value / timedelta(milliseconds=1)
        return int(ms) if ms == int(ms) else ms
    raise TypeError('%r is not JSON serializable' % (value,))


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (datetime, timedelta)):
        return str(_json_default(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=_json_default)
    return str(value)


def _path_value(operation: str, field: str, value: Any) -> str:
    # "." and ".." would be resolved away by the URL (even percent-encoded), so they cannot be path values.
    if not isinstance(value, str) or value in ('', '.', '..'):
        got = 'nothing' if value is None else json.dumps(value, default=repr)
        raise TypeError('%s needs %s as a non-empty string other than "." and ".." (got %s)' % (operation, field, got))
    return urllib.parse.quote(value, safe='')


class Transport:
    """Sends one control request and answers its parsed JSON (a ControlError for anything else)."""

    def __init__(self, url: str, *, token: Optional[str] = None, timeout: float = 30.0) -> None:
        self.base = control_base_url(url)
        self.token = token
        self.timeout = timeout
        # The mock is on this machine: never send its requests through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, operation: str, method: str, path: str, inputs: Mapping[str, Any], *, whole_body: Optional[str] = None) -> Any:
        in_path = re.findall(r':(\w+)', path)
        encoded = re.sub(r':(\w+)', lambda m: _path_value(operation, m.group(1), inputs.get(m.group(1))), path)
        rest = {name: value for name, value in inputs.items() if name not in in_path and value is not None}
        url = '%s/control/%s' % (self.base, encoded)
        body: Any = None
        if method == 'GET':
            if rest:
                url += '?' + urllib.parse.urlencode({name: _query_text(value) for name, value in rest.items()})
        elif whole_body is not None:
            body = inputs.get(whole_body)
            if body is None:
                raise TypeError('%s needs %s' % (operation, whole_body))
        elif rest:
            body = rest
        return self.send(method, url, body)

    def send(self, method: str, url: str, body: Any = None) -> Any:
        headers = {'Accept': 'application/json'}
        data = None
        if body is not None:
            data = json.dumps(body, default=_json_default).encode('utf-8')
            headers['Content-Type'] = 'application/json'
        if self.token is not None:
            headers['Authorization'] = 'Bearer %s' % self.token
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
            error.close()
        except urllib.error.URLError as error:
            raise ControlError('UNREACHABLE', 0, 'no server answers at %s (%s); %s' % (self.base, error.reason, _SERVE_HINT)) from None
        except (socket.timeout, TimeoutError) as error:
            raise ControlError('UNREACHABLE', 0, 'no answer from %s within %s s (%s)' % (self.base, self.timeout, error)) from None
        except OSError as error:
            raise ControlError('UNREACHABLE', 0, 'cannot reach %s (%s); %s' % (self.base, error, _SERVE_HINT)) from None
        try:
            answer = json.loads(text.decode('utf-8'))
        except ValueError:
            raise ControlError(
                'NOT_JSON', status, '%s answered HTTP %s without JSON; is it a rocketride-deploy-kit server?' % (self.base, status)
            ) from None
        if 200 <= status < 300:
            return answer
        error_object = answer.get('error') if isinstance(answer, dict) else None
        if not isinstance(error_object, dict):
            error_object = {}
        raise ControlError(str(error_object.get('code', status)), status, str(error_object.get('message', 'HTTP %s' % status)))
