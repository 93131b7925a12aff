/**
 * whatsapp-web.js pulls in Puppeteer. Roshni never downloads a browser at install time:
 * at run time it uses Debian's Chromium (/usr/bin/chromium, or ROSHNI_CHROMIUM_PATH).
 * @type {import("puppeteer").Configuration}
 */
module.exports = {
  skipDownload: true,
};
