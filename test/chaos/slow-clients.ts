/**
 * Slow clients: each opens a connection, sends the headers of a POST with a 10 kB body, then one byte per
 * second. A server that sets its own request timeout answers (408) and closes the connection; one that does
 * not keeps it open for Node's default of 300 s.
 */
import { connect } from 'node:net';

/**
 * Opens `perPort` slow connections to each port at once; resolves with the milliseconds after which the
 * server closed each (null: still open at `giveUpMs`, then closed by us).
 */
export async function cutOffTimes(
  ports: number[],
  perPort: number,
  path: string,
  giveUpMs: number,
): Promise<(number | null)[]> {
  const one = (port: number) =>
    new Promise<number | null>((resolve) => {
      const started = performance.now();
      const socket = connect(port, '127.0.0.1');
      let done = false;
      const finish = (value: number | null) => {
        if (done) return;
        done = true;
        clearInterval(trickle);
        clearTimeout(giveUp);
        socket.destroy();
        resolve(value);
      };
      socket.on('connect', () => {
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: localhost:${port}\r\n` +
            'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\n',
        );
      });
      const trickle = setInterval(() => {
        if (!socket.destroyed && socket.writable) socket.write('S');
      }, 1_000);
      socket.on('data', () => {}); // a 408 may come first; the close is what counts
      socket.on('close', () => finish(Math.round(performance.now() - started)));
      socket.on('error', () => finish(Math.round(performance.now() - started)));
      const giveUp = setTimeout(() => finish(null), giveUpMs);
    });
  return Promise.all(ports.flatMap((port) => Array.from({ length: perPort }, () => one(port))));
}
