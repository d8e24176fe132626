import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Certificate {
  certificateFile: string;
  keyFile: string;
  /** PEM of the certificate, to trust it as its own CA in a client. */
  pem: string;
}

/** A throwaway self-signed certificate for `domain` (P-256, valid two days), made with openssl. */
export function makeSelfSignedCertificate(dir: string, domain: string): Certificate {
  const certificateFile = join(dir, 'fullchain.pem');
  const keyFile = join(dir, 'privkey.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${domain}`,
      '-addext',
      `subjectAltName=DNS:${domain}`,
      '-keyout',
      keyFile,
      '-out',
      certificateFile,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { certificateFile, keyFile, pem: readFileSync(certificateFile, 'utf8') };
}
