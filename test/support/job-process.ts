/**
 * The real server (store, simulated array, job worker, HTTP) as a process of its own, with one
 * test job kind, so that crash tests can kill it in the middle of a job and start it again.
 *
 *   node --import tsx test/support/job-process.ts <server flags>
 *
 * The server flags are those of src/main.ts. The test's own settings come in variables:
 *   JOB_PROCESS_ENQUEUE=<items>:<counter>  enqueue one counted job of that many items at start
 *   JOB_PROCESS_HANG_AFTER=<item>          runs in this process stop after that item until the
 *                                          worker stops (a crash then catches the job half done)
 * Prints one line per event: "listening <port>", "enqueued <statusResource>", "hung <item>".
 */
import { loadConfig } from "../../src/config.ts";
import type { BlockplaneError } from "../../src/domain/errors.ts";
import { assemble } from "../../src/server.ts";
import {
  type ExecutionResult,
  type ItemFailure,
  SIMPLE_OBJECTS,
  succeeded,
} from "../../src/services/jobs.ts";
import { countEffect, deviceWait, simContext } from "./jobs.ts";

export const COUNTED_JOB = "test.counted";

export interface CountedParams {
  items: number;
  /** Names the side effect each item makes once (see `effects` in test/support/jobs.ts). */
  counter: string;
}

const config = loadConfig(process.argv.slice(2), process.env);
const bp = await assemble(config);
const sim = simContext({ bp, config });
const hangAfter = process.env.JOB_PROCESS_HANG_AFTER ? Number(process.env.JOB_PROCESS_HANG_AFTER) : undefined;

// A multi-item handler as the real ones are written: one idempotent device change per item, each
// item's failure caught and reported.
bp.jobs.register<CountedParams>(COUNTED_JOB, async (p, ctx) => {
  const done: ExecutionResult[] = [];
  const failures: ItemFailure[] = [];
  for (let i = 0; i < p.items; i++) {
    const url = `${SIMPLE_OBJECTS}/test-items/${i}`;
    try {
      await countEffect(sim, { signal: ctx.signal, opKey: ctx.opKey(i) }, p.counter);
      done.push(succeeded("CREATE", "TestItem", i, url));
      if (i === hangAfter) {
        process.stdout.write(`hung ${i}\n`);
        await deviceWait(ctx.signal);
      }
    } catch (error) {
      failures.push({ error: error as BlockplaneError, resource: url });
    }
  }
  return { done, failures };
});

const address = await bp.app.listen({ host: config.host, port: config.port });
process.stdout.write(`listening ${new URL(address).port}\n`);

const enqueue = process.env.JOB_PROCESS_ENQUEUE;
if (enqueue) {
  const [items, counter = "default"] = enqueue.split(":");
  const id = await bp.jobs.enqueue(
    COUNTED_JOB,
    { items: Number(items), counter } satisfies CountedParams,
    null,
  );
  process.stdout.write(`enqueued ${SIMPLE_OBJECTS}/command-status/${id}\n`);
}

const stop = () => {
  bp.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
