/**
 * Offline checks of Dockerfile and docker-compose.yml (no Docker engine runs
 * on these machines): everything they reference exists in the project —
 * files copied, npm scripts and entry points run, ports, environment
 * variables, the health endpoint, the load scripts and their options — and
 * the compose file passes dclint.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { cliPath, projectRoot, startTestServer } from '../helpers/server.js';
import { commandWords, copyArgs, envPairs, isIgnored, parseDockerfile, parseDockerignore, type Stage } from './dockerfile-parse.js';

const root = projectRoot();
const read = (file: string): string => readFileSync(join(root, file), 'utf8');
const dockerfile = parseDockerfile(read('Dockerfile'));
const ignore = parseDockerignore(read('.dockerignore'));
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

interface ComposeService {
  build?: { context: string; target?: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: root, timeout: 60000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function helpOf(script: string): Promise<string> {
  const r = await run(process.execPath, [script, '--help']);
  assert.equal(r.code, 0, `${script} --help: ${r.stderr}`);
  return r.stdout;
}

/** The source file a compiled path under dist/ comes from: dist/loadtest/writers.js → loadtest/writers.ts. */
function sourceOf(distPath: string): string {
  return distPath.replace(/^(\.\/)?dist\//, '').replace(/\.js$/, '.ts');
}

function stage(name: string): Stage {
  const s = dockerfile.stages.find((x) => x.name === name);
  assert.ok(s, `Dockerfile has a stage ${name}`);
  return s;
}

const finalStage = dockerfile.stages[dockerfile.stages.length - 1]!;
const vmapdScripts = (words: string[]): string[] => words.filter((w) => /^(\.\/)?dist\/.*\.js$/.test(w));

describe('Dockerfile', () => {
  it('builds on Node 24 slim in several stages, the runtime last so a plain `docker build` gives it', () => {
    assert.ok(dockerfile.stages.length >= 2, 'multi-stage');
    assert.equal(finalStage.name, 'runtime');
    assert.match(finalStage.from, /^node:24-[a-z]+-slim$/);
    assert.match(stage('build').from, /^node:24-[a-z]+-slim$/);
  });

  it('copies only paths that exist and that .dockerignore lets into the context', () => {
    const stageNames = new Set(dockerfile.stages.map((s) => s.name));
    for (const ins of dockerfile.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
      const { flags, sources } = copyArgs(ins.args);
      if (flags.from !== undefined) {
        assert.ok(stageNames.has(flags.from), `line ${ins.line}: --from=${flags.from} names an earlier stage`);
        continue;
      }
      for (const src of sources) {
        assert.ok(existsSync(join(root, src)), `line ${ins.line}: ${src} exists`);
        assert.ok(!isIgnored(src, ignore), `line ${ins.line}: ${src} is not excluded by .dockerignore`);
      }
    }
  });

  it('copies from the build stage only what the build produces', () => {
    const build = stage('build');
    const copiedIntoBuild = build.instructions.filter((i) => i.keyword === 'COPY').flatMap((i) => copyArgs(i.args).sources);
    for (const ins of finalStage.instructions.filter((i) => i.keyword === 'COPY')) {
      const { flags, sources } = copyArgs(ins.args);
      if (flags.from === undefined) continue;
      for (const src of sources) {
        const m = /^\/app\/dist\/([^/]+)/.exec(src);
        // dist/<dir> is tsc's output for <dir>, which must have been copied in for the build.
        if (m) assert.ok(copiedIntoBuild.includes(m[1]!), `${src}: ${m[1]} is copied into the build stage`);
        else assert.equal(src, '/app/node_modules', `line ${ins.line}: unexpected copy ${src}`);
      }
    }
    assert.ok(copiedIntoBuild.includes('package-lock.json'), 'npm ci needs the lock file');
    assert.ok(
      stage('prod-deps').instructions.some((i) => i.keyword === 'RUN' && /npm (prune|ci) .*--omit=dev/.test(i.args)),
      'production node_modules come from npm prune/ci --omit=dev',
    );
  });

  it('runs npm scripts and entry points that exist', () => {
    for (const ins of dockerfile.instructions.filter((i) => ['RUN', 'CMD', 'ENTRYPOINT', 'HEALTHCHECK'].includes(i.keyword))) {
      for (const m of ins.args.matchAll(/npm run (\S+)/g)) assert.ok(pkg.scripts[m[1]!], `line ${ins.line}: npm script ${m[1]} exists`);
      for (const file of vmapdScripts(commandWords(ins.args.replace(/^.*\bCMD\s+/, '')))) {
        assert.ok(existsSync(join(root, sourceOf(file))), `line ${ins.line}: ${file} is compiled from ${sourceOf(file)}`);
        assert.ok(existsSync(join(root, file)), `line ${ins.line}: ${file} exists after the build`);
      }
    }
    const cmd = commandWords(finalStage.instructions.find((i) => i.keyword === 'CMD')!.args);
    assert.deepEqual(cmd, ['node', 'dist/src/cli/vmapd.js']);
  });

  it('exposes the default ports, listens on 0.0.0.0 and keeps its data in a volume at /var/lib/vmapd', () => {
    const exposed = finalStage.instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map(Number));
    assert.deepEqual(exposed.sort(), [DEFAULT_CONFIG.grpcPort, DEFAULT_CONFIG.httpPort].sort());
    const env = Object.assign({}, ...finalStage.instructions.filter((i) => i.keyword === 'ENV').map((i) => envPairs(i.args))) as Record<string, string>;
    assert.equal(env.VMAPD_HOST, '0.0.0.0');
    assert.equal(env.VMAPD_DATA_DIR, '/var/lib/vmapd');
    if (env.VMAPD_GRPC_PORT !== undefined) assert.equal(Number(env.VMAPD_GRPC_PORT), DEFAULT_CONFIG.grpcPort);
    if (env.VMAPD_HTTP_PORT !== undefined) assert.equal(Number(env.VMAPD_HTTP_PORT), DEFAULT_CONFIG.httpPort);
    const volumes = finalStage.instructions.filter((i) => i.keyword === 'VOLUME').flatMap((i) => commandWords(i.args));
    assert.deepEqual(volumes, ['/var/lib/vmapd']);
  });

  it('sets only environment variables that vmapd --help knows', async () => {
    const help = await helpOf(cliPath('vmapd'));
    const names = finalStage.instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => Object.keys(envPairs(i.args)));
    for (const name of names.filter((n) => n.startsWith('VMAPD_'))) assert.ok(help.includes(name), `vmapd --help knows ${name}`);
  });

  it('runs as a non-root user under tini, with a health check on /healthz at the HTTP port', () => {
    for (const name of ['runtime', 'loadtest']) {
      const s = stage(name);
      const users = s.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args.trim());
      assert.ok(users.length > 0 && !['root', '0'].includes(users[users.length - 1]!), `${name} ends as a non-root user`);
      const entry = commandWords(s.instructions.filter((i) => i.keyword === 'ENTRYPOINT').pop()!.args);
      assert.deepEqual(entry, ['/usr/bin/tini', '--'], `${name}: tini is PID 1 and forwards signals`);
    }
    assert.ok(finalStage.instructions.some((i) => i.keyword === 'RUN' && /apt-get install .*\btini\b/.test(i.args)), 'tini is installed in the runtime stage');
    assert.ok(stage('build').instructions.some((i) => i.keyword === 'RUN' && /apt-get install .*\btini\b/.test(i.args)), 'tini is installed for the loadtest stage');
    const hc = finalStage.instructions.find((i) => i.keyword === 'HEALTHCHECK');
    assert.ok(hc, 'HEALTHCHECK');
    assert.match(hc.args, /\/healthz/);
    assert.match(hc.args, new RegExp(`VMAPD_HTTP_PORT \\|\\| ${DEFAULT_CONFIG.httpPort}`));
  });

  it('needs no C++ toolchain: better-sqlite3 13 ships its binaries, so no python3, make or g++ is installed', () => {
    const installs = dockerfile.stages.flatMap((s) => s.instructions).filter((i) => i.keyword === 'RUN' && i.args.includes('apt-get install'));
    for (const tool of ['python3', 'make', 'g\\+\\+']) assert.ok(!installs.some((i) => new RegExp(`\\b${tool}(\\s|$)`).test(i.args)), `${tool} not installed`);
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    assert.match(lock.packages['node_modules/better-sqlite3']!.version, /^13\./);
  });
});

