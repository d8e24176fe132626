import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareLocalEdge, type LocalEdgeFiles } from '../src/nginx/local-edge';
import { renderTemplate, templateVariables } from '../src/nginx/render-template';
import { REPO_ROOT } from '../src/repo-root';

const TEMPLATE = readFileSync(join(REPO_ROOT, 'nginx/templates/tollgate.conf.template'), 'utf8');

describe('the shipped nginx config', () => {
  let edge: LocalEdgeFiles;

  beforeAll(async () => {
    edge = await prepareLocalEdge(REPO_ROOT, '127.0.0.1:9');
  });
  afterAll(() => edge.remove());

  it('passes nginx -t with a throwaway certificate', () => {
    const result = edge.check();
    expect(result.output).toContain('test is successful');
    expect(result.isValid).toBe(true);
    // e.g. a conflicting server name or a directive nginx ignores
    expect(result.output).not.toContain('[warn]');
  });

  it('fails nginx -t when the certificate is missing (the check can fail)', () => {
    const site = join(edge.prefix, 'conf/conf.d/tollgate.conf');
    const original = readFileSync(site, 'utf8');
    try {
      writeFileSync(site, original.replace('fullchain.pem', 'missing-fullchain.pem'));
      const result = edge.check();
      expect(result.isValid).toBe(false);
      expect(result.output).toMatch(/missing-fullchain\.pem/);
    } finally {
      writeFileSync(site, original);
    }
  });

  it('runs from the temp prefix only: no path of the container is left in the rendered config', () => {
    const rendered = [
      readFileSync(edge.configFile, 'utf8'),
      readFileSync(join(edge.prefix, 'conf/conf.d/tollgate.conf'), 'utf8'),
    ].join('\n');
    expect(rendered).not.toMatch(/\/etc\/letsencrypt|\/var\/(www|log|cache|run)|\/usr\/share\/nginx/);
    expect(rendered).not.toContain('${');
  });

  it('balances the API over every replica, keeping connections to them open', () => {
    const site = readFileSync(join(edge.prefix, 'conf/conf.d/tollgate.conf'), 'utf8');
    const upstream = /^upstream tollgate_api \{\n([\s\S]*?)^\}/m.exec(site)?.[1] ?? '';
    expect(upstream).toMatch(/^\s*zone tollgate_api \d+k;$/m);
    expect(upstream).toMatch(/^\s*keepalive \d+;$/m);
    // Below Node's 5 s keep-alive: nginx never writes into a connection the server is closing.
    expect(upstream).toMatch(/^\s*keepalive_timeout [1-4]s;$/m);
    // Every proxied location goes through the upstream (none to a single address).
    const proxied = [...site.matchAll(/^\s*proxy_pass (\S+);$/gm)].map((match) => match[1]);
    expect(proxied.length).toBeGreaterThanOrEqual(5);
    expect(new Set(proxied)).toEqual(new Set(['http://tollgate_api']));
  });

  it('lays out one upstream server per replica for the local nginx (the container resolves one name)', async () => {
    const replicas = await prepareLocalEdge(REPO_ROOT, ['127.0.0.1:7', '127.0.0.1:8']);
    try {
      const site = readFileSync(join(replicas.prefix, 'conf/conf.d/tollgate.conf'), 'utf8');
      expect([...site.matchAll(/^\s*server (\S+);$/gm)].map((match) => match[1])).toEqual([
        '127.0.0.1:7',
        '127.0.0.1:8',
      ]);
      expect(replicas.check().isValid).toBe(true);
    } finally {
      replicas.remove();
    }
  });

  it('sends a request to another replica only when it cannot have been applied: never a POST once sent', () => {
    const proxy = readFileSync(join(REPO_ROOT, 'nginx/tollgate/proxy.conf'), 'utf8');
    const directive = (name: string) =>
      new RegExp(`^${name} ([^;]*);`, 'm').exec(proxy.replace(/#.*$/gm, ''))?.[1];
    expect(directive('proxy_next_upstream')).toBe('error timeout');
    expect(directive('proxy_next_upstream_tries')).toBe('2');
  });

  it('needs three values at start: domain, upstream and resolver', () => {
    expect(templateVariables(TEMPLATE)).toEqual([
      'TOLLGATE_DOMAIN',
      'TOLLGATE_RESOLVER',
      'TOLLGATE_UPSTREAM',
    ]);
  });

  it('refuses to render a template variable that has no value (envsubst would render "")', () => {
    expect(() => renderTemplate(TEMPLATE, { TOLLGATE_DOMAIN: 'example.com' })).toThrow(/TOLLGATE_UPSTREAM/);
  });
});
