import { timestamp } from 'drizzle-orm/pg-core';

// Every instant is stored with its time zone and read back as a JS Date, so no code path ever has to
// guess which zone a naive timestamp was written in.
export function timestamptz(name: string) {
  return timestamp(name, { withTimezone: true, mode: 'date' });
}
