import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_ACTIONS,
  ACCOUNT_KINDS,
  ACCOUNT_ROLES,
  accountKindSchema,
  accountRoleSchema,
  can,
  canManageMember,
  type AccountAction,
  type AccountRole,
} from '../src/index';

// The design's §4.2 table, written out cell by cell: a change of a permission is a change of this test.
const TABLE: Record<AccountAction, [owner: boolean, admin: boolean, member: boolean]> = {
  run_agents: [true, true, true],
  view_billing: [true, true, true],
  manage_billing: [true, true, false],
  manage_members: [true, true, false],
  manage_roles: [true, false, false],
  manage_api_keys: [true, true, false],
  leave: [true, true, true],
};

const cells = ACCOUNT_ACTIONS.flatMap((action) =>
  ACCOUNT_ROLES.map((role, column) => [role, action, TABLE[action][column]] as const),
);

describe('can(role, action): every cell of the permission table', () => {
  it('covers 3 roles x 7 actions', () => {
    expect(ACCOUNT_ROLES).toEqual(['owner', 'admin', 'member']);
    expect(ACCOUNT_ACTIONS).toEqual([
      'run_agents',
      'view_billing',
      'manage_billing',
      'manage_members',
      'manage_roles',
      'manage_api_keys',
      'leave',
    ]);
    expect(cells).toHaveLength(21);
  });

  it.each(cells)('%s may %s: %s', (role, action, expected) => {
    expect(can(role, action)).toBe(expected);
  });
});

describe('canManageMember(actor, target): owner anyone, admin members only, member nobody', () => {
  const EXPECTED: Record<AccountRole, Record<AccountRole, boolean>> = {
    owner: { owner: true, admin: true, member: true },
    admin: { owner: false, admin: false, member: true },
    member: { owner: false, admin: false, member: false },
  };
  const pairs = ACCOUNT_ROLES.flatMap((actor) =>
    ACCOUNT_ROLES.map((target) => [actor, target, EXPECTED[actor][target]] as const),
  );

  it('covers all 9 pairs', () => {
    expect(pairs).toHaveLength(9);
  });

  it.each(pairs)('%s on %s: %s', (actor, target, expected) => {
    expect(canManageMember(actor, target)).toBe(expected);
  });
});

describe('role and kind schemas', () => {
  it.each(ACCOUNT_ROLES)('accepts role %s', (role) => {
    expect(accountRoleSchema.parse(role)).toBe(role);
  });

  it.each(['Owner', 'operator', '', null, 1])('rejects role %j', (value) => {
    expect(accountRoleSchema.safeParse(value).success).toBe(false);
  });

  it.each(ACCOUNT_KINDS)('accepts kind %s', (kind) => {
    expect(accountKindSchema.parse(kind)).toBe(kind);
  });

  it.each(['Team', 'org', '', null])('rejects kind %j', (value) => {
    expect(accountKindSchema.safeParse(value).success).toBe(false);
  });

  it('has exactly the two kinds', () => {
    expect(ACCOUNT_KINDS).toEqual(['personal', 'team']);
  });
});
