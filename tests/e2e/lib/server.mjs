// server.mjs — starts the real onramp binary for the browser tests, the way
// tests/http/harness.c does: a fresh temporary directory with its database
// and key file, `onramp migrate`, then `onramp serve` on a free loopback
// port learned from its one "listening" line. stop() sends SIGTERM, waits
// (SIGKILL after a timeout) and removes the directory.
//
// Invariants: every child gets a clean ONRAMP_* environment; the server's
// stderr is kept in memory (last 64 KiB) for failure messages.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The onramp binary: $ONRAMP_BIN, else build/onramp at the repository root. */
export function onrampBin() {
  return process.env.ONRAMP_BIN || resolve(here, '../../../build/onramp');
}

function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('ONRAMP_')) env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * Starts a server. Returns { base, dir, dbPath, env, stop(), log() }.
 * options.signupRate: ONRAMP_SIGNUP_RATE (default 0, unlimited).
 */
export async function startServer(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'onramp-e2e-'));
  const dbPath = join(dir, 'onramp.db');
  const env = cleanEnv({
    ONRAMP_DB: `sqlite:${dbPath}`,
    ONRAMP_KEY_FILE: join(dir, 'onramp.key'),
    ONRAMP_LISTEN: '127.0.0.1:0',
    ONRAMP_SIGNUP_RATE: String(options.signupRate ?? 0),
    // Admins may skip two-factor here (tests/http/test_account.c covers the requirement).
    ONRAMP_ADMIN_2FA: options.admin2fa ?? 'optional',
  });
  const bin = onrampBin();
  try {
    execFileSync(bin, ['migrate'], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`onramp migrate failed: ${err.stderr || err.message}`);
  }

  const child = spawn(bin, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d.toString()).slice(-65536);
  });
  const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));

  const port = await new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`no listening line within 60 s; stderr: ${stderr}`)), 60000);
    child.stdout.on('data', (d) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const m = /^onramp: listening on http:\/\/127\.0\.0\.1:(\d+)\/?$/.exec(out.slice(0, nl));
      if (m) res(Number(m[1]));
      else rej(new Error(`unexpected first line: ${out.slice(0, nl)}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`onramp serve exited (${code}) before listening: ${stderr}`));
    });
  }).catch(async (err) => {
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });

  return {
    base: `http://127.0.0.1:${port}`,
    dir,
    dbPath,
    env, // the settings for more `onramp` commands on this server's database
    log: () => stderr,
    /** Stops the server; resolves to its exit code (0 expected). */
    async stop() {
      child.kill('SIGTERM');
      const timeout = new Promise((res) => setTimeout(() => res(null), 15000));
      let result = await Promise.race([exited, timeout]);
      if (result === null) {
        child.kill('SIGKILL');
        result = await exited;
      }
      rmSync(dir, { recursive: true, force: true });
      return result.code;
    },
  };
}

/** Runs one read-only SQL query with the sqlite3 shell; returns its output, trimmed. */
export function sql(dbPath, query) {
  return execFileSync('sqlite3', ['-readonly', dbPath, query], { encoding: 'utf8' }).trim();
}
