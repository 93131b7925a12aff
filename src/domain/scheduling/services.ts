import type { DomainContext } from '../context.js';
import { NotFoundError } from '../errors.js';

export async function listServices(ctx: DomainContext, options: { includeInactive?: boolean } = {}) {
  return ctx.db
    .selectFrom('services')
    .selectAll()
    .$if(!options.includeInactive, (qb) => qb.where('active', '=', true))
    .orderBy('id')
    .execute();
}

export async function requireServiceByCode(ctx: DomainContext, code: string) {
  const service = await ctx.db.selectFrom('services').selectAll().where('code', '=', code).executeTakeFirst();
  if (!service) throw new NotFoundError(`No service with code ${code}.`);
  return service;
}
