import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoClinic } from '../../src/domain/demo/load-demo-clinic.js';
import { monthlyReport } from '../../src/domain/reports/monthly.js';
import { renderMonthlyHtml } from '../../src/domain/reports/monthly-html.js';
import { fixedClock } from '../../src/infra/clock.js';
import { chromiumArgs } from '../../src/infra/chromium-sandbox.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The demo's monthly page in a real browser (Debian's Chromium, as the WhatsApp browser uses; never one
// Puppeteer downloads): it fits a 1,200 px window with no sideways scrolling, the "By service" table's
// Net column is on screen, and it prints on A4 with every table inside the printable width.
// The screenshot and the PDF go to a temporary directory, for a person to look at.

/** The page's own document, in the functions that run inside Chromium (this project compiles without the DOM's types). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- no DOM types here, and the page's code runs in Chromium
declare const document: any;

const CHROMIUM = process.env.ROSHNI_CHROMIUM_PATH ?? '/usr/bin/chromium';
/** A4's printable width at the page's 12 mm margins, in CSS pixels (96 per inch): (210 − 24) mm. */
const A4_CONTENT_PX = Math.floor(((210 - 24) / 25.4) * 96);

describe('the monthly HTML page of the demo clinic, in Chromium', { timeout: 60_000 }, () => {
  let database: TestDatabase;
  let browser: Browser;
  let page: Page;
  const out = mkdtempSync(join(tmpdir(), 'roshni-monthly-'));

  beforeAll(async () => {
    // Not skipped when missing: CI installs Debian's chromium (.ci/run), and so can a developer.
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (or set ROSHNI_CHROMIUM_PATH)`).toBe(true);
    database = await createTestDatabase();
    // The demo on a day of its own: its previous month, November 2026, is a whole month of its past.
    const ctx = systemContext(database.db, fixedClock('2026-12-15T05:30:00Z'));
    await loadDemoClinic(ctx);
    const html = renderMonthlyHtml(await monthlyReport(ctx));
    writeFileSync(join(out, 'monthly.html'), html);
    // Chromium keeps the machine's clock (not the suite's pinned instant), and its sandbox only where it can have it.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'LD_PRELOAD' && !name.startsWith('FAKETIME')));
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      args: chromiumArgs({ sandbox: process.getuid?.() !== 0 }),
      env: env as Record<string, string>,
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 900 });
    await page.setContent(html, { waitUntil: 'load' });
  });
  afterAll(async () => {
    await browser?.close();
    await database?.close();
  });

  it('fits 1,200 px wide: no horizontal scrollbar, and the Net column of "By service" is on screen', async () => {
    const layout = await page.evaluate(() => {
      const section = [...document.querySelectorAll('h2')].find((h) => h.textContent === 'By service')!.parentElement!;
      const table = section.querySelector('table')!;
      const header = [...table.querySelectorAll('thead th')];
      const net = header.findIndex((th) => th.textContent === 'Net');
      const column = [...table.querySelectorAll('tr')].map((tr) => tr.children[net]!.getBoundingClientRect());
      return {
        scrollWidth: document.documentElement.scrollWidth,
        viewport: document.documentElement.clientWidth,
        netIsLast: net === header.length - 1,
        rows: column.length,
        netRight: Math.max(...column.map((r) => r.right)),
        netLeft: Math.min(...column.map((r) => r.left)),
        tableFits: table.scrollWidth <= table.clientWidth,
      };
    });
    await page.screenshot({ path: join(out, 'monthly-1200.png'), fullPage: true });
    expect(layout.scrollWidth, `screenshot in ${out}`).toBeLessThanOrEqual(1200);
    expect(layout.netIsLast).toBe(true);
    expect(layout.rows).toBeGreaterThan(5); // the demo's services, their package sales, and the total
    expect(layout.netLeft).toBeGreaterThan(0);
    expect(layout.netRight).toBeLessThanOrEqual(layout.viewport);
    expect(layout.tableFits).toBe(true);
  });

  it('prints on A4: every table within the printable width, on a few pages of A4', async () => {
    await page.emulateMediaType('print');
    await page.setViewport({ width: A4_CONTENT_PX, height: 1000 });
    const printed = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      widest: Math.max(...[...document.querySelectorAll('table, svg, .figures')].map((e) => e.getBoundingClientRect().right)),
      overflowing: [...document.querySelectorAll('table')].filter((t) => t.scrollWidth > t.clientWidth).length,
    }));
    expect(printed.scrollWidth).toBeLessThanOrEqual(A4_CONTENT_PX);
    expect(printed.widest).toBeLessThanOrEqual(A4_CONTENT_PX);
    expect(printed.overflowing).toBe(0);

    const pdf = Buffer.from(await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true, path: join(out, 'monthly.pdf') }));
    const text = pdf.toString('latin1');
    expect(text.startsWith('%PDF-')).toBe(true);
    const pages = [...text.matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(pages.length).toBeGreaterThanOrEqual(1);
    expect(pages.length).toBeLessThanOrEqual(5);
    // A4 is 595 × 842 points.
    for (const [width, height] of pages) {
      expect(Math.abs(width! - 595)).toBeLessThan(2);
      expect(Math.abs(height! - 842)).toBeLessThan(2);
    }
  });
});
