// nominate.test.mjs — the public nomination page in a real browser
// (Debian's Chromium) on a phone-sized screen: it works with JavaScript off,
// keeps every answer after an error, and passes axe-core on the empty form,
// the error state, the thanks page and the unsubscribe pages. Also the staff
// mail pages (outbox, templates) pass axe-core.
//
// Run: cd tests/e2e && node --test --test-reporter=tap *.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

import { startServer, onrampBin, sql } from './lib/server.mjs';
import { launchBrowser, phoneContext, axeViolations, describeViolations, PHONE } from './lib/browser.mjs';

const STAFF_EMAIL = 'e2e.mail.staff@example.org';
const STAFF_PASS = 'copper lagoon fiddle 58';

let server;
let browser;

before(async () => {
  server = await startServer();
  execFileSync(onrampBin(), ['user', 'add', '--email', STAFF_EMAIL, '--role', 'staff'], {
    env: server.env,
    input: `${STAFF_PASS}\n`,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const code = await server.stop();
    assert.equal(code, 0, 'onramp serve exits 0 on SIGTERM');
  }
});

function field(page, text) {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return page.getByLabel(new RegExp(`^${escaped}( \\(optional\\))?$`));
}

async function audit(page, where) {
  const problems = [];
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > PHONE.width) problems.push(`${where}: the page is ${width}px wide on a ${PHONE.width}px phone`);
  const text = describeViolations(where, await axeViolations(page));
  if (text) problems.push(text);
  return problems;
}

async function send(page) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/nominate') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Send the nomination' }).click(),
  ]);
  await page.waitForLoadState('load');
  return response;
}

test('a nomination works on a phone without JavaScript', async () => {
  const context = await phoneContext(browser);
  const page = await context.newPage();
  await page.goto(`${server.base}/nominate`);
  // an error first: every answer stays
  await field(page, 'Their first name').fill('Alex');
  await field(page, 'Their last name').fill('Rivera');
  await field(page, 'Why would they be great?').fill('She ran the PTA.\nEveryone listens to her.');
  await field(page, 'Your first name').fill('Jordan');
  await field(page, 'Your last name').fill('Lee');
  await field(page, 'Your email address').fill('jordan.e2e@example.org');
  let res = await send(page);
  assert.equal(res.status(), 422);
  assert.equal(await field(page, 'Their first name').inputValue(), 'Alex');
  assert.equal(await field(page, 'Why would they be great?').inputValue(), 'She ran the PTA.\nEveryone listens to her.');
  await field(page, 'Their email address').fill('alex.e2e@example.org');
  res = await send(page);
  assert.equal(res.status(), 303);
  assert.match(page.url(), /\/nominate\/thanks$/);
  assert.equal(Number(sql(server.dbPath, "SELECT count(*) FROM nominations")), 1);
  assert.equal(Number(sql(server.dbPath, "SELECT count(*) FROM mail_outbox WHERE template_code = 'nomination_invite'")), 1);
  await context.close();
});

test('nomination and mail pages have no accessibility violations', async () => {
  const context = await phoneContext(browser, { javaScript: true });
  const page = await context.newPage();
  const problems = [];
  for (const path of ['/nominate', '/nominate/thanks']) {
    const res = await page.goto(`${server.base}${path}`);
    assert.equal(res.status(), 200, path);
    problems.push(...await audit(page, path));
  }
  await page.goto(`${server.base}/nominate`);
  await field(page, 'Their first name').fill('Kim');
  const res = await send(page);
  assert.equal(res.status(), 422);
  problems.push(...await audit(page, '/nominate (with errors)'));

  // staff: the outbox, a message, the templates, one template
  await page.goto(`${server.base}/login`);
  await field(page, 'Email address').fill(STAFF_EMAIL);
  await field(page, 'Password').fill(STAFF_PASS);
  await Promise.all([page.waitForNavigation(), page.locator('form[action="/login"] [type=submit]').click()]);
  const msg = sql(server.dbPath, 'SELECT min(id) FROM mail_outbox');
  const tpl = sql(server.dbPath, "SELECT id FROM mail_templates WHERE code = 'nomination_invite'");
  for (const path of ['/staff/mail', `/staff/mail/${msg}`, '/staff/mail/templates', `/staff/mail/templates/${tpl}`]) {
    const r = await page.goto(`${server.base}${path}`);
    assert.equal(r.status(), 200, path);
    problems.push(...await audit(page, path));
  }
  await context.close();
  if (problems.length) console.log(problems.join('\n'));
  assert.deepEqual(problems, []);
});
