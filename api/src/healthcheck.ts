/**
 * Docker HEALTHCHECK: GET /api/health on this container, exit 0 when it answers 200.
 * No framework, no config validation: it must stay cheap and never hang (3 s timeout).
 *
 * HTTP by default. With HTTPS=true the server certificate is verified:
 *  - HEALTHCHECK_CA_FILE set: full chain verification against that CA (plus the system
 *    roots); the host name is checked against HEALTHCHECK_SERVERNAME when set (we dial
 *    the loopback address, so there is no name to check otherwise);
 *  - otherwise the certificate presented must be exactly HTTPS_CERT_FILE (pinning).
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { rootCertificates, TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';

const env = process.env;
const port = Number(env.PORT || 3000);
const bind = env.HOST || '0.0.0.0';
const host = bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' ? '::1' : bind;
const path = '/api/health';

function done(ok: boolean, why: string): never {
  if (!ok) process.stderr.write(`healthcheck failed: ${why}\n`);
  process.exit(ok ? 0 : 1);
}

function check(): void {
  const common = { host, port, path, method: 'GET', timeout: 3000 };
  let req: http.ClientRequest;
  const onResponse = (res: http.IncomingMessage, verify?: () => string | undefined) => {
    const problem = verify?.();
    if (problem) done(false, problem);
    res.resume();
    done(res.statusCode === 200, `status ${res.statusCode}`);
  };
  if (env.HTTPS === 'true') {
    if (env.HEALTHCHECK_CA_FILE) {
      const ca = [...rootCertificates, readFileSync(env.HEALTHCHECK_CA_FILE, 'utf8')];
      const servername = env.HEALTHCHECK_SERVERNAME;
      req = https.request(
        {
          ...common,
          ca,
          rejectUnauthorized: true,
          // Only pass what is set: an explicit `undefined` would replace Node's defaults.
          ...(servername ? { servername } : { checkServerIdentity: () => undefined }),
        },
        (res) => onResponse(res),
      );
    } else {
      const expected = new X509Certificate(readFileSync(env.HTTPS_CERT_FILE ?? '', 'utf8')).fingerprint256;
      req = https.request({ ...common, rejectUnauthorized: false }, (res) =>
        onResponse(res, () => {
          const got = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
          return got === expected ? undefined : 'server certificate is not HTTPS_CERT_FILE';
        }),
      );
    }
  } else {
    req = http.request(common, (res) => onResponse(res));
  }
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (err) => done(false, err.message));
  req.end();
}

try {
  check();
} catch (err) {
  done(false, (err as Error).message);
}
