/** Types of the compatibility corpus: what a real client sends, and what it decodes. */

/** A type the client decodes: a JSON type name, "?" suffix = the client tolerates absence/null. */
export type Shape =
  | "string"
  | "integer"
  | "number"
  | "boolean"
  | "any"
  | "string?"
  | "integer?"
  | "number?"
  | "boolean?"
  | "any?"
  | { [field: string]: Shape }
  | [Shape];

export interface Step {
  name: string;
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  auth?: "session" | "basic" | "none";
  body?: unknown;
  status: number;
  reads?: Shape;
  exact?: boolean;
  capture?: Record<string, string>;
  jobs?: {
    reads?: Shape;
    capture?: Record<string, string>;
  };
}

export interface Scenario {
  client: "ansible" | "terraform";
  module: string;
  operation: string;
  steps: Step[];
}
