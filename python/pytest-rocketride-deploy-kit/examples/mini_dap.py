"""EXAMPLE HELPER, NOT THE ROCKETRIDE SDK: just enough of a deploy API client for these examples
to add deployments over the real WebSocket, with the standard library only (asyncio streams, a
minimal RFC 6455 client, the DAP envelopes of the wire protocol). In your project, your app or
the RocketRide Python SDK (``pip install rocketride``) does this part.

``MiniClient(uri='', auth='')`` falls back to ROCKETRIDE_URI / ROCKETRIDE_APIKEY as the SDK's
``RocketRideClient`` does, turns ``http://host:port`` into ``ws://host:port/task/service``,
and has ``connect()``, ``disconnect()`` and ``deploy.add / update / remove / status / list``
(coroutines; a failed response raises RuntimeError with the server's message, as the SDK does).
"""
import asyncio
import base64
import json
import os
import struct
import urllib.parse
from typing import Any, Dict, List, Optional

DAP_PATH = '/task/service'


class MiniClient:
    def __init__(self, uri: str = '', auth: str = '') -> None:
        self.uri = uri or os.environ.get('ROCKETRIDE_URI', '') or 'http://localhost:5565'
        self.auth = auth or os.environ.get('ROCKETRIDE_APIKEY', '')
        parts = urllib.parse.urlsplit(self.uri if '://' in self.uri else 'http://' + self.uri)
        self.host = parts.hostname or 'localhost'
        self.port = parts.port or 5565
        self.deploy = _Deploy(self)
        self._seq = 0
        self._reader: Optional[asyncio.StreamReader] = None
        self._writer: Optional[asyncio.StreamWriter] = None

    async def connect(self) -> Dict[str, Any]:
        """Opens the WebSocket and authenticates (the SDK's one ``auth`` request); answers the ConnectResult."""
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        key = base64.b64encode(os.urandom(16)).decode('ascii')
        self._writer.write(
            (
                'GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n' % (DAP_PATH, self.host, self.port, key)
            ).encode('ascii')
        )
        head = await self._reader.readuntil(b'\r\n\r\n')
        if b' 101 ' not in head.split(b'\r\n', 1)[0]:
            raise ConnectionError('the server refused the WebSocket upgrade: %r' % head.split(b'\r\n', 1)[0])
        return await self.call('auth', {'auth': self.auth, 'clientName': 'Python SDK'})

    async def disconnect(self) -> None:
        """Sends ``deauth`` (as the SDK does), then closes the WebSocket with 1000."""
        if self._writer is None:
            return
        try:
            await asyncio.wait_for(self.call('deauth', {}), 5)
            self._send_frame(0x8, struct.pack('!H', 1000))
            await self._writer.drain()
        finally:
            self._writer.close()
            self._writer = None

    async def call(self, command: str, arguments: Dict[str, Any]) -> Dict[str, Any]:
        """Sends one request and answers the body of its response (``{}`` when it has none)."""
        self._seq += 1
        seq = self._seq
        self._send_frame(0x1, json.dumps({'type': 'request', 'seq': seq, 'command': command, 'arguments': arguments}).encode('utf-8'))
        assert self._writer is not None
        await self._writer.drain()
        while True:
            message = json.loads(await self._receive_text())
            if message.get('type') == 'response' and message.get('request_seq') == seq:
                if not message.get('success'):
                    raise RuntimeError(message.get('message'))
                return message.get('body') or {}

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        # A client masks every frame (RFC 6455 5.3).
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = struct.pack('!BB', 0x80 | opcode, 0x80 | length)
        elif length < 1 << 16:
            header = struct.pack('!BBH', 0x80 | opcode, 0x80 | 126, length)
        else:
            header = struct.pack('!BBQ', 0x80 | opcode, 0x80 | 127, length)
        assert self._writer is not None
        self._writer.write(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    async def _receive_text(self) -> str:
        assert self._reader is not None
        parts: List[bytes] = []
        while True:
            first, second = await self._reader.readexactly(2)
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack('!H', await self._reader.readexactly(2))
            elif length == 127:
                (length,) = struct.unpack('!Q', await self._reader.readexactly(8))
            payload = await self._reader.readexactly(length)  # a server never masks
            opcode = first & 0x0F
            if opcode == 0x9:  # ping
                self._send_frame(0xA, payload)
            elif opcode == 0x8:
                raise ConnectionError('the server closed the connection')
            elif opcode in (0x0, 0x1, 0x2):
                parts.append(payload)
                if first & 0x80:  # FIN
                    return b''.join(parts).decode('utf-8')


class _Deploy:
    """``client.deploy``: the five deploy commands (rrext_deploy_*), as the SDK's methods send them."""

    def __init__(self, client: MiniClient) -> None:
        self._client = client

    async def add(self, pipeline: Dict[str, Any], *, schedule: Optional[str] = None) -> Dict[str, Any]:
        arguments: Dict[str, Any] = {'pipeline': pipeline}
        if schedule is not None:
            arguments['schedule'] = schedule
        return await self._client.call('rrext_deploy_add', arguments)

    async def update(self, project_id: str, *, pipeline: Optional[Dict[str, Any]] = None, schedule: Optional[str] = None) -> Dict[str, Any]:
        arguments: Dict[str, Any] = {'projectId': project_id}
        if pipeline is not None:
            arguments['pipeline'] = pipeline
        if schedule is not None:
            arguments['schedule'] = schedule
        return await self._client.call('rrext_deploy_update', arguments)

    async def remove(self, project_id: str) -> None:
        await self._client.call('rrext_deploy_remove', {'projectId': project_id})

    async def status(self, project_id: str) -> Dict[str, Any]:
        return await self._client.call('rrext_deploy_status', {'projectId': project_id})

    async def list(self) -> List[Dict[str, Any]]:
        return (await self._client.call('rrext_deploy_list', {})).get('deployments', [])


def add_deployment(uri: str, key: str, project_id: str, schedule: Optional[str] = None) -> Dict[str, Any]:
    """For sync tests: connects, adds ``{project_id}`` with ``schedule``, disconnects; answers the record."""

    async def add() -> Dict[str, Any]:
        client = MiniClient(uri, key)
        await client.connect()
        try:
            return await client.deploy.add({'project_id': project_id}, schedule=schedule)
        finally:
            await client.disconnect()

    return asyncio.run(add())
