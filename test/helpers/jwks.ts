/**
 * A local OpenID issuer for Bot Framework auth tests: an RS256 key pair, a
 * `/.well-known/openid-configuration` and a JWKS served on 127.0.0.1, and a
 * function that signs channel tokens (`iss`, `aud`, `serviceurl`, ...).
 * Point the Teams adapter's parameterized auth configuration at it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';

export const TEST_ISSUER = 'https://api.botframework.test';

export interface LocalJwks {
  /** http://127.0.0.1:<port>/.well-known/openid-configuration */
  openIdMetadataUrl: string;
  issuer: string;
  /** Signs a token with the served key (or with `otherKey: true`, an unserved one). */
  sign(claims: JWTPayload & { serviceurl?: string }, opts?: { expiresIn?: string; otherKey?: boolean; issuer?: string }): Promise<string>;
  /** The parameterized auth keys mountTeams takes as `authOverrides`. */
  authOverrides(): Record<string, string>;
  /** How many times the metadata and the keys were fetched. */
  fetches: { metadata: number; keys: number };
  close(): Promise<void>;
}

export async function startLocalJwks(): Promise<LocalJwks> {
  const kid = 'vmk-test-key';
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256', endorsements: ['msteams', 'emulator'] };
  const fetches = { metadata: 0, keys: 0 };
  let base = '';

  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      fetches.metadata++;
      res.end(JSON.stringify({ issuer: TEST_ISSUER, jwks_uri: `${base}/keys`, id_token_signing_alg_values_supported: ['RS256'] }));
    } else if (req.url === '/keys') {
      fetches.keys++;
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const openIdMetadataUrl = `${base}/.well-known/openid-configuration`;

  return {
    openIdMetadataUrl,
    issuer: TEST_ISSUER,
    fetches,
    async sign(claims, opts = {}) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(opts.issuer ?? TEST_ISSUER)
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime(opts.expiresIn ?? '10m')
        .sign(opts.otherKey ? other.privateKey : privateKey);
    },
    authOverrides() {
      return {
        ToBotFromChannelOpenIdMetadataUrl: openIdMetadataUrl,
        ToBotFromChannelTokenIssuer: TEST_ISSUER,
        ToBotFromEmulatorOpenIdMetadataUrl: openIdMetadataUrl,
        ToChannelFromBotLoginUrl: `${base}/login`,
        ToChannelFromBotOAuthScope: 'https://api.botframework.test',
        OAuthUrl: `${base}/oauth`,
        ValidateAuthority: 'false',
      };
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
