import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../http/free-port';
import { makeSelfSignedCertificate } from '../tls/self-signed-certificate';
import { writeAcmeChallenge, writeFakeWebRoot } from './fake-web-root';
import { prepareLocalNginx, type LocalNginx } from './local-nginx-prefix';
import { checkNginxConfig, startNginx, type NginxCheck, type RunningNginx } from './nginx-process';

export const TEST_DOMAIN = 'tollgate.test';

export interface LocalEdgeFiles extends LocalNginx {
  prefix: string;
  httpPort: number;
  httpsPort: number;
  domain: string;
  /** The self-signed certificate's PEM: trust it in https requests. */
  ca: string;
  check(): NginxCheck;
  remove(): void;
}

/**
 * Everything nginx needs in a fresh temp dir: a throwaway certificate, a fake web build, an ACME
 * challenge file, and the shipped config laid out for two free high ports.
 */
export async function prepareLocalEdge(
  repoRoot: string,
  upstream: string | readonly string[],
): Promise<LocalEdgeFiles> {
  const prefix = mkdtempSync(join(tmpdir(), 'tollgate-nginx-'));
  const certDir = join(prefix, 'certs');
  const webRoot = join(prefix, 'html');
  const acmeRoot = join(prefix, 'acme');
  mkdirSync(certDir);
  const certificate = makeSelfSignedCertificate(certDir, TEST_DOMAIN);
  writeFakeWebRoot(webRoot);
  writeAcmeChallenge(acmeRoot);
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const nginx = prepareLocalNginx({
    repoRoot,
    prefix,
    domain: TEST_DOMAIN,
    upstreams: typeof upstream === 'string' ? [upstream] : upstream,
    httpPort,
    httpsPort,
    certificateFile: certificate.certificateFile,
    keyFile: certificate.keyFile,
    webRoot,
    acmeRoot,
  });
  return {
    ...nginx,
    prefix,
    httpPort,
    httpsPort,
    domain: TEST_DOMAIN,
    ca: certificate.pem,
    check: () => checkNginxConfig(prefix, nginx.configFile, nginx.errorLog),
    remove: () => rmSync(prefix, { recursive: true, force: true }),
  };
}

export interface LocalEdge extends LocalEdgeFiles {
  stop(): Promise<void>;
}

/**
 * Prepares and starts nginx; stop() ends it and deletes the temp dir. `upstream`: host:port of the API
 * server, or of each replica (nginx's upstream balances over them).
 */
export async function startLocalEdge(
  repoRoot: string,
  upstream: string | readonly string[],
): Promise<LocalEdge> {
  const files = await prepareLocalEdge(repoRoot, upstream);
  let running: RunningNginx;
  try {
    running = await startNginx(files.prefix, files.configFile, files.errorLog, files.httpsPort);
  } catch (error) {
    files.remove();
    throw error;
  }
  return {
    ...files,
    async stop() {
      await running.stop();
      files.remove();
    },
  };
}
