// QR codes drawn here, in our own process: a payment link never goes to a QR web service
// (it would leak patients' payment details and fail offline). The libraries load on first use,
// so commands that draw no QR do not pay for them at start-up.

/** A QR code as terminal text (half-block characters, two modules per line). */
export async function terminalQr(text: string): Promise<string> {
  const { default: qrcodeTerminal } = await import('qrcode-terminal');
  let drawn = '';
  // The callback runs before generate() returns.
  qrcodeTerminal.generate(text, { small: true }, (qr) => {
    drawn = qr;
  });
  return drawn;
}

/** A QR code as a PNG image, e.g. for a bot to send. */
export async function pngQr(text: string, options: { width?: number } = {}): Promise<Buffer> {
  const { default: qrcode } = await import('qrcode');
  return qrcode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 4, width: options.width ?? 512 });
}
