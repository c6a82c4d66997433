import { createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../../local/moto-server.js';

/** A loopback URL where nothing listens: every connection is refused at once. */
export async function refusingEndpoint(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/** A loopback server that accepts connections and never answers: the "silent" failure. */
export async function silentEndpoint(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
