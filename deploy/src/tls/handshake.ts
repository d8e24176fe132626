import { connect, type SecureVersion } from 'node:tls';

export interface HandshakeOptions {
  port: number;
  servername: string;
  ca: string;
  maxVersion?: SecureVersion;
}

export interface Handshake {
  protocol: string | null;
  alpnProtocol: string | false;
}

/** A TLS handshake offering h2 and http/1.1; rejects when the server refuses it or the cert fails. */
export function handshake({ port, servername, ca, maxVersion }: HandshakeOptions): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername,
      ca,
      ALPNProtocols: ['h2', 'http/1.1'],
      ...(maxVersion ? { maxVersion } : {}),
    });
    socket.once('secureConnect', () => {
      const result = { protocol: socket.getProtocol(), alpnProtocol: socket.alpnProtocol ?? false };
      socket.destroy();
      resolve(result);
    });
    socket.once('error', reject);
  });
}
