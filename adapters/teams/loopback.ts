import { isIP } from 'node:net';

/**
 * True when `serviceUrl` is an http(s) URL whose host is on this machine's
 * loopback: 127.0.0.0/8, ::1 (also as an IPv4-mapped address) or localhost.
 * Without authentication the bot replies to whatever serviceUrl a request
 * names, so local mode accepts only these.
 */
export function isLoopbackServiceUrl(serviceUrl: unknown): boolean {
  if (typeof serviceUrl !== 'string' || serviceUrl.length > 2048) return false;
  let url: URL;
  try {
    url = new URL(serviceUrl);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.username || url.password) return false;
  let host = url.hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  if (isIP(host) === 6) {
    if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
    // IPv4-mapped loopback, e.g. ::ffff:127.0.0.1 (WHATWG URL prints it as ::ffff:7f00:1).
    const mapped = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):[0-9a-f]{1,4})$/.exec(host);
    if (mapped) return mapped[1] ? mapped[1].startsWith('127.') : parseInt(mapped[2] ?? '0', 16) >> 8 === 0x7f;
    return false;
  }
  return false;
}

/**
 * True when a socket's remote address is this machine's loopback: 127.0.0.0/8,
 * ::1, or either written as an IPv4-mapped IPv6 address (::ffff:127.0.0.1).
 */
export function isLoopbackAddress(address: unknown): boolean {
  if (typeof address !== 'string') return false;
  const a = address.toLowerCase();
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return isIP(v4) === 4 && v4.split('.')[0] === '127';
}
