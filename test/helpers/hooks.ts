/**
 * Mocha root hooks (loaded by .mocharc.json): close what each test created, and make sure a leaked
 * handle can neither go unnoticed nor hang CI.
 */
import { runCleanups } from "./index";

const teardownErrors: string[] = [];

/** After the last test, a process still alive this long has leaked something. */
const LEAK_GRACE_MS = 10_000;

export const mochaHooks = {
  async afterEach(this: Mocha.Context) {
    this.timeout(30_000);
    const errors = await runCleanups();
    for (const err of errors) {
      const title = this.currentTest?.fullTitle() ?? "?";
      teardownErrors.push(`${title}: ${err.message}`);
      console.error(`teardown of "${title}" failed: ${err.stack}`);
    }
  },

  async afterAll() {
    const errors = await runCleanups();
    for (const err of errors) teardownErrors.push(`after all: ${err.message}`);
    // mocha runs with exit: false so that leaks show; this unref'd timer only fires if something
    // else keeps the process alive, and then names it and ends the run as a failure
    setTimeout(() => {
      console.error(
        `\n[test] the process did not exit ${LEAK_GRACE_MS / 1000} s after the last test; active resources: ` +
          JSON.stringify(process.getActiveResourcesInfo()),
      );
      process.exit(process.exitCode || 1);
    }, LEAK_GRACE_MS).unref();
    if (teardownErrors.length > 0) {
      throw new Error(`teardown failed:\n  ${teardownErrors.join("\n  ")}`);
    }
  },
};
