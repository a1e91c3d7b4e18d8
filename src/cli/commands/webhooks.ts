/**
 * `saml-sp webhooks list | add | remove | deliveries | show | redeliver`: webhook endpoints and deliveries on
 * the same store as the server (whose delivery worker sends what is pending, redeliveries included).
 */
import { WebhookService } from '../../events/index.ts';
import type { DeliveryStatus } from '../../store/events.ts';
import { openContext, parse, printJson, UsageError } from '../commands.ts';

const SUBCOMMANDS =
  'list | add --url URL [--event TYPE]… [--description TEXT] | remove ID | deliveries [--endpoint ID] [--status S] | show MESSAGE-ID | redeliver MESSAGE-ID';

export async function webhooksCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    url: { type: 'string' },
    event: { type: 'string', multiple: true },
    description: { type: 'string' },
    endpoint: { type: 'string' },
    status: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  });
  const [sub, target] = positionals;
  if (!sub || !['list', 'add', 'remove', 'deliveries', 'show', 'redeliver'].includes(sub)) {
    throw new UsageError(`Usage: saml-sp webhooks ${SUBCOMMANDS}`);
  }
  if (sub === 'add' && !values.url) throw new UsageError('webhooks add needs --url URL');
  if (['remove', 'show', 'redeliver'].includes(sub) && !target) {
    throw new UsageError(`Usage: saml-sp webhooks ${sub} ID`);
  }
  if (values.status !== undefined && !['pending', 'delivered', 'failed'].includes(values.status)) {
    throw new UsageError('--status must be pending, delivered or failed');
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0 && limit <= 1000)) {
    throw new UsageError('--limit must be a whole number from 1 to 1000');
  }
  const ctx = await openContext();
  const store = ctx.sp.stores.webhooks;
  try {
    if (!store) {
      process.stderr.write('saml-sp: WEBHOOKS_UNAVAILABLE: this store keeps no webhook outbox.\n');
      return 1;
    }
    const webhooks = new WebhookService({ store, events: ctx.sp.events, now: () => ctx.sp.now() });
    switch (sub) {
      case 'list': {
        const endpoints = await webhooks.list();
        if (values.json) printJson(endpoints);
        else if (endpoints.length === 0) process.stdout.write('No webhook endpoints.\n');
        else {
          for (const e of endpoints) {
            process.stdout.write(
              `${e.id}\t${e.enabled ? 'on' : 'off'}\t${e.url}\t${e.eventTypes.join(',') || '*'}\t${e.description ?? ''}\n`,
            );
          }
        }
        return 0;
      }
      case 'add': {
        const { endpoint, secret } = await webhooks.create({
          url: values.url as string,
          ...(values.description ? { description: values.description } : {}),
          eventTypes: values.event ?? [],
        });
        if (values.json) printJson({ ...endpoint, secret });
        else {
          process.stdout.write(
            `Added webhook endpoint ${endpoint.id} -> ${endpoint.url}\nSigning secret (shown once; the receiver verifies deliveries with it):\n${secret}\n`,
          );
        }
        return 0;
      }
      case 'remove': {
        await webhooks.remove(target as string);
        process.stdout.write(`Removed webhook endpoint "${target}".\n`);
        return 0;
      }
      case 'deliveries': {
        const list = await webhooks.deliveries({
          ...(values.endpoint ? { endpointId: values.endpoint } : {}),
          ...(values.status ? { status: values.status as DeliveryStatus } : {}),
          ...(limit !== undefined ? { limit } : {}),
        });
        if (values.json) printJson(list);
        else if (list.length === 0) process.stdout.write('No deliveries.\n');
        else {
          for (const d of list) {
            process.stdout.write(
              `${d.id}\t${d.status}\t${d.eventType}\t${d.connectionId ?? '-'}\t${d.endpointId}\tattempts ${d.attempts}\t${d.lastStatusCode ?? d.lastError ?? ''}\n`,
            );
          }
        }
        return 0;
      }
      case 'show': {
        const d = await webhooks.delivery(target as string);
        if (values.json) printJson(d);
        else {
          process.stdout.write(`${d.id}  ${d.eventType}  ${d.status}  to ${d.endpointId}\n`);
          for (const a of d.log ?? []) {
            process.stdout.write(
              `  #${a.attempt} ${a.at}  ${a.statusCode !== undefined ? `HTTP ${a.statusCode}` : '-'}  ${Math.round(a.durationMs)} ms${a.error ? `  ${a.error}` : ''}\n`,
            );
          }
        }
        return 0;
      }
      default: {
        const d = await webhooks.redeliver(target as string);
        if (values.json) printJson(d);
        else process.stdout.write(`Delivery ${d.id} is pending again; the server sends it within seconds.\n`);
        return 0;
      }
    }
  } finally {
    await ctx.close();
  }
}