describe('docker-compose.yml', () => {
  const services = compose.services;
  const stageNames = new Set(dockerfile.stages.map((s) => s.name));

  it('passes dclint', async () => {
    const r = await run(join(root, 'node_modules', '.bin', 'dclint'), ['docker-compose.yml']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('runs vmapd from the runtime stage with a named volume, a health check and ports on 127.0.0.1 only', () => {
    const v = services.vmapd;
    assert.ok(v, 'service vmapd');
    assert.equal(v.build?.target, 'runtime');
    assert.ok(stageNames.has(v.build.target));
    const mounts = (v.volumes ?? []).map((m) => m.split(':'));
    assert.ok(
      mounts.some(([name, path]) => path === '/var/lib/vmapd' && compose.volumes !== undefined && name! in compose.volumes),
      'a named volume at /var/lib/vmapd',
    );
    const published = (v.ports ?? []).map((p) => p.split(':'));
    assert.ok(published.length > 0);
    for (const [host, , container] of published) {
      assert.equal(host, '127.0.0.1', 'published on loopback only');
      assert.ok([DEFAULT_CONFIG.grpcPort, DEFAULT_CONFIG.httpPort].includes(Number(container)), `container port ${container} is a vmapd default`);
    }
    const test = (v.healthcheck?.test ?? []).join(' ');
    assert.match(test, new RegExp(`127\\.0\\.0\\.1:${DEFAULT_CONFIG.httpPort}/healthz`));
    assert.equal(v.environment?.VMAPD_HOST, '0.0.0.0');
    assert.equal(v.environment?.VMAPD_DATA_DIR, '/var/lib/vmapd');
  });

  it('sets only environment variables that vmapd --help knows', async () => {
    const help = await helpOf(cliPath('vmapd'));
    for (const name of Object.keys(services.vmapd?.environment ?? {})) assert.ok(help.includes(name), `vmapd --help knows ${name}`);
  });

  it('runs the load scripts only in the load profile, against vmapd by service name, each bounded', async () => {
    for (const name of ['writers', 'flood']) {
      const s = services[name];
      assert.ok(s, `service ${name}`);
      assert.deepEqual(s.profiles, ['load'], `${name} starts only when asked`);
      assert.ok(s.build?.target !== undefined && stageNames.has(s.build.target), `${name} builds a Dockerfile stage`);
      assert.equal(s.depends_on?.vmapd?.condition, 'service_healthy');
      assert.equal(s.environment?.LOADTEST_HOST, 'vmapd', 'targets the vmapd service');
      assert.equal(s.environment?.LOADTEST_ALLOW_HOST, 'vmapd', 'and allows exactly that name');
      assert.equal(s.ports, undefined, 'publishes nothing');
      const cmd = s.command ?? [];
      const scripts = vmapdScripts(cmd);
      assert.equal(scripts.length, 1, `${name} runs one script`);
      const script = scripts[0]!;
      assert.ok(script.startsWith('dist/loadtest/'), `${script} is a load script`);
      assert.ok(existsSync(join(root, sourceOf(script))), `${script} is compiled from ${sourceOf(script)}`);
      assert.ok(cmd.includes('--duration'), `${name} is bounded in time`);
      assert.ok(cmd.includes('--max-ops') || cmd.includes('--max-requests'), `${name} is bounded in count`);
      const help = await helpOf(join(root, script));
      for (const flag of cmd.filter((w) => w.startsWith('--'))) assert.ok(help.includes(flag), `${script} knows ${flag}`);
      for (const env of Object.keys(s.environment ?? {})) assert.ok(help.includes(env), `${script} knows ${env}`);
      const portFlag = cmd.indexOf('--grpc-port') >= 0 ? '--grpc-port' : '--http-port';
      const port = Number(cmd[cmd.indexOf(portFlag) + 1]);
      assert.equal(port, portFlag === '--grpc-port' ? DEFAULT_CONFIG.grpcPort : DEFAULT_CONFIG.httpPort, `${name} targets vmapd's default port`);
    }
  });

  describe('the ha profile', () => {
    const nodes = ['node1', 'node2'];
    const flag = (cmd: string[], name: string): string | undefined => {
      const i = cmd.indexOf(name);
      return i >= 0 ? cmd[i + 1] : undefined;
    };

    it('runs PostgreSQL 15 from the official image with a named volume and a pg_isready health check, publishing nothing', () => {
      const db = services.postgres;
      assert.ok(db, 'service postgres');
      assert.deepEqual(db.profiles, ['ha']);
      assert.match(db.image ?? '', /^postgres:15(-bookworm)?$/);
      const mounts = (db.volumes ?? []).map((m) => m.split(':'));
      assert.ok(
        mounts.some(([name, path]) => path === '/var/lib/postgresql/data' && compose.volumes !== undefined && name! in compose.volumes),
        'a named volume at the image\'s data directory',
      );
      assert.equal(db.healthcheck?.test[0], 'CMD');
      assert.equal(db.healthcheck?.test[1], 'pg_isready');
      assert.equal(db.ports, undefined, 'the database is reached on the compose network only');
    });

    it('runs two vmapd nodes from the runtime stage on the postgres store, each advertising its own service name', () => {
      const db = services.postgres!;
      for (const name of nodes) {
        const s = services[name];
        assert.ok(s, `service ${name}`);
        assert.deepEqual(s.profiles, ['ha'], `${name} starts only when asked`);
        assert.equal(s.build?.target, 'runtime');
        assert.equal(s.depends_on?.postgres?.condition, 'service_healthy', `${name} waits for the database`);
        const cmd = s.command ?? [];
        assert.deepEqual(cmd.slice(0, 2), commandWords(finalStage.instructions.find((i) => i.keyword === 'CMD')!.args), `${name} runs the image's vmapd`);
        assert.equal(flag(cmd, '--store'), 'postgres');
        assert.equal(flag(cmd, '--host'), '0.0.0.0');
        assert.equal(flag(cmd, '--advertise'), `${name}:${DEFAULT_CONFIG.grpcPort}`, 'the others reach it by its service name at its gRPC port');
        const url = new URL(s.environment?.VMAPD_POSTGRES_URL ?? '');
        assert.equal(url.protocol, 'postgres:');
        assert.equal(url.hostname, 'postgres', 'the database service by name');
        assert.equal(url.port, '5432');
        assert.equal(decodeURIComponent(url.username), db.environment?.POSTGRES_USER);
        assert.equal(decodeURIComponent(url.password), db.environment?.POSTGRES_PASSWORD);
        assert.equal(url.pathname, `/${db.environment?.POSTGRES_DB}`);
        assert.match((s.healthcheck?.test ?? []).join(' '), new RegExp(`127\\.0\\.0\\.1:${DEFAULT_CONFIG.httpPort}/healthz`));
      }
    });

    it('knows every option and variable the nodes are given', async () => {
      const help = await helpOf(cliPath('vmapd'));
      for (const name of nodes) {
        const s = services[name]!;
        for (const f of (s.command ?? []).filter((w) => w.startsWith('--'))) assert.ok(help.includes(f), `vmapd --help knows ${f}`);
        for (const env of Object.keys(s.environment ?? {})) assert.ok(help.includes(env), `vmapd --help knows ${env}`);
      }
    });

    it('publishes each node on 127.0.0.1 at host ports no other service takes', () => {
      const taken = new Map<string, string>();
      for (const [name, s] of Object.entries(services)) {
        for (const p of s.ports ?? []) {
          const [host, hostPort, container] = p.split(':');
          assert.equal(host, '127.0.0.1', `${name}: published on loopback only`);
          assert.ok(!taken.has(hostPort!), `${name}: host port ${hostPort} is free (${taken.get(hostPort!)} has it)`);
          taken.set(hostPort!, name);
          if (nodes.includes(name)) assert.ok([DEFAULT_CONFIG.grpcPort, DEFAULT_CONFIG.httpPort].includes(Number(container)), `${name}: ${container} is a vmapd default`);
        }
      }
      for (const name of nodes) {
        const containers = (services[name]!.ports ?? []).map((p) => Number(p.split(':')[2])).sort();
        assert.deepEqual(containers, [DEFAULT_CONFIG.grpcPort, DEFAULT_CONFIG.httpPort].sort(), `${name} publishes both its ports`);
      }
    });
  });
});

describe('the endpoint the health checks call', () => {
  it('GET /healthz answers 200', async () => {
    const server = await startTestServer();
    try {
      const res = await fetch(`${server.httpUrl}/healthz`);
      assert.equal(res.status, 200);
    } finally {
      await server.stop();
    }
  });
});
