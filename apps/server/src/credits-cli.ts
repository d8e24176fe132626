import { findRoleGrantee, recordOperatorGrant } from '@tollgate/api';
import { AppError } from '@tollgate/domain';
import {
  findAccount,
  findUserByEmail,
  isUuid,
  listCreditGrants,
  personalAccountId,
  type Database,
} from '@tollgate/db';
import { withCliDatabase } from './cli-database';

/**
 * `npm run credits -- grant <email|accountId> <units> --reason "<why>" [--expires YYYY-MM-DD|never]
 * [--priority N]` and `npm run credits -- list <email|accountId>`: an operator's grant of runs, straight
 * into the database the server uses, with its audit row like the console's `admin.grantCredits`. A
 * grant takes effect on the account's next authorization. An email names that user's personal account;
 * a grant needs it verified (anyone may register any address), as `npm run operator -- grant` does.
 */
const USAGE = [
  'Usage: npm run credits -- <command>',
  '  grant <email|accountId> <units> --reason "<why>" [--expires YYYY-MM-DD|never] [--priority N]',
  '        grant runs (default: expire in 12 months; priority 100 = with packs, smaller = spent first)',
  '  list <email|accountId>   show the account’s grants and packs',
].join('\n');

const DEFAULT_PRIORITY = 100;
const MAX_GRANT_UNITS = 10_000_000;

type Print = (line: string) => void;
type Command =
  | { kind: 'list'; target: string }
  | {
      kind: 'grant';
      target: string;
      units: number;
      reason: string;
      expiresAt: Date | null;
      priority: number;
    };

/** Decimal digits only: Number() would also read "0x10", "1e3" and " 12 " as counts. */
function wholeNumber(text: string | undefined): number | null {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return null;
  return Number(text);
}

/** Midnight UTC of a YYYY-MM-DD day that exists: Date rolls 2026-02-30 over to March 2. */
function calendarDate(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text ? date : undefined;
}

/** Parses the arguments; a string is the problem to show. */
export function parseCreditsCommand(args: readonly string[], now: Date): Command | string {
  const [kind, target, ...rest] = args;
  if (kind === 'list' && target && rest.length === 0) return { kind, target };
  if (kind !== 'grant' || !target) return USAGE;
  const [unitsText, ...flags] = rest;
  const units = wholeNumber(unitsText);
  if (units === null || units < 1 || units > MAX_GRANT_UNITS) {
    return `units must be a whole number from 1 to ${MAX_GRANT_UNITS}`;
  }
  const options = new Map<string, string>();
  for (let i = 0; i < flags.length; i += 2) {
    const flag = flags[i];
    const value = flags[i + 1];
    if (!flag?.startsWith('--') || value === undefined) return USAGE;
    options.set(flag.slice(2), value);
  }
  const reason = options.get('reason')?.trim() ?? '';
  if (!reason) return 'a --reason is required (it is recorded with the grant)';
  const expires = options.get('expires');
  const expiresAt =
    expires === 'never'
      ? null
      : expires === undefined
        ? new Date(Date.UTC(now.getUTCFullYear() + 1, now.getUTCMonth(), now.getUTCDate()))
        : calendarDate(expires);
  if (expiresAt === undefined || (expiresAt && expiresAt <= now)) {
    return '--expires must be a future date (YYYY-MM-DD, UTC) or "never"';
  }
  const priority = wholeNumber(options.get('priority') ?? String(DEFAULT_PRIORITY));
  if (priority === null || priority > 1000) return '--priority must be 0 to 1000';
  return { kind, target, units, reason, expiresAt, priority };
}

/**
 * The account a command names, or why it can't be used (a string). A grant to an email needs it
 * verified; a listing reads only, so any match will do.
 */
async function resolveAccount(db: Database, command: Command): Promise<{ accountId: string } | string> {
  const { target } = command;
  const missing = `No account ${target} (an email names its user's personal account).`;
  let accountId: string | null = isUuid(target) ? target : null;
  if (target.includes('@')) {
    try {
      const user =
        command.kind === 'grant'
          ? await findRoleGrantee(db, { email: target })
          : await findUserByEmail(db, target);
      accountId = user ? personalAccountId(user.id) : null;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return error.code === 'NOT_FOUND' ? missing : `${target}: ${error.message}.`;
    }
  }
  const account = accountId === null ? null : await findAccount(db, accountId);
  return account ? { accountId: account.id } : missing;
}

async function runCommand(db: Database, command: Command, print: { out: Print; error: Print }, now: Date) {
  const resolved = await resolveAccount(db, command);
  if (typeof resolved === 'string') {
    print.error(resolved);
    return 1;
  }
  const { accountId } = resolved;
  if (command.kind === 'grant') {
    const { grant } = await recordOperatorGrant(
      db,
      {
        accountId,
        units: command.units,
        startsAt: now,
        expiresAt: command.expiresAt,
        priority: command.priority,
        grantedBy: 'cli',
        grantedAs: { role: 'cli', requestId: null },
        reason: command.reason,
      },
      () => new Date(),
    );
    const expiry = grant.expiresAt ? `expires ${grant.expiresAt.toISOString()}` : 'never expires';
    print.out(`Granted ${grant.units} runs to account ${accountId} (grant ${grant.id}, ${expiry}).`);
    return 0;
  }
  const grants = await listCreditGrants(db, accountId);
  if (grants.length === 0) print.out('No packs or grants.');
  for (const grant of grants) {
    print.out(
      [
        grant.id,
        grant.source === 'pack' ? `pack ${grant.packId ?? '?'}` : `grant by ${grant.grantedBy ?? '?'}`,
        `${grant.remaining}/${grant.units} left`,
        grant.expiresAt ? `expires ${grant.expiresAt.toISOString()}` : 'never expires',
        grant.expiredUnits > 0 ? `${grant.expiredUnits} expired` : '',
        grant.clawedBackUnits > 0 ? `${grant.clawedBackUnits} clawed back` : '',
        grant.reason ? `reason: ${grant.reason}` : '',
      ]
        .filter(Boolean)
        .join('  '),
    );
  }
  return 0;
}

async function main(args: readonly string[]): Promise<number> {
  const print = { out: (line: string) => console.log(line), error: (line: string) => console.error(line) };
  if (args[0] === '--help' || args[0] === '-h') {
    print.out(USAGE);
    return 0;
  }
  const now = new Date();
  const command = parseCreditsCommand(args, now);
  if (typeof command === 'string') {
    print.error(command);
    return 2;
  }
  return withCliDatabase(print.error, (db) => runCommand(db, command, print, now));
}

if (process.argv[1]?.endsWith('credits-cli.ts')) process.exitCode = await main(process.argv.slice(2));
