import { escapeHtml } from '../billing/receipt-render.js';

/**
 * One self-contained HTML page (the owner's monthly report, a family's progress chart): the title,
 * the page's own style inline, a header and the body. No script, no link, nothing fetched.
 */
export function standalonePage(page: { title: string; style: string; heading: string; subtitle: string; body: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${page.style}</style>
</head>
<body>
<main>
<header>
<h1>${page.heading}</h1>
<p>${page.subtitle}</p>
</header>
${page.body}
</main>
</body>
</html>
`;
}
