import type { DomainContext } from '../domain/context.js';
import type { Config } from '../infra/config.js';
import { createConfiguredGateway } from '../infra/gateways/from-config.js';
import { documentStoreFor } from '../infra/storage/file-document-store.js';
import type { EngineDeps } from './engine/types.js';

/** What every bot process gives the conversation engine: the database, time, the document store, and Razorpay when configured. */
export async function engineDepsFor(ctx: DomainContext, config: Config, log?: EngineDeps['log']): Promise<EngineDeps> {
  return {
    db: ctx.db,
    clock: ctx.clock,
    timezone: ctx.timezone,
    documentStore: documentStoreFor(config),
    ...(log ? { log } : {}),
    ...(await createConfiguredGateway(config)),
  };
}
