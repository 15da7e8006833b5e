/**
 * The floor the benchmark compares against: a bare Fastify server with one route that answers a
 * fixed JSON object, validated and serialized from schemas like Blockplane's routes. Run as a child
 * process: `node --import tsx bench/bare.ts <port> <body.json>`; prints "listening" when ready.
 */
import fs from "node:fs";
import Fastify from "fastify";

type Schema = Record<string, unknown>;

/** A JSON schema describing `value`, so the bare route serializes with fast-json-stringify too. */
function schemaOf(value: unknown): Schema {
  if (Array.isArray(value)) return { type: "array", items: value.length > 0 ? schemaOf(value[0]) : {} };
  if (value === null) return { type: "null" };
  if (typeof value === "object") {
    const properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, schemaOf(v)]));
    return { type: "object", properties };
  }
  if (typeof value === "number") return { type: Number.isInteger(value) ? "integer" : "number" };
  return { type: typeof value };
}

const [portText, bodyFile] = process.argv.slice(2);
if (!portText || !bodyFile) throw new Error("usage: bare.ts <port> <body.json>");
const body = JSON.parse(fs.readFileSync(bodyFile, "utf8")) as object;

const app = Fastify();
app.get(
  "/volumes/:id",
  {
    schema: {
      params: {
        type: "object",
        properties: { id: { type: "integer", minimum: 0, maximum: 65279 } },
        additionalProperties: false,
      },
      response: { 200: schemaOf(body) },
    },
  },
  async () => body,
);
await app.listen({ host: "127.0.0.1", port: Number(portText) });
process.stdout.write("listening\n");
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
