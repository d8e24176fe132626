import { lockUserRow, sumUnitsGrantedSince, type Database } from '@tollgate/db';
import { AppError, MS_PER_DAY } from '@tollgate/domain';

/**
 * What one support user may hand out in a rolling day: credit grants and fresh trial windows (each a
 * TRIAL allowance) count together, read from their audit rows (`after.units`). Called inside the
 * transaction that writes the new audit row, under a lock on the support user's row, so two grants
 * racing are counted one after the other. A bound per action would bound nothing.
 */
export async function requireSupportDailyRoom(
  tx: Database,
  input: { actorUserId: string; units: number; limit: number; at: Date },
): Promise<void> {
  await lockUserRow(tx, input.actorUserId);
  const since = new Date(input.at.getTime() - MS_PER_DAY);
  const granted = await sumUnitsGrantedSince(tx, input.actorUserId, since);
  if (granted + input.units > input.limit) {
    throw new AppError(
      'FORBIDDEN',
      `Support grants at most ${input.limit} runs a day, trial restarts included: ${Math.max(0, input.limit - granted)} left (an operator can grant more)`,
    );
  }
}
