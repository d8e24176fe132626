// Deployment tooling shared by the Dockerfiles and the deploy tests.
export { bundleServer, RUNTIME_EXTERNALS, type BundleServerOptions } from './bundle-server';
export {
  prepareLocalEdge,
  startLocalEdge,
  TEST_DOMAIN,
  type LocalEdge,
  type LocalEdgeFiles,
} from './nginx/local-edge';
export { renderTemplate, templateVariables } from './nginx/render-template';
export { checkNginxConfig, startNginx, type NginxCheck, type RunningNginx } from './nginx/nginx-process';
