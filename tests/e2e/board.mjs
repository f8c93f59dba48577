// board.mjs — the release board in a real headless Chromium (Debian's), driven
// by playwright-core: sign in with HTTP basic credentials, tick flags, press
// "Enable selected", and report what the page shows afterwards as one JSON
// line on stdout.  The caller (tests/t/005_serve.pl) checks the database.
//
// Environment: BOARD_URL, BOARD_USER, BOARD_PASSWORD, BOARD_KEYS (comma list),
// BOARD_NOTE, USER_DATA_DIR (a fresh directory), SCREENSHOT (optional PNG
// path), CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};

const url = env('BOARD_URL');
const keys = env('BOARD_KEYS').split(',').filter(Boolean);
const context = await chromium.launchPersistentContext(env('USER_DATA_DIR'), {
  executablePath: env('CHROMIUM', '/usr/bin/chromium'),
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  httpCredentials: { username: env('BOARD_USER'), password: env('BOARD_PASSWORD') },
  viewport: { width: 1400, height: 800 },
});
let status = 1;
try {
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(30000);
  const first = await page.goto(url);
  if (first.status() !== 200) throw new Error(`GET ${url} answered ${first.status()}`);
  const user = (await page.textContent('#user')).trim();
  for (const key of keys) {
    await page.check(`input[type=checkbox][name=key][value="${key}"]`);
  }
  await page.fill('input[name=note]', env('BOARD_NOTE', 'enabled in the browser test'));
  if (process.env.SCREENSHOT) {
    await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  }
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.click('#enable-selected'),
  ]);
  const message = (await page.textContent('.msg')).trim();
  const remaining = await page.$$eval('tr[data-key]', rows => rows.map(r => r.dataset.key));
  console.log(JSON.stringify({ user, status: response.status(), url: page.url(), message, remaining }));
  status = 0;
} catch (e) {
  console.error(`board.mjs: ${e.message}`);
} finally {
  await context.close();
}
process.exit(status);
