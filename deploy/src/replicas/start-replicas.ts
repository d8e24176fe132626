import { freePort } from '../http/free-port';
import { startServerProcess, type ServerProcess } from '../server-process';

export interface Replica extends ServerProcess {
  /** host:port, as nginx's upstream names it. */
  address: string;
}

/**
 * `count` bundled server processes from one bundle directory, on one database (`env.DATABASE_URL`),
 * each on its own free port: what `deploy.replicas` runs in docker-compose.prod.yml. Started one after
 * the other, each healthy before the next: the first applies the migrations, as the first container
 * of a fresh deployment does. If one fails to start, those already running are stopped.
 */
export async function startReplicas(
  dir: string,
  env: Record<string, string>,
  count: number,
): Promise<Replica[]> {
  const replicas: Replica[] = [];
  try {
    for (let index = 0; index < count; index += 1) {
      const port = await freePort();
      const process = await startServerProcess(dir, { ...env, PORT: String(port) }, port);
      replicas.push({ ...process, address: `127.0.0.1:${port}` });
    }
    return replicas;
  } catch (error) {
    await Promise.all(replicas.map((replica) => replica.stop()));
    throw error;
  }
}
