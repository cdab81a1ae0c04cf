// browser.mjs — Debian's Chromium through playwright-core, and axe-core.
//
// Pages are tested as a visitor on a phone sees them, with JavaScript OFF:
// Onramp's pages must work without it. axe-core needs JavaScript, so the
// accessibility checks load the same page (same server, same cookies) in a
// second context with JavaScript on and the page's CSP bypassed so the
// injected axe script may run; the markup and styles are identical.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');

export const PHONE = { width: 390, height: 844 };

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A phone-sized context; javaScriptEnabled false unless asked. */
export async function phoneContext(browser, { javaScript = false } = {}) {
  return browser.newContext({
    viewport: PHONE,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    javaScriptEnabled: javaScript,
    bypassCSP: javaScript, // only the axe context injects a script
  });
}

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules plus best practices) on the
 * page, which must be in a JavaScript-enabled context. Returns the
 * violations, each reduced to {id, impact, help, nodes: [html…]}.
 */
export async function axeViolations(page) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    return axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.html.slice(0, 200)} — ${n.failureSummary}`),
  }));
}

/** A readable report of violations (empty string when there are none). */
export function describeViolations(where, violations) {
  if (violations.length === 0) return '';
  const lines = [`${violations.length} accessibility violation(s) on ${where}:`];
  for (const v of violations) {
    lines.push(`- [${v.impact}] ${v.id}: ${v.help}`);
    for (const n of v.nodes.slice(0, 5)) lines.push(`    ${n.replace(/\n/g, ' ')}`);
  }
  return lines.join('\n');
}
