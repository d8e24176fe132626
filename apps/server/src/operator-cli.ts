import { findRoleGrantee } from '@tollgate/api';
import { AppError } from '@tollgate/domain';
import {
  appendAudit,
  findUserByEmail,
  findUserById,
  grantPlatformRole,
  listPlatformOperators,
  revokePlatformRole,
  type Database,
  type UserRow,
} from '@tollgate/db';
import { withCliDatabase } from './cli-database';

/**
 * `pnpm --filter @tollgate/server operator grant|revoke <email|userId>` and `… operator list` (or
 * `npm run operator -- …` at the repo root): manages platform operators directly in the database the
 * server uses (DATABASE_URL, or the embedded PGlite folder). An embedded folder that a running server
 * holds is refused: stop the server first, or use the operators.* procedures as an operator.
 */
const USAGE = [
  'Usage: npm run operator -- <command>',
  '  grant <email|userId>    make this user a platform operator',
  '  revoke <email|userId>   take the role and their platform API keys away (never the last operator)',
  '  list                    show the operators',
].join('\n');

type Print = (line: string) => void;
type Command = { kind: 'list' } | { kind: 'grant' | 'revoke'; target: string };

function parseCommand(args: readonly string[]): Command | null {
  const [kind, target] = args;
  if (kind === 'list' && args.length === 1) return { kind };
  if ((kind === 'grant' || kind === 'revoke') && target && args.length === 2) return { kind, target };
  return null;
}

const NO_SUCH_USER = (target: string) =>
  `No user ${target}. Built-in accounts exist once registered; a host platform's users after their first request.`;

/**
 * The user a command names, or why not. A grant follows `operators.grant`'s rule (an email counts once
 * verified: anyone may register any address); a revoke takes away power, so any match will do.
 */
async function findTarget(db: Database, target: string, kind: 'grant' | 'revoke'): Promise<UserRow | string> {
  const isEmail = target.includes('@');
  if (kind === 'revoke') {
    const user = isEmail ? await findUserByEmail(db, target) : await findUserById(db, target);
    return user ?? NO_SUCH_USER(target);
  }
  try {
    return await findRoleGrantee(db, isEmail ? { email: target } : { userId: target });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return error.code === 'NOT_FOUND' ? NO_SUCH_USER(target) : `${target}: ${error.message}.`;
  }
}

/** Runs one command against an open database; answers the process exit code. */
async function runCommand(db: Database, command: Command, print: { out: Print; error: Print }) {
  if (command.kind === 'list') {
    const operators = await listPlatformOperators(db);
    if (operators.length === 0) print.out('No platform operators yet.');
    for (const operator of operators) {
      print.out(
        [
          operator.userId,
          operator.email ?? '(no email)',
          `granted ${operator.grantedAt?.toISOString() ?? '?'} by ${operator.grantedBy ?? '?'}`,
        ].join('  '),
      );
    }
    return 0;
  }
  const user = await findTarget(db, command.target, command.kind);
  if (typeof user === 'string') {
    print.error(user);
    return 1;
  }
  const label = user.email ? `${user.email} (${user.id})` : user.id;
  const at = new Date();
  // Who ran it isn't known here (a shell on the server): the audit row names the CLI as the actor.
  const audit = (action: string, before: unknown, after: unknown) => ({
    actorUserId: 'cli',
    actorRole: 'cli',
    action,
    accountId: null,
    before,
    after,
    reason: '',
    requestId: null,
    at,
  });
  if (command.kind === 'grant') {
    await db.transaction(async (tx) => {
      const holder = await grantPlatformRole(tx, { userId: user.id, grantedBy: 'cli', now: at });
      const after = { userId: user.id, role: holder?.role ?? null };
      await appendAudit(
        tx,
        audit('grant_platform_role', { userId: user.id, role: user.platformRole }, after),
      );
    });
    print.out(`${label} is a platform operator.`);
    return 0;
  }
  // The same revocation as operators.revoke: the platform keys the user made go with the role.
  const outcome = await db.transaction(async (tx) => {
    const revoked = await revokePlatformRole(tx, user.id, at);
    if (revoked.kind === 'revoked') {
      const { role, revokedApiKeyIds } = revoked;
      await appendAudit(
        tx,
        audit(
          'revoke_platform_role',
          { userId: user.id, role },
          { userId: user.id, role: null, revokedApiKeyIds },
        ),
      );
    }
    return revoked;
  });
  if (outcome.kind === 'not_operator') {
    print.error(`${label} is not a platform operator.`);
    return 1;
  }
  if (outcome.kind === 'last_operator') {
    print.error(`${label} is the last platform operator: grant the role to someone else first.`);
    return 1;
  }
  const keys = outcome.revokedApiKeyIds;
  if (keys.length > 0) print.out(`Revoked the platform API keys they made: ${keys.join(', ')}.`);
  print.out(`${label} is no longer a platform operator.`);
  return 0;
}

async function main(args: readonly string[]): Promise<number> {
  const print = { out: (line: string) => console.log(line), error: (line: string) => console.error(line) };
  if (args[0] === '--help' || args[0] === '-h') {
    print.out(USAGE);
    return 0;
  }
  const command = parseCommand(args);
  if (!command) {
    print.error(USAGE);
    return 2;
  }
  return withCliDatabase(print.error, (db) => runCommand(db, command, print));
}

process.exitCode = await main(process.argv.slice(2));
