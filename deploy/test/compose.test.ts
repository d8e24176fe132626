import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from '@tollgate/server';
import { describe, expect, it } from 'vitest';
import {
  COMPOSE_FILE,
  containerEnvironment,
  readComposeFile,
  resolveComposeFile,
  type ComposeFile,
} from '../src/compose/compose-file';
import { parseEnvFile } from '../src/compose/env-file';
import { InterpolationError } from '../src/compose/interpolate';
import { serverSettingNames } from '../src/compose/server-settings';
import { templateVariables } from '../src/nginx/render-template';
import { REPO_ROOT } from '../src/repo-root';

const example = parseEnvFile(readFileSync(join(REPO_ROOT, '.env.example'), 'utf8'));
const compose = readComposeFile(REPO_ROOT);

// What an operator fills into the empty "Required." lines of .env.example.
const FILLED: Record<string, string> = {
  DOMAIN: 'billing.example.com',
  APP_URL: 'https://billing.example.com',
  CERTBOT_EMAIL: 'ops@example.com',
  POSTGRES_PASSWORD: '3f9c0d1e8a7b6c5d',
  JWT_SECRET: 'k'.repeat(48),
  STRIPE_SECRET_KEY: 'sk_live_example',
  STRIPE_WEBHOOK_SECRET: 'whsec_example',
  STRIPE_PRICE_ID_BASIC: 'price_basic_example',
  STRIPE_PRICE_ID_PRO: 'price_pro_example',
  STRIPE_PRICE_ID_TEAM: 'price_team_example',
  SMTP_URL: 'smtp://tollgate:secret@smtp.example.com:587',
  MAIL_FROM: 'Tollgate <billing@example.com>',
};
const filledDotenv = { ...example.values, ...FILLED };

function service(file: ComposeFile, name: string) {
  const found = file.services[name];
  if (!found) throw new Error(`service ${name} missing from ${COMPOSE_FILE}`);
  return found;
}

