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
