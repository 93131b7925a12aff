import { verifyAuditChain, type AuditChainReport } from '../../infra/audit/verify-chain.js';
import { inTransaction, type DomainContext } from '../context.js';
import { authorize } from '../policy.js';

// `roshni audit verify`: the audit log's hash chain is checked whole (migration 0018). The database
// checks for itself that an admin's session asks (roshni_auth.audit_chain_page), and returns only
// positions, ids and hashes.

export async function verifyAudit(ctx: DomainContext, input: { anchorsFile: string; pageSize?: number }): Promise<AuditChainReport> {
  authorize(ctx.actor, 'audit.verify');
  return verifyAuditChain((work) => inTransaction(ctx, (tx) => work(tx.db)), {
    anchorsFile: input.anchorsFile,
    now: ctx.clock.now(),
    ...(input.pageSize ? { pageSize: input.pageSize } : {}),
  });
}
