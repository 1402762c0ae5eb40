/**
 * End-to-end tests: shop in a real browser against the running store.
 *
 * A plain object, not `defineConfig()`, which Playwright reads as is. The browser is Debian's
 * `chromium`, because `npx playwright install` cannot download browsers on these machines;
 * Playwright adds `--headless`. The store's address comes from STORE_E2E_URL (set by the end-to-end
 * stage of `npm test`, which starts the whole stack, tracking on, with a test build of the store on
 * free ports), else the `npm start` default. The stage also passes the stack's Redis, Kafka and
 * topic (e2e/support/stack.ts); specs that look behind the page skip without them.
 *
 * @type {import('@playwright/test').PlaywrightTestConfig}
 */
const config = {
  testDir: 'e2e',
  outputDir: 'test-results',
  reporter: [['list']],
  // Each test has its own browser context (own cookies, so its own cart), but one worker: on a 2-core
  // machine a second one made the run no faster, only each test slower.
  workers: 1,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  retries: 0,
  use: {
    baseURL: process.env.STORE_E2E_URL ?? 'http://127.0.0.1:3000',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
          ],
        },
      },
    },
  ],
};

export default config;
