/**
 * End-to-end tests: shop in a real browser against the running store.
 *
 * A plain object, not `defineConfig()`: `@playwright/test` is installed with the end-to-end suite
 * (issues 6 and 8), and Playwright reads this shape as is. The browser is Debian's `chromium`, because
 * `npx playwright install` cannot download browsers on these machines; Playwright adds `--headless`.
 *
 * @type {import('@playwright/test').PlaywrightTestConfig}
 */
const config = {
  testDir: 'e2e',
  outputDir: 'test-results',
  reporter: [['list']],
  use: {
    baseURL: 'http://127.0.0.1:3000',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: '/usr/bin/chromium',
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
