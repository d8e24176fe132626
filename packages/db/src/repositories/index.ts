export * from './agent-runs';
export * from './agent-sessions';
export * from './api-keys';
export * from './refresh-tokens';
export * from './stripe-events';
export * from './subscriptions';
export * from './usage';
export * from './users';
