import type { Response } from 'express';
import type { EmulatorContext } from './context';
import { expandObject } from './expand';
import { expandParam } from './form-parsing';
import type { Params } from './form-parsing';

/** Sends a Stripe object (or list) as the SDK expects it, applying the request's expand[]. */
export function respond(ctx: EmulatorContext, res: Response, object: unknown, params: Params): void {
  res.json(expandObject(ctx, object, expandParam(params)));
}
