/**
 * A playground client that behaves like one browser: it keeps the identity
 * cookie the server sets and sends it back, so its turns continue one dialog.
 *
 *   const ana = playgroundBrowser(srv.url);
 *   const { status, replies } = await ana.turn({ conversation: 'c', action: { type: 'start' } });
 */
import type { Reply } from '../../src/types.js';
import { IDENTITY_COOKIE } from '../../adapters/web/identity.js';

export interface PlaygroundTurn {
  status: number;
  replies: Reply[];
  body: Record<string, unknown>;
  headers: Headers;
}

export interface PlaygroundBrowser {
  /** The identity cookie as sent back (`vmk_playground=...`), once the server has set one. */
  cookie: string | null;
  turn(body: Record<string, unknown>, headers?: Record<string, string>): Promise<PlaygroundTurn>;
}

/** The `name=value` pair of the identity cookie in a response, if it sets one. */
export function identityCookieOf(headers: Headers): string | null {
  for (const line of headers.getSetCookie()) {
    const pair = line.split(';')[0] ?? '';
    if (pair.startsWith(`${IDENTITY_COOKIE}=`)) return pair;
  }
  return null;
}

export function playgroundBrowser(base: string, cookie: string | null = null): PlaygroundBrowser {
  const browser: PlaygroundBrowser = {
    cookie,
    async turn(body, headers = {}) {
      const res = await fetch(`${base}/api/playground/turn`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(browser.cookie ? { cookie: browser.cookie } : {}), ...headers },
        body: JSON.stringify(body),
      });
      browser.cookie = identityCookieOf(res.headers) ?? browser.cookie;
      const text = await res.text();
      const json = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      return { status: res.status, replies: (json.replies as Reply[] | undefined) ?? [], body: json, headers: res.headers };
    },
  };
  return browser;
}

/** The identity (the turn's user id) a cookie pair carries. */
export function identityOf(cookie: string | null): string {
  const id = cookie?.split('=')[1]?.split('.')[1];
  if (!id) throw new Error(`no identity in cookie ${String(cookie)}`);
  return id;
}
