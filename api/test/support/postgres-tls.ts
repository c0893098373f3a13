/**
 * Reusable test harness: a REAL PostgreSQL 15 (Debian's `postgresql` package) on
 * 127.0.0.1 with TLS, its own private CA and server certificate made with the openssl
 * CLI, `hostssl ... scram-sha-256` only, on a free port, in a temp dir.
 *
 *   const pg = await startPostgres();
 *   // pg.url('app', 'secret', 'nestflux') → postgresql://…?sslmode=verify-full, pg.caFile …
 *   await pg.stop();
 *
 * Runs as root: initdb/postgres are started as the `postgres` OS user (PostgreSQL refuses
 * root) via `runuser -u postgres --`; the temp dir and server key belong to that user,
 * key mode 0600. As a non-root user the binaries are run directly.
 *
 * The integration tier can pass its own rendered postgresql.conf / pg_hba.conf TEXT
 * (or a function of the harness paths) instead of the defaults. Port, listen address and
 * socket directory are always given on the postgres command line, so rendered files
 * keep their own values for everything else.
 *
 * Only Node built-ins are used, so the file can be imported from outside api/.
 */
import { execFileSync, spawn, ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_PG_BIN = process.env.PG_BIN_DIR || '/usr/lib/postgresql/15/bin';

/** Paths and values a caller-supplied config text may need. */
export interface PostgresPaths {
  dir: string;
  dataDir: string;
  socketDir: string;
  caFile: string;
  caKeyFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  host: string;
  port: number;
}

export type ConfText = string | ((paths: PostgresPaths) => string);

export interface StartPostgresOptions {
  /** Full postgresql.conf text to use instead of the default. */
  postgresqlConf?: ConfText;
  /** Full pg_hba.conf text to use instead of the default. */
  pgHbaConf?: ConfText;
  /** subjectAltName entries of the server cert. Default: DNS:localhost, IP:127.0.0.1. */
  serverSans?: string[];
  /** Superuser password (scram). Default: random. */
  superuserPassword?: string;
  /** Directory holding initdb/postgres/psql. Default: /usr/lib/postgresql/15/bin. */
  binDir?: string;
  /** Seconds to wait for "ready to accept connections". Default 30. */
  startTimeoutSec?: number;
}

export interface ClientCert {
  certFile: string;
  keyFile: string;
}

export interface PostgresHandle extends PostgresPaths {
  superuser: string;
  superuserPassword: string;
  /** postgresql://user:pass@host:port/db?sslmode=verify-full (host defaults to "localhost"). */
  url(user: string, password: string, database: string, host?: string): string;
  /** Run SQL as the superuser through psql over verified TLS; returns stdout. */
  psql(sql: string, database?: string): string;
  /** Create a login role (scram) and a database it owns. */
  createDatabase(user: string, password: string, database: string): void;
  /** Issue a client certificate (CN = user) signed by the harness CA. */
  issueClientCert(commonName: string): ClientCert;
  /** Issue a TLS server certificate signed by the harness CA (e.g. for the API's HTTPS). */
  issueServerCert(name: string, sans: string[]): ClientCert;
  /** Make an unrelated CA (for negative tests); returns its cert file. */
  makeOtherCa(name?: string): string;
  /** Server log so far (stdout + stderr of postgres). */
  logs(): string;
  stop(): Promise<void>;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function pgUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/** Command + args, wrapped in `runuser -u postgres --` when we are root. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Self-signed CA (EC P-256: fast to make, accepted by PostgreSQL and Node). */
function makeCa(dir: string, name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], dir);
  openssl(
    [
      'req', '-x509', '-new', '-key', key, '-sha256', '-days', '2', '-subj', `/CN=${name} test CA`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-out', cert,
    ],
    dir,
  );
  return { cert, key };
}

