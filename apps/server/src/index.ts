export { startServer, type RunningServer, type StartOptions } from './server';
export { parseEnv, type Env } from './env';
