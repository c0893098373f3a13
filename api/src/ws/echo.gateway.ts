import { OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import { authenticateToken } from '../auth/jwt-auth.guard';
import { SecurityEventLogger } from '../common/security-events';
import { APP_CONFIG_KEY, AppConfig } from '../config/app-config';
import { UsersService } from '../users/users.service';

/** Messages a connection may send per second (a burst of as many); more closes it. */
export const WS_MESSAGES_PER_SECOND = 20;
/**
 * The subprotocol that carries the access token: a browser offers `[WS_AUTH_PROTOCOL, token]`
 * (it cannot set Authorization on a websocket). A header, unlike a query string, never appears
 * in a request line that nginx or the API might log.
 */
export const WS_AUTH_PROTOCOL = 'nestflux.bearer';
/** Close code for a policy violation (RFC 6455). */
const POLICY_VIOLATION = 1008;

/** The token among the offered subprotocols, if the client offered ours. */
export function offeredToken(header: string | string[] | undefined): string | undefined {
  const offered = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim());
  if (!offered.includes(WS_AUTH_PROTOCOL)) return undefined;
  return offered.find((p) => p !== WS_AUTH_PROTOCOL && p !== '');
}

/**
 * Echo endpoint at /api/ws (served by WsAdapter on the same HTTP/HTTPS server), so the
 * proxy's Upgrade handling can be tested end to end. Only a signed-in user from an allowed
 * origin gets an echo: the access token comes as a subprotocol (see WS_AUTH_PROTOCOL), the Origin
 * must be the site's own (PUBLIC_ORIGIN) or one of CORS_ORIGINS when the client sends one, the
 * connection ends when the token expires, and one sending faster than WS_MESSAGES_PER_SECOND is
 * closed. Frames are capped at 64 KiB.
 */
@WebSocketGateway({
  path: '/api/ws',
  maxPayload: 64 * 1024,
  handleProtocols: (protocols: Set<string>) => (protocols.has(WS_AUTH_PROTOCOL) ? WS_AUTH_PROTOCOL : false),
})
export class EchoGateway implements OnGatewayConnection {
  private readonly origins: string[];

  constructor(
    private readonly jwt: JwtService,
    private readonly users: UsersService,
    private readonly events: SecurityEventLogger,
    config: ConfigService,
  ) {
    const app = config.getOrThrow<AppConfig>(APP_CONFIG_KEY);
    this.origins = [...app.corsOrigins, ...(app.publicOrigin ? [app.publicOrigin] : [])];
  }

  async handleConnection(client: WebSocket, request: IncomingMessage): Promise<void> {
    // Messages that arrive while we check wait (counted against the rate): nothing is echoed
    // before the check passes.
    let allowed = false;
    const pending: [RawData, boolean][] = [];
    let tokens = WS_MESSAGES_PER_SECOND;
    let last = Date.now();
    const echo = (data: RawData, isBinary: boolean) => {
      const now = Date.now();
      tokens = Math.min(WS_MESSAGES_PER_SECOND, tokens + ((now - last) / 1000) * WS_MESSAGES_PER_SECOND);
      last = now;
      if (tokens < 1) {
        client.close(POLICY_VIOLATION, 'too many messages');
        return;
      }
      tokens -= 1;
      client.send(data, { binary: isBinary });
    };
    client.on('message', (data, isBinary) => {
      if (allowed) echo(data, isBinary);
      else if (pending.length < WS_MESSAGES_PER_SECOND) pending.push([data, isBinary]);
      else client.close(POLICY_VIOLATION, 'too many messages');
    });
    const facts = { ip: request.socket.remoteAddress, path: '/api/ws' };
    const origin = request.headers.origin;
    if (origin !== undefined && !this.origins.includes(origin)) {
      this.events.log('forbidden', { ...facts, reason: 'origin', origin: origin.slice(0, 200) });
      client.close(POLICY_VIOLATION, 'origin not allowed');
      return;
    }
    const token = offeredToken(request.headers['sec-websocket-protocol']);
    const result = token ? await authenticateToken(this.jwt, this.users, token) : { rejected: 'missing' as const };
    if ('rejected' in result) {
      this.events.log('token_rejected', { ...facts, reason: result.rejected });
      client.close(POLICY_VIOLATION, 'authentication required');
      return;
    }
    // The token's lifetime bounds the connection's.
    const expiry = setTimeout(() => client.close(POLICY_VIOLATION, 'token expired'), Math.max(0, result.expiresAt - Date.now()));
    client.on('close', () => clearTimeout(expiry));
    allowed = true;
    for (const [data, isBinary] of pending.splice(0)) echo(data, isBinary);
  }
}