function issueLeaf(dir: string, name: string, cn: string, ca: { cert: string; key: string }, ext: string[]): ClientCert {
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const certFile = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile], dir);
  // PKCS#8 is what both PostgreSQL and Node read without fuss.
  openssl(['pkcs8', '-topk8', '-nocrypt', '-in', keyFile, '-out', `${keyFile}.p8`], dir);
  execFileSync('mv', [`${keyFile}.p8`, keyFile]);
  openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${cn}`, '-out', csr], dir);
  writeFileSync(extFile, `${ext.join('\n')}\n`);
  openssl(
    ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2', '-sha256', '-extfile', extFile, '-out', certFile],
    dir,
  );
  return { certFile, keyFile };
}

function defaultPostgresqlConf(p: PostgresPaths): string {
  return [
    `listen_addresses = '${p.host}'`,
    `port = ${p.port}`,
    `unix_socket_directories = '${p.socketDir}'`,
    'max_connections = 40',
    'shared_buffers = 16MB',
    'ssl = on',
    `ssl_cert_file = '${p.serverCertFile}'`,
    `ssl_key_file = '${p.serverKeyFile}'`,
    `ssl_ca_file = '${p.caFile}'`,
    "ssl_min_protocol_version = 'TLSv1.2'",
    "password_encryption = 'scram-sha-256'",
    'log_connections = on',
    'log_disconnections = off',
    "log_line_prefix = '%m [%p] %q%u@%d '",
    'logging_collector = off',
    // Test speed; never in production.
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    '',
  ].join('\n');
}

function defaultPgHba(): string {
  return [
    '# TYPE   DATABASE USER ADDRESS       METHOD',
    'hostssl  all      all  127.0.0.1/32  scram-sha-256',
    '',
  ].join('\n');
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresHandle> {
  const binDir = opts.binDir ?? DEFAULT_PG_BIN;
  if (!existsSync(join(binDir, 'postgres'))) {
    throw new Error(`PostgreSQL binaries not found in ${binDir}: apt-get install -y postgresql (15)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'nestflux-pg-'));
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  mkdirSync(socketDir);
  const host = '127.0.0.1';
  const port = await freePort(host);
  const superuser = 'postgres';
  const superuserPassword = opts.superuserPassword ?? `su-${Math.random().toString(36).slice(2)}${Date.now()}`;

  const ca = makeCa(dir, 'ca');
  const server = issueLeaf(dir, 'server', 'localhost', ca, [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${(opts.serverSans ?? ['DNS:localhost', 'IP:127.0.0.1']).join(',')}`,
  ]);
  const paths: PostgresPaths = {
    dir,
    dataDir,
    socketDir,
    caFile: ca.cert,
    caKeyFile: ca.key,
    serverCertFile: server.certFile,
    serverKeyFile: server.keyFile,
    host,
    port,
  };

  const pwFile = join(dir, 'pwfile');
  writeFileSync(pwFile, `${superuserPassword}\n`, { mode: 0o600 });
  chmodSync(dir, 0o755); // the app (root or other user) reads ca.crt; the data dir stays 0700
  chmodSync(server.keyFile, 0o600);
  if (isRoot) {
    const { uid, gid } = pgUser();
    for (const f of [dir, socketDir, ...readdirSync(dir).map((n) => join(dir, n))]) chownSync(f, uid, gid);
  }

  const run = (cmd: string, args: string[]) => {
    const [c, a] = asPostgres(join(binDir, cmd), args);
    return execFileSync(c, a, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  };
  run('initdb', ['-D', dataDir, '-U', superuser, '--auth=scram-sha-256', `--pwfile=${pwFile}`, '-E', 'UTF8', '--no-sync', '--no-instructions']);
  rmSync(pwFile);

  const render = (t: ConfText | undefined, def: (p: PostgresPaths) => string) =>
    t === undefined ? def(paths) : typeof t === 'function' ? t(paths) : t;
  const confFile = join(dataDir, 'postgresql.conf');
  const hbaFile = join(dataDir, 'pg_hba.conf');
  writeFileSync(confFile, render(opts.postgresqlConf, defaultPostgresqlConf));
  writeFileSync(hbaFile, render(opts.pgHbaConf, defaultPgHba));
  if (isRoot) {
    const { uid, gid } = pgUser();
    chownSync(confFile, uid, gid);
    chownSync(hbaFile, uid, gid);
  }

  let log = '';
  const [cmd, args] = asPostgres(join(binDir, 'postgres'), [
    '-D', dataDir,
    '-p', String(port),
    '-k', socketDir,
    '-c', `listen_addresses=${host}`,
  ]);
  const child: ChildProcess = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exitPromise = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );

  const deadline = Date.now() + (opts.startTimeoutSec ?? 30) * 1000;
  while (!/ready to accept connections/.test(log)) {
    if (exited || Date.now() > deadline) {
      const why = exited ? 'postgres exited' : 'timed out';
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`PostgreSQL did not start (${why}). Server log:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const psqlEnv = (database: string) => ({
    ...process.env,
    PGHOST: 'localhost',
    PGPORT: String(port),
    PGUSER: superuser,
    PGPASSWORD: superuserPassword,
    PGDATABASE: database,
    PGSSLMODE: 'verify-full',
    PGSSLROOTCERT: ca.cert,
    PGCONNECT_TIMEOUT: '10',
  });
  const psql = (sql: string, database = 'postgres') =>
    execFileSync(join(binDir, 'psql'), ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
      env: psqlEnv(database),
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();

  const quoteIdent = (s: string) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(s)) throw new Error(`unsafe identifier for a test database: ${s}`);
    return s;
  };
  const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

  let otherCaCount = 0;
  const handle: PostgresHandle = {
    ...paths,
    superuser,
    superuserPassword,
    url: (user, password, database, h = 'localhost') =>
      `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${h}:${port}/${encodeURIComponent(database)}?sslmode=verify-full`,
    psql,
    createDatabase(user, password, database) {
      // Harness-only DDL (identifiers cannot be parameters); inputs are checked above.
      psql(`CREATE ROLE ${quoteIdent(user)} LOGIN PASSWORD ${quoteLiteral(password)}`);
      psql(`CREATE DATABASE ${quoteIdent(database)} OWNER ${quoteIdent(user)}`);
    },
    issueClientCert(commonName) {
      const cert = issueLeaf(dir, `client-${commonName}`, commonName, ca, [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=clientAuth',
      ]);
      chmodSync(cert.keyFile, 0o600);
      return cert;
    },
    issueServerCert(name, sans) {
      const cert = issueLeaf(dir, `srv-${name}`, name, ca, [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        `subjectAltName=${sans.join(',')}`,
      ]);
      chmodSync(cert.keyFile, 0o600);
      return cert;
    },
    makeOtherCa(name) {
      const sub = join(dir, `other-ca-${otherCaCount++}`);
      mkdirSync(sub);
      return makeCa(sub, name ?? 'other').cert;
    },
    logs: () => log,
    async stop() {
      if (!exited) {
        // Fast shutdown. Signal the postmaster itself: runuser does not forward SIGINT.
        const postmasterPid = (): number => {
          try {
            return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
          } catch {
            return 0;
          }
        };
        const pid = postmasterPid();
        if (pid > 0) process.kill(pid, 'SIGINT');
        else child.kill('SIGINT');
        const timer = setTimeout(() => {
          if (!exited) {
            const p = postmasterPid();
            if (p > 0) process.kill(p, 'SIGQUIT'); // immediate shutdown
            child.kill('SIGKILL');
          }
        }, 10000);
        await exitPromise;
        clearTimeout(timer);
      }
      if (existsSync(dir) && statSync(dir).isDirectory()) rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
