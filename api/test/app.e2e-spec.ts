import type { NestExpressApplication } from '@nestjs/platform-express';
import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import WebSocket from 'ws';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  appEnv,
  appPort,
  JWT_SECRET,
  dumpLogsOnFailure,
  startApp,
  startTestDb,
  StdoutCapture,
  TestDb,
} from './support/app-env';
import { DatabaseService } from '../src/database/database.service';
import { WS_AUTH_PROTOCOL } from '../src/ws/echo.gateway';
import { MetricsService } from '../src/metrics/metrics.service';

/**
 * The API against a real PostgreSQL 15 over verify-full TLS. Login calls carry a unique
 * X-Forwarded-For (TRUST_PROXY=loopback: supertest connects from 127.0.0.1, the "proxy"),
 * so each call is its own client for the login throttler unless a test says otherwise.
 */
describe('NestFlux API (e2e, real PostgreSQL over TLS)', () => {
  let db: TestDb;
  let app: NestExpressApplication;
  const out = new StdoutCapture();
  let ipCounter = 1;
  const nextIp = () => `203.0.113.${ipCounter++}`;

  beforeAll(async () => {
    db = await startTestDb();
    out.start();
    app = await startApp(appEnv(db, { CORS_ORIGINS: 'https://app.example.test', PUBLIC_ORIGIN: 'https://site.example.test', CLIENT_MAX_BODY_SIZE: '200k' }));
  });

  afterAll(async () => {
    out.stop();
    await app?.close();
    dumpLogsOnFailure(db, 'app.e2e');
    await db?.pg.stop();
  });

  const http = () => request(app.getHttpServer());

  async function login(email: string, password: string, ip = nextIp()): Promise<request.Response> {
    return http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email, password });
  }

  async function tokenFor(email: string, password: string): Promise<string> {
    const res = await login(email, password);
    expect(res.status).toBe(200);
    return res.body.accessToken as string;
  }

  async function createUser(adminToken: string, email: string, password: string, role = 'user'): Promise<string> {
    const res = await http().post('/api/users').auth(adminToken, { type: 'bearer' }).send({ email, password, role });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  describe('health', () => {
    it('liveness answers {"status":"ok"}', async () => {
      const res = await http().get('/api/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('readiness pings the database', async () => {
      const res = await http().get('/api/health/ready');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', database: 'up' });
    });

    it('the connection to PostgreSQL really is TLS', () => {
      const rows = db.pg.psql(
        "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'nestflux-api' AND s.ssl",
      );
      expect(Number(rows.trim())).toBeGreaterThan(0);
      const plain = db.pg.psql(
        "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'nestflux-api' AND NOT s.ssl",
      );
      expect(Number(plain.trim())).toBe(0);
    });

    it('JSON responses carry helmet defaults but not the proxy-owned headers', async () => {
      const res = await http().get('/api/health');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['strict-transport-security']).toBeUndefined();
      expect(res.headers['content-security-policy']).toBeUndefined();
      expect(res.headers['x-frame-options']).toBeUndefined();
    });
  });

  describe('auth', () => {
    it('the initial admin (ADMIN_EMAIL + ADMIN_PASSWORD_FILE) can log in and gets a bearer JWT', async () => {
      const res = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
      expect(res.status).toBe(200);
      expect(res.body.tokenType).toBe('Bearer');
      expect(res.body.expiresIn).toBe(300);
      const [, payload] = (res.body.accessToken as string).split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      expect(claims).toMatchObject({ email: ADMIN_EMAIL, role: 'admin', iss: 'nestflux-api', aud: 'nestflux-api' });
      expect(claims.exp - claims.iat).toBe(300);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('stores an argon2id hash, not the password', () => {
      const hash = db.pg.psql(`SELECT password_hash FROM users WHERE email = '${ADMIN_EMAIL}'`, db.database).trim();
      expect(hash.startsWith('$argon2id$')).toBe(true);
      expect(hash).not.toContain(ADMIN_PASSWORD);
    });

    it('a wrong password is 401 and logged as a JSON login_failed event without the password', async () => {
      out.clear();
      const ip = nextIp();
      const res = await login(ADMIN_EMAIL, 'wrong-password-123', ip);
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Invalid credentials');
      const events = out.events('login_failed');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'security', email: ADMIN_EMAIL, ip, reason: 'bad_password', path: '/api/auth/login' });
      expect(out.text()).not.toContain('wrong-password-123');
    });

    it('an unknown e-mail gets the same 401 answer', async () => {
      const res = await login('nobody@example.com', 'whatever-password');
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Invalid credentials');
    });

    it('protected routes need a valid bearer token', async () => {
      expect((await http().get('/api/notes')).status).toBe(401);
      expect((await http().get('/api/notes').set('Authorization', 'Bearer not.a.jwt')).status).toBe(401);
      const token = await tokenFor(ADMIN_EMAIL, ADMIN_PASSWORD);
      const [h, p] = token.split('.');
      const forged = JSON.parse(Buffer.from(p, 'base64url').toString());
      forged.role = 'admin';
      forged.sub = '00000000-0000-0000-0000-000000000000';
      const tampered = `${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${token.split('.')[2]}`;
      expect((await http().get('/api/users').auth(tampered, { type: 'bearer' })).status).toBe(401);
    });
  });

  describe('users and roles', () => {
    let adminToken: string;
    beforeAll(async () => {
      adminToken = await tokenFor(ADMIN_EMAIL, ADMIN_PASSWORD);
    });

    it('an admin lists and creates users', async () => {
      await createUser(adminToken, 'Carol@Example.com', 'carol-password-123');
      const res = await http().get('/api/users').auth(adminToken, { type: 'bearer' });
      expect(res.status).toBe(200);
      const emails = (res.body as { email: string }[]).map((u) => u.email);
      expect(emails).toEqual(expect.arrayContaining([ADMIN_EMAIL, 'carol@example.com']));
      expect(JSON.stringify(res.body)).not.toMatch(/argon2|password/i);
      const dup = await http()
        .post('/api/users')
        .auth(adminToken, { type: 'bearer' })
        .send({ email: 'carol@example.com', password: 'another-password-1', role: 'user' });
      expect(dup.status).toBe(409);
    });

    it('a user without the admin role gets 403, logged as a forbidden event', async () => {
      await createUser(adminToken, 'dave@example.com', 'dave-password-123');
      const userToken = await tokenFor('dave@example.com', 'dave-password-123');
      out.clear();
      const list = await http().get('/api/users').auth(userToken, { type: 'bearer' });
      expect(list.status).toBe(403);
      const create = await http()
        .post('/api/users')
        .auth(userToken, { type: 'bearer' })
        .send({ email: 'eve@example.com', password: 'eve-password-1234', role: 'admin' });
      expect(create.status).toBe(403);
      const events = out.events('forbidden');
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({ role: 'user', requiredRoles: ['admin'], path: '/api/users', method: 'GET' });
      expect(db.pg.psql("SELECT count(*) FROM users WHERE email = 'eve@example.com'", db.database).trim()).toBe('0');
      const me = await http().get('/api/users/me').auth(userToken, { type: 'bearer' });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ email: 'dave@example.com', role: 'user' });
    });
  });

  describe('validation', () => {
    let token: string;
    beforeAll(async () => {
      token = await tokenFor(ADMIN_EMAIL, ADMIN_PASSWORD);
    });

    it.each([
      ['an unknown field', { title: 'x', ownerId: '00000000-0000-0000-0000-000000000000' }, /property ownerId should not exist/],
      ['a wrong type', { title: 123 }, /title must be a string/],
      ['a missing field', { body: 'no title' }, /title/],
      ['an over-long field', { title: 'x'.repeat(201) }, /title must be shorter/],
    ])('rejects %s with 400', async (_name, body, message) => {
      const res = await http().post('/api/notes').auth(token, { type: 'bearer' }).send(body);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(message);
    });

    it('takes bodies up to CLIENT_MAX_BODY_SIZE (above the framework default of 100 kB) and refuses larger ones with 413', async () => {
      const under = await http().post('/api/notes').auth(token, { type: 'bearer' }).send({ title: 'x', body: 'b'.repeat(150 * 1024) });
      // Parsed, then refused by validation (the body field is shorter than this), never 413.
      expect(under.status).toBe(400);
      const over = await http().post('/api/notes').auth(token, { type: 'bearer' }).send({ title: 'x', body: 'b'.repeat(210 * 1024) });
      expect(over.status).toBe(413);
    });

    it('rejects unknown fields and bad values on login and user creation', async () => {
      const extra = await http()
        .post('/api/auth/login')
        .set('X-Forwarded-For', nextIp())
        .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD, role: 'admin' });
      expect(extra.status).toBe(400);
      const badRole = await http()
        .post('/api/users')
        .auth(token, { type: 'bearer' })
        .send({ email: 'x@example.com', password: 'long-enough-pass', role: 'root' });
      expect(badRole.status).toBe(400);
      const shortPw = await http()
        .post('/api/users')
        .auth(token, { type: 'bearer' })
        .send({ email: 'x@example.com', password: 'short', role: 'user' });
      expect(shortPw.status).toBe(400);
      for (const [password, message] of [
        [' '.repeat(20), /only whitespace/],
        ['passwordpassword', /too common/],
        ['a'.repeat(30), /too repetitive/],
      ] as const) {
        const res = await http().post('/api/users').auth(token, { type: 'bearer' }).send({ email: 'weak@example.com', password, role: 'user' });
        expect([res.status, JSON.stringify(res.body.message)]).toEqual([400, expect.stringMatching(message)]);
      }
      expect((await http().get('/api/notes/not-a-uuid').auth(token, { type: 'bearer' })).status).toBe(400);
    });
  });

  describe('hostile input never makes a 5xx', () => {
    const ROUTES: [string, string][] = [
      ['post', '/api/auth/login'],
      ['get', '/api/users'],
      ['post', '/api/users'],
      ['get', '/api/users/me'],
      ['get', '/api/notes'],
      ['post', '/api/notes'],
      ['get', '/api/notes/00000000-0000-4000-8000-000000000000'],
      ['patch', '/api/notes/00000000-0000-4000-8000-000000000000'],
      ['delete', '/api/notes/00000000-0000-4000-8000-000000000000'],
      ['get', '/api/notes/%00'],
      ['get', '/api/notes/..%2f..%2fusers'],
      ['get', `/api/notes/${'9'.repeat(2000)}`],
      ['get', '/api/health'],
    ];
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const BODIES: [string, string, string][] = [
      ['JSON nested 30000 levels', deep(30000), 'application/json'],
      ['objects nested 5000 levels', '{"title":'.repeat(5000) + '1' + '}'.repeat(5000), 'application/json'],
      ['a NUL in a string', JSON.stringify({ email: 'a\u0000@example.com', password: 'p\u0000p', title: 't\u0000', body: 'b\u0000' }), 'application/json'],
      ['an array instead of an object', '[1,2,3]', 'application/json'],
      ['a bare string', '"title"', 'application/json'],
      ['null', 'null', 'application/json'],
      ['nested objects in every field', JSON.stringify({ email: { $ne: 1 }, password: [1], title: { a: 1 }, body: [[]], role: {} }), 'application/json'],
      ['prototype pollution', '{"__proto__":{"role":"admin"},"constructor":{"prototype":{"x":1}},"title":"p"}', 'application/json'],
      ['huge numbers', '{"title":1e999999,"body":-1e999999,"email":123456789012345678901234567890}', 'application/json'],
      ['broken JSON', '{"title": "x",', 'application/json'],
      ['a form body', 'title=x&body=y&role=admin', 'application/x-www-form-urlencoded'],
      ['text', 'title', 'text/plain'],
      ['lone surrogates', '{"title":"\\ud800","body":"\\udfff"}', 'application/json'],
    ];
    let token: string;
    beforeAll(async () => {
      token = await tokenFor(ADMIN_EMAIL, ADMIN_PASSWORD);
    });

    it.each(BODIES)('%s, on every route, with and without a token', async (_name, body, type) => {
      const found: string[] = [];
      for (const [method, path] of ROUTES) {
        for (const auth of [true, false]) {
          let req = (http() as unknown as Record<string, (p: string) => request.Test>)[method](path)
            .set('X-Forwarded-For', nextIp())
            .set('Content-Type', type);
          if (auth) req = req.auth(token, { type: 'bearer' });
          const res = await req.send(body);
          if (res.status >= 500) found.push(`${method} ${path} ${auth ? 'with' : 'without'} token: ${res.status}`);
        }
      }
      expect(found).toEqual([]);
    });

    it('refuses JSON nested deeper than 32 levels and NUL characters with 400, before validation', async () => {
      const nested = await http().post('/api/notes').auth(token, { type: 'bearer' }).set('Content-Type', 'application/json').send(deep(33));
      expect([nested.status, nested.body.message]).toEqual([400, 'JSON must not nest deeper than 32 levels']);
      const nul = await http().post('/api/notes').auth(token, { type: 'bearer' }).send({ title: 'a\u0000b' });
      expect([nul.status, nul.body.message]).toEqual([400, 'JSON strings must not contain the NUL character']);
      expect((await http().post('/api/notes').auth(token, { type: 'bearer' }).send({ title: 'fine', body: 'a\u0001b' })).status).toBe(201);
      // UTF-16 would hide both from the byte scan: refused before it is decoded.
      for (const charset of ['utf-16le', 'utf-16', 'utf-32']) {
        const wide = await http()
          .post('/api/notes')
          .auth(token, { type: 'bearer' })
          .set('Content-Type', `application/json; charset=${charset}`)
          .send(Buffer.from(JSON.stringify({ title: 'a\u0000b' }), 'utf16le'));
        expect([charset, wide.status]).toEqual([charset, 415]);
      }
      // Forms are not parsed at all: a NUL in one never reaches the database.
      const form = await http().post('/api/notes').auth(token, { type: 'bearer' }).type('form').send('title=a%00b');
      expect(form.status).toBe(415);
    });
  });

  describe('SQL injection', () => {
    it('payloads in login fields are inert (400/401) and the users table is intact', async () => {
      const before = db.pg.psql('SELECT count(*) FROM users', db.database).trim();
      const asEmail = await login("' OR 1=1 --", 'x');
      expect(asEmail.status).toBe(400); // not an e-mail: stopped by the ValidationPipe
      const validEmailPayload = await login("'or'1'='1@example.com", "' OR 1=1 --");
      expect(validEmailPayload.status).toBe(401);
      const asPassword = await login(ADMIN_EMAIL, "' OR '1'='1' --");
      expect(asPassword.status).toBe(401);
      const dropAttempt = await login('x@example.com', "'; DROP TABLE users; --");
      expect(dropAttempt.status).toBe(401);
      expect(db.pg.psql('SELECT count(*) FROM users', db.database).trim()).toBe(before);
      expect(db.pg.psql("SELECT to_regclass('public.users') IS NOT NULL", db.database).trim()).toBe('t');
    });

    it('payloads in stored data come back verbatim', async () => {
      const token = await tokenFor(ADMIN_EMAIL, ADMIN_PASSWORD);
      const title = "x'); DROP TABLE notes; --";
      const body = "' UNION SELECT password_hash FROM users --";
      const created = await http().post('/api/notes').auth(token, { type: 'bearer' }).send({ title, body });
      expect(created.status).toBe(201);
      const got = await http().get(`/api/notes/${created.body.id}`).auth(token, { type: 'bearer' });
      expect(got.body).toMatchObject({ title, body });
      expect(db.pg.psql("SELECT to_regclass('public.notes') IS NOT NULL", db.database).trim()).toBe('t');
    });
  });

  describe('identity and role are read on every request, not trusted from the token', () => {
    let admin: string;
    beforeAll(async () => {
      admin = await tokenFor(ADMIN_EMAIL, ADMIN_PASSWORD);
    });
    const sql = (text: string, params: unknown[]) => app.get(DatabaseService).query(text, params);

    it('an admin demoted in the database loses admin rights at once (403), and cannot create admins', async () => {
      const id = await createUser(admin, 'demoted@example.com', 'demoted-admin-pass', 'admin');
      const token = await tokenFor('demoted@example.com', 'demoted-admin-pass');
      expect((await http().get('/api/users').auth(token, { type: 'bearer' })).status).toBe(200);
      await sql("UPDATE users SET role = 'user' WHERE id = $1", [id]);
      expect((await http().get('/api/users').auth(token, { type: 'bearer' })).status).toBe(403);
      const escalate = await http()
        .post('/api/users')
        .auth(token, { type: 'bearer' })
        .send({ email: 'sneaky@example.com', password: 'sneaky-admin-pass', role: 'admin' });
      expect(escalate.status).toBe(403);
      expect((await http().get('/api/users/me').auth(token, { type: 'bearer' })).body.role).toBe('user');
    });

    it("a deleted user's token is refused with 401 on every route, logged as token_rejected", async () => {
      const id = await createUser(admin, 'gone@example.com', 'gone-user-password');
      const token = await tokenFor('gone@example.com', 'gone-user-password');
      expect((await http().get('/api/notes').auth(token, { type: 'bearer' })).status).toBe(200);
      await sql('DELETE FROM users WHERE id = $1', [id]);
      out.clear();
      expect((await http().get('/api/notes').auth(token, { type: 'bearer' })).status).toBe(401);
      // Creating a note used to reach the database and fail on the foreign key: a 500.
      expect((await http().post('/api/notes').auth(token, { type: 'bearer' }).send({ title: 'x' })).status).toBe(401);
      const events = out.events('token_rejected');
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({ reason: 'unknown_user', path: '/api/notes' });
      expect(JSON.stringify(events)).not.toContain(token);
    });

    it('a forged token with a non-UUID sub or without exp is 401, never 500', async () => {
      const sign = (claims: object, opts: object = {}) => app.get(JwtService).signAsync(claims, opts);
      const bad = await sign({ sub: "x' OR 1=1 --", email: 'a@b.c', role: 'admin' });
      expect((await http().get('/api/notes').auth(bad, { type: 'bearer' })).status).toBe(401);
      const forever = await new JwtService({ secret: JWT_SECRET }).signAsync(
        { sub: '6f1c2a4e-8d0b-4c1e-9a57-3b2d1e0f4a61', email: 'a@b.c', role: 'admin' },
        { issuer: 'nestflux-api', audience: 'nestflux-api' },
      );
      expect((await http().get('/api/notes').auth(forever, { type: 'bearer' })).status).toBe(401);
    });
  });

  describe('notes: CRUD with ownership', () => {
    let alice: string;
    let bob: string;
    beforeAll(async () => {
      const adminToken = await tokenFor(ADMIN_EMAIL, ADMIN_PASSWORD);
      await createUser(adminToken, 'alice@example.com', 'alice-password-123');
      await createUser(adminToken, 'bob@example.com', 'bob-password-1234');
      alice = await tokenFor('alice@example.com', 'alice-password-123');
      bob = await tokenFor('bob@example.com', 'bob-password-1234');
    });

    it('create, read, update, delete own notes; others see nothing', async () => {
      const created = await http().post('/api/notes').auth(alice, { type: 'bearer' }).send({ title: 'alice note', body: 'secret' });
      expect(created.status).toBe(201);
      const id = created.body.id as string;

      const list = await http().get('/api/notes').auth(alice, { type: 'bearer' });
      expect((list.body as { id: string }[]).map((n) => n.id)).toContain(id);

      // Bob: not in his list, and 404 (not 403) on direct access: existence is not leaked.
      const bobList = await http().get('/api/notes').auth(bob, { type: 'bearer' });
      expect((bobList.body as { id: string }[]).map((n) => n.id)).not.toContain(id);
      expect((await http().get(`/api/notes/${id}`).auth(bob, { type: 'bearer' })).status).toBe(404);
      expect((await http().patch(`/api/notes/${id}`).auth(bob, { type: 'bearer' }).send({ title: 'pwned' })).status).toBe(404);
      expect((await http().delete(`/api/notes/${id}`).auth(bob, { type: 'bearer' })).status).toBe(404);

      const updated = await http().patch(`/api/notes/${id}`).auth(alice, { type: 'bearer' }).send({ title: 'renamed' });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ id, title: 'renamed', body: 'secret' });

      expect((await http().delete(`/api/notes/${id}`).auth(alice, { type: 'bearer' })).status).toBe(204);
      expect((await http().get(`/api/notes/${id}`).auth(alice, { type: 'bearer' })).status).toBe(404);
    });
  });

  describe('rate limiting', () => {
    it('a login burst beyond AUTH_RATE_LIMIT_RPM + AUTH_RATE_LIMIT_BURST gets 429 and a throttled event, keyed on the real client IP', async () => {
      out.clear();
      const ip = '198.51.100.77';
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await login(ADMIN_EMAIL, `bad-password-${i}`, ip)).status);
      expect(codes).toEqual([401, 401, 401, 429, 429]);
      // Even the right password is refused while blocked.
      expect((await login(ADMIN_EMAIL, ADMIN_PASSWORD, ip)).status).toBe(429);
      // Another client (another X-Forwarded-For from the trusted proxy) is not affected.
      expect((await login(ADMIN_EMAIL, ADMIN_PASSWORD, '198.51.100.78')).status).toBe(200);
      const events = out.events('throttled');
      expect(events.length).toBeGreaterThanOrEqual(2);
      expect(events[0]).toMatchObject({ ip, path: '/api/auth/login' });
    });

    it('without TRUST_PROXY a spoofed X-Forwarded-For does not give a client fresh attempts', async () => {
      const direct = await startApp(appEnv(db, { TRUST_PROXY: undefined, MIGRATE_ON_START: 'false', ADMIN_EMAIL: undefined, ADMIN_PASSWORD_FILE: undefined }));
      try {
        const codes: number[] = [];
        for (let i = 0; i < 4; i++) {
          const res = await request(direct.getHttpServer())
            .post('/api/auth/login')
            .set('X-Forwarded-For', `192.0.2.${i + 1}`) // a different "client" each time
            .send({ email: ADMIN_EMAIL, password: `bad-${i}` });
          codes.push(res.status);
        }
        expect(codes).toEqual([401, 401, 401, 429]);
      } finally {
        await direct.close();
      }
    });

    it('the general limit counts a client across all routes, not per route', async () => {
      // A minute's budget of RATE_LIMIT_RPS=1, RATE_LIMIT_BURST=3: 63 requests.
      const strict = await startApp(appEnv(db, { RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '3', MIGRATE_ON_START: 'false' }));
      try {
        const token = (await request(strict.getHttpServer()).post('/api/auth/login').set('X-Forwarded-For', '192.0.2.200').send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).body
          .accessToken as string;
        const ip = '192.0.2.201';
        const codes: number[] = [];
        for (let i = 0; i < 64; i++) {
          const path = i % 2 === 0 ? '/api/notes' : '/api/users/me';
          codes.push((await request(strict.getHttpServer()).get(path).set('X-Forwarded-For', ip).auth(token, { type: 'bearer' })).status);
        }
        // Per route, each path would have had 63 and none would be refused.
        expect(codes.slice(0, 63).every((c) => c === 200)).toBe(true);
        expect(codes[63]).toBe(429);
      } finally {
        await strict.close();
      }
    });

    it('other routes use the wider default limit', async () => {
      const ip = '198.51.100.77'; // blocked for login above
      const res = await http().get('/api/health/ready').set('X-Forwarded-For', ip);
      expect(res.status).toBe(200);
    });
  });

  describe('metrics', () => {
    it('counts requests by matched route and status, and security events, on a listener of its own', async () => {
      const port = await app.get(MetricsService).serve(0, '127.0.0.1');
      const token = await tokenFor(ADMIN_EMAIL, ADMIN_PASSWORD);
      const id = '00000000-0000-4000-8000-000000000000';
      expect((await http().get('/api/notes').auth(token, { type: 'bearer' })).status).toBe(200);
      expect((await http().get(`/api/notes/${id}`).auth(token, { type: 'bearer' })).status).toBe(404);
      expect((await http().get('/api/notes').auth('not-a-token', { type: 'bearer' })).status).toBe(401);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text).toMatch(/^nestflux_http_requests_total\{method="GET",route="\/api\/notes",status="200"\} [1-9]/m);
      // The route pattern, never the id: the label set stays bounded.
      expect(text).toMatch(/^nestflux_http_requests_total\{method="GET",route="\/api\/notes\/:id",status="404"\} [1-9]/m);
      expect(text).not.toContain(id);
      expect(text).toMatch(/^nestflux_security_events_total\{event="token_rejected"\} [1-9]/m);
      expect(text).toMatch(/^nestflux_http_request_duration_seconds_bucket\{/m);
      // The app's own port does not serve them.
      expect((await http().get('/metrics')).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    });
  });

  describe('lists are paged', () => {
    it('notes and users come in pages of at most 100 (50 by default), with bad paging refused with 400', async () => {
      const token = await tokenFor(ADMIN_EMAIL, ADMIN_PASSWORD);
      for (let i = 0; i < 3; i++) {
        expect((await http().post('/api/notes').auth(token, { type: 'bearer' }).send({ title: `paged ${i}` })).status).toBe(201);
      }
      const all = (await http().get('/api/notes').auth(token, { type: 'bearer' })).body as { id: string }[];
      const first = await http().get('/api/notes?limit=2').auth(token, { type: 'bearer' });
      const second = await http().get('/api/notes?limit=2&offset=2').auth(token, { type: 'bearer' });
      expect(first.body).toHaveLength(2);
      expect([...first.body, ...second.body].map((n: { id: string }) => n.id)).toEqual(all.slice(0, 2 + second.body.length).map((n) => n.id));
      expect((await http().get('/api/users?limit=1').auth(token, { type: 'bearer' })).body).toHaveLength(1);
      for (const q of ['limit=101', 'limit=0', 'limit=x', 'offset=-1', 'limit=1e3', 'limit=10&limit=20']) {
        expect([q, (await http().get(`/api/notes?${q}`).auth(token, { type: 'bearer' })).status]).toEqual([q, 400]);
      }
    });
  });

  describe('CORS', () => {
    it('answers preflights for configured origins only', async () => {
      const ok = await http()
        .options('/api/notes')
        .set('Origin', 'https://app.example.test')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type');
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.test');
      expect(ok.headers['access-control-allow-credentials']).toBeUndefined();
      const evil = await http().options('/api/notes').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
      expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('websocket', () => {
    /** Connect, send, and collect echoes until `want` arrive or the server closes. */
    async function session(protocols: string[], origin: string | undefined, send: (ws: WebSocket) => void, want: number) {
      const ws = new WebSocket(`ws://127.0.0.1:${appPort(app)}/api/ws`, protocols, origin ? { origin } : {});
      const received: Array<{ data: string; binary: boolean }> = [];
      const closed = await new Promise<number | undefined>((resolve, reject) => {
        ws.on('error', reject);
        ws.on('open', () => send(ws));
        ws.on('message', (data: Buffer, isBinary: boolean) => {
          received.push({ data: isBinary ? data.toString('hex') : data.toString(), binary: isBinary });
          if (received.length === want) resolve(undefined);
        });
        ws.on('close', (code: number) => resolve(code));
      });
      ws.close();
      return { received, closed, protocol: ws.protocol };
    }
    let token: string;
    beforeAll(async () => {
      token = await tokenFor(ADMIN_EMAIL, ADMIN_PASSWORD);
    });

    it("echoes for a signed-in user (token as a subprotocol, never in the URL) from the site's own or a CORS origin", async () => {
      for (const origin of ['https://site.example.test', 'https://app.example.test', undefined]) {
        const r = await session([WS_AUTH_PROTOCOL, token], origin, (ws) => {
          ws.send('hello proxy');
          ws.send(Buffer.from([1, 2, 3]));
        }, 2);
        expect([origin, r.protocol, r.received]).toEqual([
          origin,
          WS_AUTH_PROTOCOL,
          [
            { data: 'hello proxy', binary: false },
            { data: '010203', binary: true },
          ],
        ]);
      }
    });

    it('closes without an echo (1008) for no token, a bad token or another origin, logging why', async () => {
      out.clear();
      for (const [protocols, origin] of [
        [[], undefined],
        [[WS_AUTH_PROTOCOL, 'not-a-token'], undefined],
        [[WS_AUTH_PROTOCOL, token], 'https://evil.example'],
      ] as const) {
        const r = await session([...protocols], origin, (ws) => ws.send('hello?'), 1);
        expect([protocols.length, origin, r.closed, r.received]).toEqual([protocols.length, origin, 1008, []]);
      }
      expect(out.events('token_rejected').map((e) => e.reason)).toEqual(['missing', 'invalid']);
      expect(out.events('forbidden')).toEqual([expect.objectContaining({ reason: 'origin', origin: 'https://evil.example' })]);
    });

    it('ends the connection when the token expires', async () => {
      const me = (await http().get('/api/users/me').auth(token, { type: 'bearer' })).body as { id: string };
      const short = await new JwtService({ secret: JWT_SECRET }).signAsync(
        { sub: me.id, email: ADMIN_EMAIL, role: 'admin' },
        { issuer: 'nestflux-api', audience: 'nestflux-api', expiresIn: 2 },
      );
      const started = Date.now();
      const r = await session([WS_AUTH_PROTOCOL, short], undefined, (ws) => ws.send('still here?'), 99);
      expect(r.received).toEqual([{ data: 'still here?', binary: false }]);
      expect(r.closed).toBe(1008);
      expect(Date.now() - started).toBeGreaterThan(500);
    });

    it('closes a connection that sends faster than the message rate', async () => {
      const r = await session([WS_AUTH_PROTOCOL, token], undefined, (ws) => {
        for (let i = 0; i < 200; i++) ws.send(`m${i}`);
      }, 200);
      expect(r.closed).toBe(1008);
      expect(r.received.length).toBeLessThan(200);
    });
  });
});
