import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { appEnv, DIST_MAIN, dumpLogsOnFailure, requireBuilt, runNode, startApp, startTestDb, TestDb } from './support/app-env';

/** verify-full against real PostgreSQL: the CA file is used, a wrong CA or host name bites. */
describe('TLS to PostgreSQL (e2e)', () => {
  describe('server certificate for localhost + 127.0.0.1', () => {
    let db: TestDb;
    let wrongCa: string;
    beforeAll(async () => {
      db = await startTestDb();
      wrongCa = db.pg.makeOtherCa('impostor');
    });
    afterAll(async () => {
      dumpLogsOnFailure(db, 'tls.e2e / A');
      await db?.pg.stop();
    });

    it('with the right CA file the app is ready', async () => {
      const app = await startApp(appEnv(db, { ADMIN_EMAIL: undefined, ADMIN_PASSWORD_FILE: undefined }));
      try {
        expect((await request(app.getHttpServer()).get('/api/health/ready')).status).toBe(200);
      } finally {
        await app.close();
      }
    });

    it('with a CA that did not sign the server cert, readiness fails (503) while liveness stays up', async () => {
      const app = await startApp(
        appEnv(db, { DATABASE_CA_FILE: wrongCa, MIGRATE_ON_START: 'false', ADMIN_EMAIL: undefined, ADMIN_PASSWORD_FILE: undefined }),
      );
      try {
        expect((await request(app.getHttpServer()).get('/api/health')).status).toBe(200);
        const ready = await request(app.getHttpServer()).get('/api/health/ready');
        expect(ready.status).toBe(503);
        expect(ready.body).toMatchObject({ status: 'error', database: 'down' });
      } finally {
        await app.close();
      }
    });

    it('with a wrong CA and MIGRATE_ON_START=true the process refuses to start', async () => {
      requireBuilt();
      const res = await runNode(DIST_MAIN, appEnv(db, { DATABASE_CA_FILE: wrongCa, PORT: '39999', HOST: '127.0.0.1' }));
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/startup failed: .*(self[- ]signed certificate|unable to verify|unable to get local issuer)/i);
      expect(res.stdout + res.stderr).not.toContain(db.password);
    });
  });

  describe('server certificate for DNS:localhost only, client certificates required', () => {
    let db: TestDb;
    let client: { certFile: string; keyFile: string };
    let app: NestExpressApplication | undefined;
    beforeAll(async () => {
      db = await startTestDb({
        serverSans: ['DNS:localhost'],
        pgHbaConf: [
          'hostssl all postgres 127.0.0.1/32 scram-sha-256',
          'hostssl all all      127.0.0.1/32 scram-sha-256 clientcert=verify-full',
          '',
        ].join('\n'),
      });
      client = db.pg.issueClientCert('app');
    });
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });
    afterAll(async () => {
      dumpLogsOnFailure(db, 'tls.e2e / B');
      await db?.pg.stop();
    });

    const ready = async (over: Record<string, string | undefined>) => {
      app = await startApp(appEnv(db, { MIGRATE_ON_START: 'false', ADMIN_EMAIL: undefined, ADMIN_PASSWORD_FILE: undefined, ...over }));
      return (await request(app.getHttpServer()).get('/api/health/ready')).status;
    };

    it('connects with the client certificate when the host name matches', async () => {
      expect(await ready({ DATABASE_CLIENT_CERT_FILE: client.certFile, DATABASE_CLIENT_KEY_FILE: client.keyFile })).toBe(200);
      expect(db.pg.logs()).toMatch(/connection authorized: user=app database=nestflux .*SSL enabled/);
    });

    it('fails when the host dialled (127.0.0.1) is not in the certificate, even with the right CA', async () => {
      const url = db.pg.url(db.user, db.password, db.database, '127.0.0.1');
      expect(
        await ready({ DATABASE_URL: url, DATABASE_URL_FILE: undefined, DATABASE_CLIENT_CERT_FILE: client.certFile, DATABASE_CLIENT_KEY_FILE: client.keyFile }),
      ).toBe(503);
    });

    it('fails without a client certificate when pg_hba requires one', async () => {
      expect(await ready({})).toBe(503);
    });
  });
});
