// Starts the real `mneme serve` for end-to-end tests: a config in a temp
// directory, a store on disk, ports picked by the OS (port 0) and read from
// the log, stopped by its PID.
//
// Options: extraConfig (YAML appended to the config), env, dir, keep (leave
// the directory), dev (default true: `--dev`, as every test so far assumes),
// args (more flags for `mneme serve`, e.g. ['--watch-courier']).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const binary = process.env.MNEME_BINARY ?? join(root, 'build', 'mneme');

export async function startServer({ extraConfig = '', env = {}, dir = undefined, keep = false, dev = true, args = [] } = {}) {
  dir = dir ?? mkdtempSync(join(tmpdir(), 'mneme-e2e-'));
  const config = join(dir, 'mneme.yml');
  writeFileSync(config, [
    `dsn: ${join(dir, 'store')}`,
    'serve:',
    '  public: {host: 127.0.0.1, port: 0, base_url: "http://127.0.0.1:4433/"}',
    '  admin: {host: 127.0.0.1, port: 0}',
    'secrets: {cipher: [e2e-cipher-secret-32-characters!]}',
    'hashers: {algorithm: bcrypt, bcrypt: {cost: 4}}',
    'identity:',
    '  default_schema_id: default',
    '  schemas:',
    `    - {id: default, url: "file://${join(root, 'tests/fixtures/identity.schema.json')}"}`,
    `    - {id: username, url: "file://${join(root, 'tests/fixtures/username.schema.json')}"}`,
    extraConfig,
  ].join('\n'));
  const logPath = join(dir, 'serve.log');
  const child = spawn(binary, ['serve', '-c', config, ...(dev ? ['--dev'] : []), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const onData = (d) => { log += d.toString(); writeFileSync(logPath, log); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const ports = await new Promise((resolvePorts, reject) => {
    const deadline = setTimeout(() => reject(new Error(`mneme did not start:\n${log}`)), 20000);
    const check = () => {
      const m = /listening public=[\d.]+:(\d+) admin=[\d.]+:(\d+)/.exec(log);
      if (m) { clearTimeout(deadline); resolvePorts({ pub: +m[1], adm: +m[2] }); }
    };
    child.stderr.on('data', check);
    child.on('exit', (code) => { clearTimeout(deadline); reject(new Error(`mneme exited ${code}:\n${log}`)); });
  });
  child.removeAllListeners('exit');
  return {
    publicUrl: `http://127.0.0.1:${ports.pub}`,
    adminUrl: `http://127.0.0.1:${ports.adm}`,
    dir,
    log: () => log,
    async stop() {
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await exited;
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}
