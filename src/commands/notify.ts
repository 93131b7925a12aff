import { InvalidArgumentError, type Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { emit } from '../cli/output.js';
import { withSession } from '../cli/session.js';
import { ConfigError } from '../infra/config.js';
import { authorize } from '../domain/policy.js';
import { channelsFromConfig } from '../infra/channels/from-config.js';
import { ChannelError } from '../infra/channels/channel.js';
import type { ContactChannel } from '../infra/db/schema.js';
import { renderMessage } from '../domain/notifications/templates.js';
import { requireClinicSettings } from '../domain/clinic/settings.js';

const CHANNELS = ['telegram', 'sms', 'email', 'whatsapp'] as const;

function channelName(value: string): ContactChannel {
  if (!(CHANNELS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${CHANNELS.join(', ')}.`);
  return value as ContactChannel;
}

/** Sends one harmless test message straight through a channel (not the outbox), to check its set-up. */
async function test(env: CommandEnv, flags: { channel?: ContactChannel; to?: string }): Promise<number> {
  if (!flags.channel || !flags.to) throw new InvalidArgumentError('--channel and --to are required.');
  return withSession(env, async ({ ctx, config }) => {
    authorize(ctx.actor, 'jobs.run');
    const channel = channelsFromConfig(config)[flags.channel!];
    if (!channel) {
      const needs: Record<ContactChannel, string> = {
        telegram: 'TELEGRAM_BOT_TOKEN',
        email: 'RESEND_API_KEY and ROSHNI_EMAIL_FROM',
        sms: 'FAST2SMS_API_KEY',
        whatsapp: 'a WhatsApp session, which only `roshni start` holds',
      };
      throw new ConfigError(flags.channel!, `is not configured: it needs ${needs[flags.channel!]}`);
    }
    const settings = await requireClinicSettings(ctx);
    const rendered = renderMessage(
      'admin_alert',
      'en',
      { text: 'This is a test message from Roshni.' },
      {
        clinicName: settings.name,
        clinicPhone: settings.phone,
        timezone: ctx.timezone,
      },
    );
    try {
      const sent = await channel.send(flags.to!, { idempotencyKey: `test:${ctx.clock.now().toISOString()}`, kind: 'admin_alert', ...rendered });
      emit(env, { channel: flags.channel, ...sent }, () => `Sent a test message by ${flags.channel} (provider id ${sent.providerMessageId || 'none'}).`);
      return 0;
    } catch (error) {
      if (!(error instanceof ChannelError)) throw error;
      emit(
        env,
        { channel: flags.channel, error: error.message, retryable: error.retryable },
        () => `Not sent: ${error.message}${error.retryable ? ' (temporary: try again later)' : ''}.`,
      );
      return 1;
    }
  });
}

export function register(program: Command, run: RunCommand): void {
  const notify = program.command('notify').description('Check the messaging channels');
  notify
    .command('test')
    .description('Send one test message through a channel')
    .option('--channel <channel>', CHANNELS.join(', '), channelName)
    .option('--to <address>', 'chat id, phone (+91…) or email address')
    .action(run(test));
}
