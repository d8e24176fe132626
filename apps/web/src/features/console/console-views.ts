// The console's one entry point: the router loads this module lazily, so the layout, every view and
// echarts become one chunk of their own and the end-user app's entry names a single file for them
// (one preload list instead of a dozen, which the billing screens' budget has no room for).
export { default as ConsoleLayout } from './components/console-layout.vue';
export { default as ConsoleAuditView } from './views/console-audit-view.vue';
export { default as ConsoleCustomerView } from './views/console-customer-view.vue';
export { default as ConsoleCustomersView } from './views/console-customers-view.vue';
export { default as ConsoleDashboardView } from './views/console-dashboard-view.vue';
