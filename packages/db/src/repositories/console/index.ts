// The operator console's reads: customer search and an account's timeline (and the revoke of a grant).
export * from './account-timeline';
export * from './credit-revoke';
export * from './customer-detail';
export * from './customer-search';
