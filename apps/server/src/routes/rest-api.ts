import { Router } from 'express';
import { restOperationHandler, type ContextFactory } from '../http/rest-adapter';
import { accountOperations } from './rest-accounts';
import { apiKeyOperations } from './rest-api-keys';
import { authOperations } from './rest-auth';
import { billingOperations } from './rest-billing';
import type { RestOperation } from './rest-operation';
import { usageOperations } from './rest-usage';
import { sessionOperations } from './sessions';

/** Every REST operation under /api/v1 that a tRPC procedure serves, in documentation order. */
export const restOperations: readonly RestOperation[] = [
  ...authOperations,
  ...accountOperations,
  ...billingOperations,
  ...usageOperations,
  ...sessionOperations,
  ...apiKeyOperations,
];

/** Mounts each operation on its method and path. */
export function restApiRoutes(createContext: ContextFactory, operations = restOperations): Router {
  const router = Router();
  for (const operation of operations) {
    router[operation.method](operation.path, restOperationHandler(createContext, operation));
  }
  return router;
}
