/** Puts a server on its address, with errors that name the flag to change; returns the URL it serves. */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

export async function listenApi(
  app: FastifyInstance,
  at: { listen: string; port: number; https?: boolean },
  /** Who else may hold the port (`another controller?`). */
  who: string,
): Promise<string> {
  await app.listen({ host: at.listen, port: at.port }).catch((err: NodeJS.ErrnoException) => {
    const where = `${at.listen}:${at.port}`;
    if (err.code === 'EADDRINUSE') {
      throw new Error(`--api-port: ${where} is already in use (${who}); pick another with --api-port`);
    }
    throw new Error(`--listen/--api-port: cannot listen on ${where}: ${err.message}`);
  });
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `${at.https ? 'https' : 'http'}://${host}:${addr.port}`;
}
