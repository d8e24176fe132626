export { createServerMetrics, type ServerMetrics } from './server-metrics';
export { startMetricsListener, type MetricsListener } from './metrics-listener';
