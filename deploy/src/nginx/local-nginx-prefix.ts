import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { renderTemplate } from './render-template';

/** Where the shipped config lives in the repository. */
export function nginxSourceDir(repoRoot: string): string {
  return join(repoRoot, 'nginx');
}

export interface LocalNginxOptions {
  repoRoot: string;
  /** An empty directory: nginx's prefix (-p), holding config, logs, pid, scratch and certs. */
  prefix: string;
  domain: string;
  /** host:port of each API server replica (one or more). */
  upstreams: readonly string[];
  httpPort: number;
  httpsPort: number;
  certificateFile: string;
  keyFile: string;
  webRoot: string;
  acmeRoot: string;
}

export interface LocalNginx {
  configFile: string;
  errorLog: string;
  accessLog: string;
}

// Debian's nginx package ships the same mime.types the official image has in /etc/nginx.
const SYSTEM_MIME_TYPES = '/etc/nginx/mime.types';

/**
 * Lays out the shipped nginx config under `prefix` so it runs unprivileged on high ports, changing
 * only what differs between the container and a test machine: the template's TOLLGATE_* values,
 * listen addresses, and absolute paths (certificates, web root, ACME webroot, logs, pid, scratch).
 * Every substitution must match, so a change to the shipped config that the test would silently no
 * longer cover fails here instead.
 */
export function prepareLocalNginx(options: LocalNginxOptions): LocalNginx {
  const { repoRoot, prefix, domain } = options;
  const source = nginxSourceDir(repoRoot);
  const confDir = join(prefix, 'conf');
  const logsDir = join(prefix, 'logs');
  mkdirSync(join(confDir, 'conf.d'), { recursive: true });
  mkdirSync(logsDir, { recursive: true });
  mkdirSync(join(prefix, 'cache'), { recursive: true });

  if (!existsSync(SYSTEM_MIME_TYPES)) {
    throw new Error(
      `${SYSTEM_MIME_TYPES} is missing: run npm test as root (it installs nginx) or deploy/install-nginx.sh`,
    );
  }
  cpSync(SYSTEM_MIME_TYPES, join(confDir, 'mime.types'));
  cpSync(join(source, 'tollgate'), join(confDir, 'tollgate'), { recursive: true });

  const errorLog = join(logsDir, 'error.log');
  const accessLog = join(logsDir, 'access.log');
  let main = readFileSync(join(source, 'nginx.conf'), 'utf8');
  // Workers run as the test's own user (the image has an `nginx` user; a test machine may not).
  main = substitute(main, 'user nginx;', `user ${userInfo().username};`, 1);
  main = substitute(main, '/var/run/nginx.pid', join(prefix, 'nginx.pid'), 1);
  main = substitute(main, '/var/log/nginx/error.log', errorLog, 1);
  main = substitute(main, '/var/log/nginx/access.log', accessLog, 1);
  main = substitute(main, '/var/cache/nginx/', `${join(prefix, 'cache')}/`, 5);
  const configFile = join(confDir, 'nginx.conf');
  writeFileSync(configFile, main);

  let site = renderTemplate(readFileSync(join(source, 'templates/tollgate.conf.template'), 'utf8'), {
    TOLLGATE_DOMAIN: domain,
    TOLLGATE_UPSTREAM: UPSTREAM_PLACEHOLDER,
    TOLLGATE_RESOLVER: '127.0.0.1',
  });
  site = substitute(site, `server ${UPSTREAM_PLACEHOLDER} resolve;`, upstreamServers(options.upstreams), 1);
  site = substitute(site, /listen 80\b/g, `listen 127.0.0.1:${options.httpPort}`, 2);
  site = substitute(site, /listen 443\b/g, `listen 127.0.0.1:${options.httpsPort}`, 2);
  site = substitute(site, `/etc/letsencrypt/live/${domain}/fullchain.pem`, options.certificateFile, 1);
  site = substitute(site, `/etc/letsencrypt/live/${domain}/privkey.pem`, options.keyFile, 1);
  site = substitute(site, '/var/www/certbot', options.acmeRoot, 1);
  site = substitute(site, '/usr/share/nginx/html', options.webRoot, 1);
  writeFileSync(join(confDir, 'conf.d/tollgate.conf'), site);

  return { configFile, errorLog, accessLog };
}

// In the container, TOLLGATE_UPSTREAM is one name that Docker's DNS answers with every replica's
// address, re-resolved by `resolve` (nginx ≥ 1.27.3). Here there is no such name and Debian's nginx
// 1.22 has no `resolve`: the name's line becomes one `server` line per replica, which is what nginx
// makes of a name with several addresses. Everything else in the upstream block is the shipped one.
const UPSTREAM_PLACEHOLDER = 'tollgate-replicas.invalid:3000';

function upstreamServers(upstreams: readonly string[]): string {
  if (upstreams.length === 0) throw new Error('at least one upstream server is needed');
  return upstreams.map((address) => `server ${address};`).join('\n    ');
}

function substitute(text: string, from: string | RegExp, to: string, expectedCount: number): string {
  const pattern = typeof from === 'string' ? new RegExp(escapeRegExp(from), 'g') : from;
  const count = text.match(pattern)?.length ?? 0;
  if (count !== expectedCount) {
    throw new Error(`shipped nginx config: expected ${expectedCount} × ${String(from)}, found ${count}`);
  }
  return text.replace(pattern, () => to);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
