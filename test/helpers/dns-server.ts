/**
 * A real DNS server on 127.0.0.1 (dns2, UDP) for tests: it answers TXT questions from a map the test fills,
 * NXDOMAIN for names it does not hold, and SERVFAIL for every question while `failing` is set. Domain
 * verification is pointed at it through DNS_SERVERS / createTxtResolver({ servers }), never at the internet.
 */
import dns2 from 'dns2';

const { Packet } = dns2;

export interface TestDnsServer {
  /** `127.0.0.1:PORT`, as DNS_SERVERS takes it. */
  server: string;
  port: number;
  /** TXT records by owner name (lower case, no trailing dot); each record is one or more strings. */
  txt: Map<string, string[][]>;
  /** While true, every answer is SERVFAIL (an upstream resolver in trouble). */
  failing: boolean;
  /** Names asked, in order. */
  questions: string[];
  close(): Promise<void>;
}

export async function startDnsServer(): Promise<TestDnsServer> {
  const state = { failing: false };
  const txt = new Map<string, string[][]>();
  const questions: string[] = [];
  const dns = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      const name = (question?.name ?? '').toLowerCase().replace(/\.$/, '');
      questions.push(name);
      if (state.failing) {
        response.header.rcode = Packet.RCODE.SERVFAIL;
      } else if (!txt.has(name)) {
        response.header.rcode = Packet.RCODE.NXDOMAIN;
      } else if (question?.type === Packet.TYPE.TXT) {
        for (const record of txt.get(name) ?? []) {
          // dns2's Resource type lists every field of every record type; a TXT answer needs these.
          response.answers.push({
            name: question.name,
            type: Packet.TYPE.TXT,
            class: Packet.CLASS.IN,
            ttl: 60,
            data: record,
          } as dns2.Packet.Resource);
        }
      }
      void send(response);
    },
  });
  const addresses = await dns.listen({ udp: { port: 0, address: '127.0.0.1' } });
  const port = addresses.udp?.port;
  if (!port) throw new Error('the test DNS server did not report its UDP port');
  return {
    server: `127.0.0.1:${port}`,
    port,
    txt,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    questions,
    close: () => dns.close(),
  };
}
