import { describe, expect, it } from 'vitest';
import { toCsv } from './csv';
import { auditCsvRows, auditFiltersFromQuery, auditFiltersToQuery, toAuditQuery } from './audit-log';

const ACCOUNT = '00000000-0000-4000-8000-000000000001';

describe('audit log', () => {
  it('keeps its filters in the URL', () => {
    const filters = auditFiltersFromQuery({ account: ACCOUNT, action: 'grant_credits' });
    expect(filters).toEqual({ accountId: ACCOUNT, actorUserId: '', action: 'grant_credits' });
    expect(auditFiltersToQuery(filters)).toEqual({ account: ACCOUNT, action: 'grant_credits' });
  });

  it('asks for the next page with the last row shown as the cursor', () => {
    const filters = { accountId: ` ${ACCOUNT} `, actorUserId: '', action: '' };
    expect(toAuditQuery(filters, null)).toEqual({ accountId: ACCOUNT, limit: 50 });
    expect(toAuditQuery(filters, 812)).toEqual({ accountId: ACCOUNT, limit: 50, beforeId: 812 });
  });

  it('exports the rows as CSV, before/after as JSON and a formula-looking reason defused', () => {
    const csv = toCsv(
      auditCsvRows([
        {
          id: 7,
          at: '2026-03-10T12:00:00.000Z',
          actorUserId: 'u1',
          actorRole: 'support',
          action: 'grant_credits',
          accountId: ACCOUNT,
          before: null,
          after: { units: 50 },
          reason: '=goodwill, outage',
          requestId: null,
        },
      ]),
    );
    expect(csv.split('\r\n')[1]).toBe(
      `7,2026-03-10T12:00:00.000Z,u1,support,grant_credits,${ACCOUNT},"'=goodwill, outage",,"{""units"":50}",`,
    );
  });
});
