/**
 * Fault rehearsal (docs/faults.md): maintenance on and off, fault rules added and cleared, and the
 * array reset to its factory state. The fault API exists only on a server started with
 * `--faults on`, and only Security Administrators may use it.
 */
import { useState } from "preact/hooks";
import type { PageProps } from "../app.tsx";
import { ChangeForm, ErrorBox, Field, invalid, Section, useLoad } from "../ui.tsx";

const ACTIONS = ["latency", "timeout", "busy", "maintenance", "fail-item", "crash"] as const;
type Action = (typeof ACTIONS)[number];

export function FaultsPage({ signed }: PageProps) {
  return (
    <div>
      <Maintenance signed={signed} />
      <FaultRules signed={signed} />
    </div>
  );
}

function Maintenance({ signed }: PageProps) {
  const { client } = signed;
  const state = useLoad(() => client.GET("/blockplane/v1/maintenance"), [], 2000);
  const [message, setMessage] = useState("");
  const on = state.data?.enabled === true;
  return (
    <Section title="Maintenance">
      <ErrorBox failure={state.failure} />
      <p data-testid="maintenance-state">
        Maintenance is <strong>{on ? "on" : "off"}</strong>
        {on && state.data?.retryAfterSeconds ? ` (Retry-After ${state.data.retryAfterSeconds} s)` : ""}.
      </p>
      {signed.may("system-resource") ? (
        on ? (
          <ChangeForm
            label="End maintenance"
            testId="maintenance-off"
            submit={() => client.DELETE("/blockplane/v1/maintenance")}
            done={state.reload}
          >
            {null}
          </ChangeForm>
        ) : (
          <ChangeForm
            label="Start maintenance"
            testId="maintenance-on"
            submit={() => client.PUT("/blockplane/v1/maintenance", { body: message ? { message } : {} })}
            done={state.reload}
          >
            <Field label="Message" name="maintenanceMessage" value={message} onInput={setMessage} />
          </ChangeForm>
        )
      ) : null}
    </Section>
  );
}

function FaultRules({ signed }: PageProps) {
  const { client } = signed;
  const rules = useLoad(() => client.GET("/blockplane/v1/faults"), [], 2000);
  const [failure, setFailure] = useState<Awaited<ReturnType<typeof client.DELETE>>>();
  if (!signed.may("security")) {
    return (
      <Section title="Fault rules">
        <p class="empty">Fault rules are for Security Administrators.</p>
      </Section>
    );
  }
  if (rules.failure?.status === 404) {
    return (
      <Section title="Fault rules">
        <p class="empty">
          Fault injection is off on this server: start it with <code>--faults on</code> to rehearse failures.
        </p>
      </Section>
    );
  }
  const list = rules.data?.data ?? [];
  return (
    <>
      <Section
        title="Fault rules"
        actions={
          <span class="row-actions">
            <button
              type="button"
              disabled={list.length === 0}
              data-testid="clear-faults"
              onClick={async () => {
                setFailure(await client.DELETE("/blockplane/v1/faults"));
                rules.reload();
              }}
            >
              Clear all
            </button>
            <button
              type="button"
              class="danger"
              data-testid="reset-array"
              onClick={async () => {
                if (!confirm("Return the array to its factory state? Every pool, volume and server goes."))
                  return;
                setFailure(await client.POST("/blockplane/v1/faults/actions/reset-array/invoke"));
              }}
            >
              Reset array
            </button>
          </span>
        }
      >
        <ErrorBox failure={rules.failure ?? (failure && !failure.ok ? failure : undefined)} />
        <table data-testid="fault-rules">
          <thead>
            <tr>
              <th>ID</th>
              <th>Action</th>
              <th>Matches</th>
              <th>Scope</th>
              <th>Left</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.id}>
                <td>{r.id}</td>
                <td>
                  {r.action}
                  {r.latencyMs ? ` ${r.latencyMs} ms` : ""}
                </td>
                <td>
                  {Object.entries(r.match)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(" ") || "everything"}
                </td>
                <td>{r.scope}</td>
                <td>{r.remaining ?? "∞"}</td>
                <td>
                  <button
                    type="button"
                    onClick={async () => {
                      setFailure(
                        await client.DELETE("/blockplane/v1/faults/{id}", { params: { path: { id: r.id } } }),
                      );
                      rules.reload();
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {rules.data && list.length === 0 ? <p class="empty">No fault rule: the array behaves.</p> : null}
      </Section>
      <AddRule signed={signed} changed={rules.reload} />
    </>
  );
}

function AddRule({ signed, changed }: PageProps & { changed: () => void }) {
  const { client } = signed;
  const [action, setAction] = useState<Action>("fail-item");
  const [operation, setOperation] = useState("");
  const [resourceType, setResourceType] = useState("");
  const [method, setMethod] = useState("");
  const [path, setPath] = useState("");
  const [item, setItem] = useState("");
  const [latencyMs, setLatencyMs] = useState("");
  const [count, setCount] = useState("");
  const [message, setMessage] = useState("");
  const number = (v: string) => (v.trim() === "" ? undefined : Number(v));
  return (
    <Section title="Add a fault rule">
      <ChangeForm
        label="Add rule"
        testId="add-fault"
        submit={async () => {
          const match = {
            ...(operation ? { operation } : {}),
            ...(resourceType ? { resourceType } : {}),
            ...(method ? { method } : {}),
            ...(path ? { path } : {}),
            ...(number(item) !== undefined ? { item: number(item) } : {}),
          };
          const body = {
            action,
            match,
            ...(number(latencyMs) !== undefined ? { latencyMs: number(latencyMs) } : {}),
            ...(number(count) !== undefined ? { count: number(count) } : {}),
            ...(message ? { message } : {}),
          };
          if (Object.values(body).some((v) => typeof v === "number" && !Number.isInteger(v)))
            return invalid("Item, latency and count are whole numbers.");
          return client.POST("/blockplane/v1/faults", { body: body as never });
        }}
        done={changed}
      >
        <label class="field">
          <span>Action</span>
          <select
            name="action"
            value={action}
            onChange={(e) => setAction((e.target as HTMLSelectElement).value as Action)}
          >
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <Field
          label="Operation"
          name="operation"
          value={operation}
          onInput={setOperation}
          placeholder="createVolumes"
        />
        <Field
          label="Resource type"
          name="resourceType"
          value={resourceType}
          onInput={setResourceType}
          placeholder="Volume"
        />
        <Field label="Method" name="method" value={method} onInput={setMethod} placeholder="POST" />
        <Field label="Path" name="path" value={path} onInput={setPath} />
        <Field label="Item" name="item" value={item} onInput={setItem} />
        <Field label="Latency (ms)" name="latencyMs" value={latencyMs} onInput={setLatencyMs} />
        <Field label="Count" name="count" value={count} onInput={setCount} />
        <Field label="Message" name="message" value={message} onInput={setMessage} />
      </ChangeForm>
    </Section>
  );
}
