/**
 * What POST /webhooks/telegram (src/http) needs of the Telegram bot in webhook mode (src/bot): each
 * side knows this shape, not the other.
 */
export interface TelegramWebhook {
  /** TELEGRAM_WEBHOOK_SECRET: Telegram sends it back in X-Telegram-Bot-Api-Secret-Token. */
  secret: string;
  handleUpdate(update: { update_id: number }): Promise<void>;
  /** False while the bot cannot answer (`roshni start` still reaching the Bot API): updates are then refused for redelivery. */
  ready?(): boolean;
}