describe(`${COMPOSE_FILE}: services, volumes, health`, () => {
  it('runs nginx, the server, PostgreSQL 16 and certbot (Prometheus opt-in), each restarting unless stopped', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'certbot',
      'nginx',
      'postgres',
      'prometheus',
      'server',
    ]);
    // Prometheus starts only with `--profile monitoring`; the four others always.
    for (const name of Object.keys(compose.services)) {
      expect(service(compose, name).profiles, name).toEqual(
        name === 'prometheus' ? ['monitoring'] : undefined,
      );
    }
    expect(service(compose, 'postgres').image).toMatch(/^postgres:16(\.\d+)?(-[a-z]+)?$/);
    expect(service(compose, 'certbot').image).toMatch(/^certbot\/certbot:v\d+\.\d+\.\d+$/);
    expect(service(compose, 'server').build?.dockerfile).toBe('apps/server/Dockerfile');
    expect(service(compose, 'nginx').build?.dockerfile).toBe('nginx/Dockerfile');
    for (const name of Object.keys(compose.services)) {
      expect(service(compose, name).restart, name).toBe('unless-stopped');
    }
  });

  it('runs the server as SERVER_REPLICAS replicas of one service (2 unless set), which nginx balances', () => {
    const replicas = (dotenv: Record<string, string>) =>
      (service(resolveComposeFile(REPO_ROOT, dotenv), 'server').deploy as { replicas?: string } | undefined)
        ?.replicas;
    expect(replicas(filledDotenv)).toBe('2');
    expect(replicas({ ...filledDotenv, SERVER_REPLICAS: '4' })).toBe('4');
    // Replicas of one service: a fixed container name or published port would collide between them.
    expect(service(compose, 'server').container_name).toBeUndefined();
    expect(service(compose, 'server').ports).toBeUndefined();
  });

  it('lets Prometheus scrape each replica on a metrics port that is never published or proxied', () => {
    const server = service(compose, 'server');
    expect(server.environment).toMatchObject({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' });
    expect(server.expose).toEqual(['9464']);
    const prometheus = service(compose, 'prometheus');
    // On a network the server is on; its UI only on the host's loopback.
    expect(prometheus.networks?.every((network) => server.networks?.includes(network))).toBe(true);
    expect(prometheus.ports).toEqual(['127.0.0.1:9090:9090']);
    expect(prometheus.volumes).toContain('./deploy/monitoring/alerts.yml:/etc/prometheus/alerts.yml:ro');
  });

  it('keeps state in named volumes: the database, certificates, the ACME webroot and metrics', () => {
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual([
      'acme-webroot',
      'letsencrypt',
      'postgres-data',
      'prometheus-data',
    ]);
    expect(service(compose, 'postgres').volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    // certbot writes certificates and challenge files; nginx only reads them.
    expect(service(compose, 'certbot').volumes).toEqual([
      'letsencrypt:/etc/letsencrypt',
      'acme-webroot:/var/www/certbot',
    ]);
    expect(service(compose, 'nginx').volumes).toEqual([
      'letsencrypt:/etc/letsencrypt:ro',
      'acme-webroot:/var/www/certbot:ro',
    ]);
  });

  it('health-checks postgres, the server (readiness) and nginx, and starts each only after its dependency is healthy', () => {
    expect(service(compose, 'postgres').healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(service(compose, 'server').healthcheck?.test.join(' ')).toContain(
      'http://127.0.0.1:3000/api/v1/health/ready',
    );
    expect(service(compose, 'nginx').healthcheck?.test.join(' ')).toContain('http://127.0.0.1/nginx-health');

    expect(service(compose, 'server').depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(service(compose, 'nginx').depends_on).toEqual({ server: { condition: 'service_healthy' } });
    expect(service(compose, 'certbot').depends_on).toEqual({ nginx: { condition: 'service_healthy' } });
  });

  it('exposes only nginx, and keeps PostgreSQL on an internal network with the server', () => {
    expect(service(compose, 'nginx').ports).toEqual(['80:80', '443:443']);
    for (const name of ['server', 'postgres', 'certbot'])
      expect(service(compose, name).ports, name).toBeUndefined();
    expect(compose.networks?.database?.internal).toBe(true);
    expect(service(compose, 'postgres').networks).toEqual(['database']);
    expect(service(compose, 'nginx').networks).toEqual(['edge']);
  });

  it('gives nginx only the capabilities its master needs, no service a way to gain privileges', () => {
    for (const name of ['server', 'nginx', 'certbot']) {
      expect(service(compose, name).security_opt, name).toEqual(['no-new-privileges:true']);
    }
    expect(service(compose, 'nginx').cap_drop).toEqual(['ALL']);
    expect(service(compose, 'nginx').cap_add).toEqual(['CHOWN', 'NET_BIND_SERVICE', 'SETGID', 'SETUID']);
    expect(service(compose, 'server').cap_drop).toEqual(['ALL']);
  });

  it('keeps certbot off the network the server and its metrics port are on', () => {
    const certbotNetworks = service(compose, 'certbot').networks ?? [];
    expect(certbotNetworks).toEqual(['acme']);
    for (const network of service(compose, 'server').networks ?? []) {
      expect(certbotNetworks).not.toContain(network);
    }
    expect(Object.keys(compose.networks ?? {})).toContain('acme');
    expect(compose.networks?.acme?.internal).toBeUndefined(); // it reaches Let's Encrypt
  });

  it('renews certificates through the webroot nginx serves', () => {
    const loop = (service(compose, 'certbot').entrypoint ?? []).join(' ');
    expect(loop).toContain('certbot renew --webroot --webroot-path /var/www/certbot');
    // $$ survives compose interpolation as the shell's $!.
    expect(loop).toContain('wait $${!}');
  });
});

describe(`${COMPOSE_FILE}: configuration from .env`, () => {
  it('refuses to start until every "Required." setting of .env.example has a value', () => {
    const required = example.settings
      .filter((setting) => setting.description.startsWith('Required.'))
      .map((setting) => setting.name)
      .sort();
    expect(required.length).toBeGreaterThan(0);
    for (const name of required) expect(example.values[name], name).toBe('');

    let problems: string[] = [];
    try {
      resolveComposeFile(REPO_ROOT, example.values);
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      problems = error.problems;
    }
    const missing = [...new Set(problems.map((problem) => problem.split(':')[0]))].sort();
    expect(missing).toEqual(required);
  });

  it('gives the server a production configuration that its own validation accepts', () => {
    const resolved = resolveComposeFile(REPO_ROOT, filledDotenv);
    const environment = containerEnvironment(service(resolved, 'server'), filledDotenv);
    const env = parseEnv(environment);

    expect(env.NODE_ENV).toBe('production');
    expect(env.PORT).toBe(3000);
    expect(env.DATABASE_URL).toBe('postgres://tollgate:3f9c0d1e8a7b6c5d@postgres:5432/tollgate');
    expect(env.APP_URL).toBe(FILLED.APP_URL);
    expect(env.JWT_SECRET).toBe(FILLED.JWT_SECRET);
    expect(env.STRIPE_SECRET_KEY).toBe(FILLED.STRIPE_SECRET_KEY);
    expect(env.STRIPE_WEBHOOK_SECRET).toBe(FILLED.STRIPE_WEBHOOK_SECRET);
    expect(env.TRUST_PROXY).toBe('1');
    // Unset optional settings keep the server's defaults instead of arriving as empty strings.
    expect(env.ACCESS_TOKEN_TTL_SECONDS).toBe(900);

    const postgres = service(resolved, 'postgres').environment;
    expect(postgres).toEqual({
      POSTGRES_DB: 'tollgate',
      POSTGRES_USER: 'tollgate',
      POSTGRES_PASSWORD: FILLED.POSTGRES_PASSWORD,
    });
  });

  it('gives nginx every variable its site template uses, and only those are substituted', () => {
    const resolved = resolveComposeFile(REPO_ROOT, filledDotenv);
    const environment = service(resolved, 'nginx').environment ?? {};
    const template = readFileSync(join(REPO_ROOT, 'nginx/templates/tollgate.conf.template'), 'utf8');
    for (const name of templateVariables(template)) expect(environment[name], name).toBeTruthy();
    expect(environment.TOLLGATE_DOMAIN).toBe(FILLED.DOMAIN);
    expect(environment.TOLLGATE_UPSTREAM).toBe('server:3000');
    expect(environment.NGINX_ENVSUBST_FILTER).toBe('^TOLLGATE_');
  });

  it('matches `docker compose config` where the compose plugin exists (this test always checks the YAML)', () => {
    const ours = containerEnvironment(
      service(resolveComposeFile(REPO_ROOT, filledDotenv), 'server'),
      filledDotenv,
    );
    expect(ours.NODE_ENV).toBe('production');
    const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (probe.status !== 0) return;

    const dir = mkdtempSync(join(tmpdir(), 'tollgate-compose-'));
    try {
      const envFile = join(dir, '.env');
      writeFileSync(
        envFile,
        Object.entries(filledDotenv)
          .map(([key, value]) => `${key}=${value}`)
          .join('\n'),
      );
      const result = spawnSync(
        'docker',
        ['compose', '-f', join(REPO_ROOT, COMPOSE_FILE), '--env-file', envFile, 'config', '--format', 'json'],
        { encoding: 'utf8', cwd: REPO_ROOT },
      );
      expect(result.stderr).toBe('');
      const config = JSON.parse(result.stdout) as ComposeFile;
      expect(config.services.server?.environment).toMatchObject({ ...ours });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('.env.example documents every setting', () => {
  const documented = new Map(example.settings.map((setting) => [setting.name, setting]));
  const CATEGORY = /^(Required\.|Required for |Optional\.|Fixed by compose|Development only\.)/;

  it('lists each server setting of apps/server/src/env.ts, with what it does and whether it is required', () => {
    const names = serverSettingNames(REPO_ROOT);
    expect(names).toContain('DATABASE_URL');
    for (const name of names) {
      const setting = documented.get(name);
      expect(setting, `${name} is not in .env.example`).toBeDefined();
      expect(setting?.description, name).toMatch(CATEGORY);
    }
  });

  it('lists the deployment settings too, each documented', () => {
    const deployment = [
      'DOMAIN',
      'APP_URL',
      'CERTBOT_EMAIL',
      'POSTGRES_DB',
      'POSTGRES_USER',
      'POSTGRES_PASSWORD',
    ];
    const stripe = [
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
      'STRIPE_PRICE_ID_BASIC',
      'STRIPE_PRICE_ID_PRO',
      'STRIPE_PRICE_ID_TEAM',
    ];
    for (const name of [...deployment, ...stripe, 'TOLLGATE_VERSION']) {
      expect(documented.get(name)?.description, name).toMatch(CATEGORY);
    }
  });

  it('marks as "Fixed by compose" exactly what compose sets regardless of .env', () => {
    const fixedInCompose = Object.entries(service(compose, 'server').environment ?? {})
      .filter(([, value]) => !String(value).startsWith('${'))
      .map(([name]) => name)
      .sort();
    const fixedInExample = example.settings
      .filter((setting) => setting.description.startsWith('Fixed by compose'))
      .map((setting) => setting.name)
      .sort();
    expect(fixedInExample).toEqual(fixedInCompose);
  });
});
