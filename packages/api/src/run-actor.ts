import type { RunActor } from '@tollgate/db';
import type { Actor } from './actor';

/** Who reserves, starts or releases a run, as the ledger records it. */
export function runActorOf(actor: Actor): RunActor {
  return actor.kind === 'user' ? { kind: 'user', id: actor.userId } : { kind: 'service', id: actor.apiKeyId };
}
