/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP, a free port) for domain verification tests: it answers TXT
 * questions from a table the test fills, NXDOMAIN for names it does not hold, and nothing else. Real DNS on the
 * wire (RFC 1035), so the SP's resolver (node:dns, c-ares) is exercised as in production; never the internet.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface TestDnsServer {
  /** `127.0.0.1:port`, as DNS_SERVERS takes it. */
  address: string;
  /** Publishes (replaces) the TXT records at `name`. */
  setTxt(name: string, values: string[]): void;
  /** Names asked for, oldest first. */
  queries: string[];
  close(): Promise<void>;
}

const TYPE_TXT = 16;

export async function startDnsServer(): Promise<TestDnsServer> {
  const records = new Map<string, string[]>();
  const queries: string[] = [];
  const socket: Socket = createSocket('udp4');
  socket.on('message', (message, peer) => {
    const answer = respond(message, records, queries);
    if (answer) socket.send(answer, peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  return {
    address: `127.0.0.1:${socket.address().port}`,
    setTxt: (name, values) => records.set(name.toLowerCase().replace(/\.$/, ''), values),
    queries,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function respond(query: Buffer, records: Map<string, string[]>, queries: string[]): Buffer | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
  // The question: length-prefixed labels, then type and class.
  const labels: string[] = [];
  let offset = 12;
  while (offset < query.length && query[offset] !== 0) {
    const length = query[offset] as number;
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii'));
    offset += 1 + length;
  }
  const questionEnd = offset + 5;
  if (questionEnd > query.length) return undefined;
  const type = query.readUInt16BE(offset + 1);
  const name = labels.join('.').toLowerCase();
  queries.push(name);
  const values = records.get(name);
  const answers = values && type === TYPE_TXT ? values : [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // QR, AA, the client's RD; RCODE 3 (NXDOMAIN) for a name we do not hold.
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | (values ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const records_ = answers.map((value) => {
    const text = Buffer.from(value, 'utf8');
    const rdata = Buffer.concat([Buffer.from([text.length]), text]);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(TYPE_TXT, 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(60, 6);
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...records_]);
}
