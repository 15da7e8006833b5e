/**
 * The changes started from this console, followed until done: each answer's command-statuses
 * polled through the SDK (the CLI's wait), with how many of a multi-resource operation's items
 * have completed, and once done, what failed and what was done all the same.
 */
import { useEffect, useState } from "preact/hooks";
import type { BlockplaneClient, CommandStatus, Completed, Failure, Result } from "../client/index.ts";

export interface Operation {
  id: number;
  label: string;
  started: number;
  /** The first command-status's progress while it runs; "completed" once every item has. */
  progress: string;
  /** Items of a multi-resource operation (one command-status each). */
  total: number;
  completed: number;
  /** Set once done. */
  outcome?: "normal" | "error";
  failure?: Failure;
  /** The command-statuses of the items that failed. */
  failedJobs: CommandStatus[];
  /** How many items were done. */
  succeeded: number;
}

let next = 1;
let operations: Operation[] = [];
const listeners = new Set<() => void>();

function changed(op: Operation, patch: Partial<Operation>): void {
  Object.assign(op, patch);
  operations = [...operations];
  for (const listener of listeners) listener();
}

/** The operations of this console, newest first, kept up to date. */
export function useOperations(): Operation[] {
  const [list, setList] = useState(operations);
  useEffect(() => {
    const listener = () => setList(operations);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return list;
}

type Answer = Result<{ statusResource: string } | { statusResource: string }[] | object>;

/** Sends a change and follows it to its end; answers what `client.run` answers. */
export async function track(
  client: BlockplaneClient,
  label: string,
  pending: Promise<Answer>,
): Promise<Result<Completed>> {
  const op: Operation = {
    id: next++,
    label,
    started: Date.now(),
    progress: "sending",
    total: 1,
    completed: 0,
    failedJobs: [],
    succeeded: 0,
  };
  operations = [op, ...operations].slice(0, 50);
  changed(op, {});
  const answer = await pending;
  if (answer.ok) {
    const refs = [answer.data].flat();
    const total = refs.filter((r) => typeof r === "object" && r !== null && "statusResource" in r).length;
    changed(op, { total: Math.max(total, 1), progress: total > 0 ? "unexecuted" : "completed" });
  }
  const result = await client.run(answer as Parameters<BlockplaneClient["run"]>[0], {
    initialDelayMs: 100,
    maxDelayMs: 1000,
    onProgress: (status) => {
      if (op.completed === 0 && status.progress !== "completed") changed(op, { progress: status.progress });
    },
    onItems: (completed) => changed(op, { completed }),
  });
  if (result.ok) {
    changed(op, {
      progress: "completed",
      outcome: "normal",
      completed: op.total,
      succeeded: Math.max(result.data.jobs.length, 1),
    });
  } else {
    const failedJobs = result.failedJobs ?? (result.job ? [result.job] : []);
    changed(op, {
      progress: "completed",
      outcome: "error",
      failure: result,
      failedJobs,
      completed: op.total,
      succeeded: result.partialSuccessResponses?.length ?? 0,
    });
  }
  return result;
}
