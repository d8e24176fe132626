import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FAKE_INDEX_MARKER = 'tollgate-fake-web-root';
export const FAKE_ASSET_PATH = '/assets/index-3f2a9c1b.js';
export const ACME_TOKEN = 'acme-token-7b1f';
export const ACME_TOKEN_BODY = 'acme-token-7b1f.key-authorization';

/**
 * A stand-in for apps/web/dist: the tests check how nginx serves a Vite build (index.html, hashed
 * bundles under /assets/, client-side routes), not the web app itself, so a fixed tiny tree keeps
 * them independent of whether and how the web app was built.
 */
export function writeFakeWebRoot(webRoot: string): void {
  mkdirSync(join(webRoot, 'assets'), { recursive: true });
  writeFileSync(
    join(webRoot, 'index.html'),
    `<!doctype html><html><head><script type="module" src="${FAKE_ASSET_PATH}"></script></head>` +
      `<body><div id="app" data-marker="${FAKE_INDEX_MARKER}"></div></body></html>\n`,
  );
  // Over gzip_min_length, so compression is observable.
  writeFileSync(join(webRoot, FAKE_ASSET_PATH), `console.log(${JSON.stringify('x'.repeat(4000))});\n`);
}

/** What certbot's webroot plugin leaves for the ACME server to fetch over plain HTTP. */
export function writeAcmeChallenge(acmeRoot: string): void {
  const dir = join(acmeRoot, '.well-known/acme-challenge');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, ACME_TOKEN), ACME_TOKEN_BODY);
}
