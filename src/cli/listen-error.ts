/**
 * Why `serve` could not listen, in words a user can act on: the address and port it tried and
 * what to change. Node's own texts (`listen EADDRNOTAVAIL: address not available …`) name the
 * system call, not the flag to fix.
 */
export function describeListenError(
  error: NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string },
): string | undefined {
  if (error.syscall !== 'listen' && error.syscall !== 'getaddrinfo') return undefined; // only a failure to listen
  const where = error.address === undefined ? '' : `${error.address}${error.port === undefined ? '' : `:${error.port}`}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return `Port already in use (${where}); pick another with --port`;
    case 'EADDRNOTAVAIL':
      return (
        `Cannot listen on ${where}: ${error.address} is not an address of this machine (EADDRNOTAVAIL); ` +
        `give --host 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of its interfaces' addresses`
      );
    case 'EACCES':
      return `Cannot listen on ${where}: permission denied (EACCES); ports below 1024 need privileges, pick another with --port`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return error.syscall === 'getaddrinfo'
        ? `Cannot listen on --host ${error.hostname}: the name does not resolve (${error.code}); give an IP address or a name this machine resolves, such as localhost`
        : undefined;
    default:
      return undefined;
  }
}
