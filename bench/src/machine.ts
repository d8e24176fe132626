import { cpus, loadavg, totalmem } from 'node:os';
import { queryRows, type Database } from '@tollgate/db';
import { sql } from 'drizzle-orm';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  node: string;
  postgres: string;
  loadAverage: string;
}

/** Where the figures came from: they mean little without the machine (and how busy it was). */
export async function describeMachine(db: Database): Promise<MachineInfo> {
  const [row] = await queryRows<{ version: string }>(db, sql`select version() as version`);
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: row?.version.split(' on ')[0] ?? 'unknown',
    loadAverage: currentLoad(),
  };
}

export function currentLoad(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
}
