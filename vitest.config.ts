/**
 * One Vitest run for the whole monorepo: one project per workspace.
 *
 * Tests run on TypeScript source, never on `dist/`: workspace packages expose a custom
 * `tandem-source` export condition pointing at `./src/*.ts`, and both resolvers below list it first.
 * `tsconfig.base.json` declares the same condition (`customConditions`) so `tsc` agrees with Vitest.
 */
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import type { Reporter, TestProject } from 'vitest/node';

const SOURCE_CONDITION = 'tandem-source';

/**
 * Workspaces whose project must contain tests. Vitest's own "no test files" check covers the whole
 * run, so without this a run of only empty projects, or a feature-core that lost its tests while the
 * apps gained some, would pass. Apps start with no tests; they join this list once they have some.
 */
const PROJECTS_THAT_MUST_HAVE_TESTS = ['feature-core', 'store'];

function requireTests(projectNames: readonly string[]): Reporter {
  let projects: readonly TestProject[] = [];
  return {
    onInit(vitest) {
      projects = vitest.projects;
    },
    async onTestRunEnd(testModules) {
      // One plain closing line that CI tools read: "N passed, N failed".
      let passed = 0;
      let failed = 0;
      let skipped = 0;
      for (const module of testModules) {
        for (const test of module.children.allTests()) {
          const state = test.result().state;
          if (state === 'passed') passed++;
          else if (state === 'failed') failed++;
          else skipped++;
        }
      }
      console.log(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
      for (const project of projects) {
        if (!projectNames.includes(project.name)) continue;
        // Unfiltered glob: a run narrowed by a file filter is fine as long as the project has tests.
        const { testFiles } = await project.globTestFiles();
        if (testFiles.length === 0) {
          console.error(`\n[vitest.config] project "${project.name}" has no test files; it must have tests.\n`);
          process.exitCode = 1;
        }
      }
    },
  };
}

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
  test: {
    // Per-project emptiness is checked by requireTests(); empty app projects must not fail the run.
    passWithNoTests: true,
    reporters: ['default', requireTests(PROJECTS_THAT_MUST_HAVE_TESTS)],
    projects: [
      {
        extends: true,
        root: 'packages/feature-core',
        test: { name: 'feature-core', environment: 'node', include: ['src/**/*.test.ts'] },
      },
      {
        extends: true,
        root: 'infra',
        // Integration tests start real brokers and servers: give them time, and run files one at a
        // time so two brokers never compete for the machine's 2 cores.
        test: {
          name: 'infra',
          environment: 'node',
          include: ['src/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        root: 'apps/collector',
        test: {
          name: 'collector',
          environment: 'node',
          include: ['src/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        root: 'apps/edge-aggregator',
        // Its integration tests and drills each start a broker and redis-server: one file at a time.
        test: {
          name: 'edge-aggregator',
          environment: 'node',
          include: ['src/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        root: 'apps/store',
        test: { name: 'store', environment: 'node', include: ['src/**/*.test.ts'] },
      },
    ],
  },
});
