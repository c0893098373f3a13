import { OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type { WebSocket } from 'ws';

/**
 * Tiny echo endpoint at /api/ws (served by WsAdapter on the same HTTP/HTTPS server) so
 * the reverse proxy's Upgrade handling can be tested end to end. Every text or binary
 * message is sent back unchanged. Frames are capped at 64 KiB.
 */
@WebSocketGateway({ path: '/api/ws', maxPayload: 64 * 1024 })
export class EchoGateway implements OnGatewayConnection {
  handleConnection(client: WebSocket): void {
    client.on('message', (data, isBinary) => client.send(data, { binary: isBinary }));
  }
}
