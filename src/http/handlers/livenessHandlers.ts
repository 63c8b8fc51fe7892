import { z } from 'zod';
import { RegistryError } from '../../domain/errors/RegistryError';
import { assertDeviceId, assertModuleId } from '../../domain/identity/identityId';
import {
  effectiveInterval,
  indexDeadline,
  withDeadline,
  type LivenessRecord,
} from '../../domain/liveness/LivenessRecord';
import type { IdentityRef } from '../../ports/LivenessStore';
import type { LivenessServices } from '../../application/liveness/LivenessServices';
import { jsonResponse } from '../jsonResponse';
import { pathParam } from '../pathParam';
import { readJsonBody } from '../readJsonBody';
import type { ServiceHandler } from '../httpEndpoint';

export function livenessJson(r: LivenessRecord, services: Pick<LivenessServices, 'policy'>) {
  const { intervalSeconds, graceFactor, source } = effectiveInterval(r, services.policy);
  return {
    deviceId: r.deviceId,
    ...(r.moduleId === null ? {} : { moduleId: r.moduleId }),
    generationId: r.generationId,
    state: r.state,
    stateSince: r.stateSince,
    ...(r.state === 'silent' ? { silentReason: r.silentReason ?? 'heartbeatMissed' } : {}),
    enabled: r.enabled,
    lastSeen: r.lastSeen,
    lastHeartbeat: r.lastHeartbeat,
    intervalSeconds,
    graceFactor,
    intervalSource: source,
    deadline: r.deadline,
    // The hub's connection state events, when it sends them: the newest by sequence number.
    connection:
      r.connectionState === null
        ? null
        : {
            state: r.connectionState,
            at: r.connectionStateAt,
            sequenceNumber: r.connectionSequence,
          },
  };
}

const notTracked = (ref: IdentityRef) =>
  new RegistryError(
    ref.moduleId === null ? 'DeviceNotFound' : 'ModuleNotFound',
    `No liveness is recorded for '${ref.deviceId}${ref.moduleId === null ? '' : `/${ref.moduleId}`}': it was never created or seen`,
  );

async function readEntry(services: LivenessServices, ref: IdentityRef) {
  const found = [...(await services.store.readMany([ref])).values()][0];
  if (!found || found.record.deletedAt !== null) throw notTracked(ref);
  return found;
}

const refOf = (request: Parameters<ServiceHandler>[0]): IdentityRef => ({
  deviceId: assertDeviceId(pathParam(request, 'deviceId')),
  moduleId:
    request.params.moduleId === undefined ? null : assertModuleId(pathParam(request, 'moduleId')),
});

export const getLiveness: ServiceHandler = async (request, { liveness }) =>
  jsonResponse(200, livenessJson((await readEntry(liveness, refOf(request))).record, liveness));

export const livenessPolicyBody = z.strictObject({
  intervalSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .nullable(),
  graceFactor: z.number().min(1).max(100).nullable().optional(),
});

/** Sets (or, with nulls, clears) the interval and grace an operator wants for one identity. */
export const putLiveness: ServiceHandler = async (request, { liveness, devices }) => {
  const ref = refOf(request);
  const body = await readJsonBody(request, livenessPolicyBody, 'liveness policy');
  const device = await devices.get(ref.deviceId);
  for (let attempt = 0; attempt < 5; attempt++) {
    const found = [...(await liveness.store.readMany([ref])).values()][0];
    const base = found?.record.deletedAt === null ? found.record : undefined;
    const now = liveness.clock.now().toISOString();
    const record: LivenessRecord = {
      ...(base ?? {
        deviceId: ref.deviceId,
        moduleId: ref.moduleId,
        generationId: device.generationId,
        createdAt: now,
        deletedAt: null,
        enabled: device.status === 'enabled',
        enabledChangedAt: now,
        state: 'neverSeen',
        stateSince: now,
        lastSeen: null,
        lastHeartbeat: null,
        declaredIntervalSeconds: null,
        declaredAt: null,
        lastSilentAt: null,
        silentReason: null,
        connectionState: null,
        connectionStateAt: null,
        connectionSequence: null,
        deadline: null,
      }),
      configuredIntervalSeconds: body.intervalSeconds,
      configuredGraceFactor: body.graceFactor ?? null,
    };
    const next = withDeadline(record, liveness.policy);
    const { lost } = await liveness.store.write([
      {
        ref,
        record: next,
        before: found?.record ?? null,
        etag: found?.etag ?? null,
        indexedDeadline: found ? indexDeadline(found.record) : null,
        alerts: [],
      },
    ]);
    if (lost.length === 0) {
      liveness.ingest.forget(ref);
      return jsonResponse(200, livenessJson(next, liveness));
    }
  }
  throw new RegistryError('ThrottlingException', 'The liveness entry kept changing: retry');
};

const STATES = ['neverSeen', 'online', 'silent'] as const;

export const listLiveness: ServiceHandler = async (request, { liveness }) => {
  const state = request.query.get('state');
  if (state !== null && !(STATES as readonly string[]).includes(state)) {
    throw new RegistryError(
      'ArgumentInvalid',
      `state must be one of ${STATES.join(', ')}, not '${state.slice(0, 40)}'`,
    );
  }
  const top = Number(request.query.get('top') ?? '100');
  if (!Number.isInteger(top) || top < 1 || top > 1000)
    throw new RegistryError('ArgumentInvalid', 'top must be a whole number from 1 to 1000');
  const page = await liveness.store.listByState(
    (state ?? undefined) as (typeof STATES)[number] | undefined,
    top,
    request.headers.get('x-ms-continuation') || undefined,
  );
  return jsonResponse(
    200,
    page.items.map((r) => livenessJson(r, liveness)),
    page.continuationToken ? { 'x-ms-continuation': page.continuationToken } : {},
  );
};

export const livenessSummary: ServiceHandler = async (_request, { liveness }) => {
  const now = liveness.clock.now();
  const [counts, pipeline] = await Promise.all([
    liveness.store.countByState(),
    liveness.pipeline.status(now),
  ]);
  return jsonResponse(200, {
    counts,
    current: pipeline.current,
    pipelineLagSeconds: pipeline.lagSeconds,
    newestProcessed: pipeline.newestProcessed,
    at: now.toISOString(),
  });
};

export const listAlerts: ServiceHandler = async (request, { liveness }) => {
  const order = request.query.get('order') ?? 'oldest';
  if (order !== 'oldest' && order !== 'newest')
    throw new RegistryError(
      'ArgumentInvalid',
      `order must be oldest or newest, not '${order.slice(0, 40)}'`,
    );
  const top = Number(request.query.get('top') ?? '100');
  if (!Number.isInteger(top) || top < 1 || top > 1000)
    throw new RegistryError('ArgumentInvalid', 'top must be a whole number from 1 to 1000');
  const deviceId = request.query.get('deviceId');
  const page = await liveness.store.listAlerts(
    top,
    request.headers.get('x-ms-continuation') || undefined,
    {
      newestFirst: order === 'newest',
      ...(deviceId === null ? {} : { deviceId: assertDeviceId(deviceId) }),
    },
  );
  return jsonResponse(
    200,
    page.items,
    page.continuationToken ? { 'x-ms-continuation': page.continuationToken } : {},
  );
};
