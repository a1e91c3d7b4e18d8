/**
 * `saml-sp traces show ID [--raw] [--json]` and `saml-sp traces list [--connection ID] [--failed] [--limit N]
 * [--json]`: the sign-in and logout traces the server recorded (issue #13), from the same store. `show`
 * prints the checklist exactly as `inspect` does; `--raw` opens a captured raw message.
 */
import { loadSpKeys } from '../../server.ts';
import { AdminError } from '../../sp/admin-errors.ts';
import { MemoryStateStore } from '../../store/memory/index.ts';
import { captureKey, normalizeTraceId, TraceService, type TraceView, traceView } from '../../trace/index.ts';
import { openContext, parse, printJson, UsageError } from '../commands.ts';
import { printTrace } from './inspect.ts';

const USAGE =
  'Usage: saml-sp traces show ID [--raw] [--json] | traces list [--connection ID] [--failed] [--limit N] [--json]';

export async function tracesCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    connection: { type: 'string' },
    failed: { type: 'boolean' },
    limit: { type: 'string' },
    raw: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const [verb, id] = positionals;
  if (verb !== 'show' && verb !== 'list') throw new UsageError(USAGE);
  if (verb === 'show' && !id) throw new UsageError(USAGE);
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UsageError('--limit is 1 to 500.');
  const ctx = await openContext();
  try {
    const store = ctx.sp.stores.traces;
    if (!store)
      throw new UsageError(
        'This store keeps no traces (DATABASE_URL=memory: keeps them in the server only).',
      );
    const keys = await loadSpKeys(ctx.config);
    const traces = new TraceService({
      store,
      state: ctx.sp.stores.state ?? new MemoryStateStore(),
      captureKey: captureKey({
        spPrivateKeyPem: keys.encryption.privateKeyPem,
        ...(ctx.config.traces.captureKey ? { explicitKey: ctx.config.traces.captureKey } : {}),
      }),
      retentionDays: ctx.config.traces.retentionDays,
    });
    if (verb === 'show') {
      const traceId = normalizeTraceId(id);
      const trace = traceId ? await traces.get(traceId) : undefined;
      if (!trace) {
        throw new AdminError('ADMIN_NOT_FOUND', `No trace "${id}".`, {
          hint: `Trace IDs look like K7QM4-XD2PA; traces are kept ${traces.retentionDays} days.`,
          status: 404,
        });
      }
      const view = traceView(trace, traces, { raw: !!values.raw });
      if (values.json) printJson(view);
      else printOne(view);
      return 0;
    }
    const list = await traces.list({
      ...(values.connection ? { connectionId: values.connection } : {}),
      ...(values.failed ? { outcome: 'failed' as const } : {}),
      limit,
    });
    const views = list.map((t) => traceView(t, traces));
    if (values.json) {
      printJson(views);
      return 0;
    }
    if (views.length === 0) process.stdout.write('No traces.\n');
    for (const t of views) {
      process.stdout.write(
        `${t.traceId}\t${t.at}\t${t.kind}\t${t.connectionId}\t${t.outcome}${t.verified ? '' : ' (unverified)'}\t${t.errorCode ?? '-'}\t${t.failedCheck ?? '-'}\n`,
      );
    }
    return 0;
  } finally {
    await ctx.close();
  }
}

function printOne(t: TraceView): void {
  const claim = t.verified ? '' : ' (unverified)';
  const line = (label: string, value: string | undefined) => {
    if (value) process.stdout.write(`  ${label}: ${value}\n`);
  };
  process.stdout.write(
    `Trace ${t.traceId}: ${t.outcome}${t.verified ? '' : ' (unverified: changed no health)'}\n`,
  );
  line('kind', t.kind === 'acs' ? 'sign-in (ACS)' : 'logout (SLO)');
  line('at', t.at);
  line('connection', t.connectionName ? `${t.connectionName} (${t.connectionId})` : t.connectionId);
  line('error', t.errorCode ? `${t.errorCode}${t.message ? `: ${t.message}${claim}` : ''}` : undefined);
  line('organization', t.organizationId);
  line('failed check', t.failedCheck);
  line('hint', t.hint && `${t.hint}${claim}`);
  line('IdP issuer', t.idpIssuer && `${t.idpIssuer}${claim}`);
  line('NameID', t.nameId && `${t.nameId}${claim}`);
  line(
    'attributes',
    t.attributeNames.length ? `${t.attributeNames.join(', ')} (names only)${claim}` : undefined,
  );
  line('client', [t.clientIp, t.userAgent].filter(Boolean).join(' ') || undefined);
  if (t.checks.length) printTrace(t.checks);
  if (t.rawMessage.captured) {
    if (t.rawMessage.xml !== undefined) process.stdout.write(`\nRaw message:\n${t.rawMessage.xml}\n`);
    else if (t.rawMessage.error) process.stdout.write(`\nRaw message: ${t.rawMessage.error}\n`);
    else process.stdout.write('\nRaw message captured (sealed): --raw opens it.\n');
  }
}
