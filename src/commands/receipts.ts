import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { writeText, type CommandEnv } from '../cli/io.js';
import { emit } from '../cli/output.js';
import { withSession } from '../cli/session.js';
import { findReceipt, renderReceiptHtml, renderReceiptText } from '../domain/billing/receipt-render.js';

interface ReceiptFlags {
  format: 'text' | 'html';
  out?: string;
}

async function printReceipt(env: CommandEnv, ref: string, flags: ReceiptFlags): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const receipt = await findReceipt(ctx, ref);
    const rendered = flags.format === 'html' ? renderReceiptHtml(receipt, ctx.timezone) : renderReceiptText(receipt, ctx.timezone);
    if (flags.out) {
      // A receipt names a patient: readable by its owner only.
      await writeFile(flags.out, rendered, { mode: 0o600 });
      emit(env, { ...receipt, file: flags.out }, () => `Wrote ${receipt.kind.replace('_', ' ')} ${receipt.receiptNumber} to ${flags.out}.`);
    } else if (env.json) {
      emit(env, receipt, () => '');
    } else {
      writeText(env.io.stdout, rendered.endsWith('\n') ? rendered : `${rendered}\n`);
    }
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('receipt <number>')
    .description('Print a receipt or credit note, by receipt number, payment reference (PAY-…) or refund reference (RFD-…)')
    .addOption(new Option('--format <format>', 'text for the terminal or a printer, html for a printable page').choices(['text', 'html']).default('text'))
    .option('--out <file>', 'write it to a file instead of the terminal')
    .action(run((env, ref: string, flags: ReceiptFlags) => printReceipt(env, ref, flags)));
}
