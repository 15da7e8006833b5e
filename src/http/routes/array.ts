/**
 * The array as a whole, under Blockplane's own namespace, for test suites and CI: its export as one
 * document (services/array-document.ts), which `--seed` starts a new store from, and its return to
 * the factory state. Security Administrators only: the export lists the users, and a reset removes
 * the whole configuration. Always there, unlike the fault API's reset-array (the same reset).
 */
import { Type } from "typebox";
import { ArrayDocumentSchema } from "../../services/array-document.ts";
import {
  ExecutionResultSchema,
  errorResponses,
  OWN,
  Query,
  type RouteModule,
  SIMPLE_OBJECTS,
} from "./common.ts";

export const ARRAY_URL = `${OWN}/array`;

export const arrayRoutes: RouteModule = (app, { arrayState }) => {
  const tags = ["array"];
  const config = { permission: "security" } as const;

  app.get(
    `${ARRAY_URL}/export`,
    {
      config,
      schema: {
        tags,
        summary: "Export the array's whole configuration",
        description:
          'One JSON document ("format": "blockplane-array/1"): the array\'s identity, drives, pools, ' +
          "volumes and their QoS, ports, servers and their HBAs and iSCSI names, host groups with " +
          "their initiators and LUN paths, connections, snapshots and snapshot groups, and the " +
          "users. A server started with --seed on a new store loads it. Sessions, jobs, maintenance " +
          "and fault rules are not in it, nor password hashes unless passwordHashes=true.",
        querystring: Query({
          passwordHashes: Type.Optional(
            Type.Boolean({
              description:
                "true: include each user's password hash (a secret), so that a seeded store's users log in",
            }),
          ),
        }),
        response: { 200: ArrayDocumentSchema, ...errorResponses() },
      },
    },
    async (request) => arrayState.export({ passwordHashes: request.query.passwordHashes === true }),
  );

  app.post(
    `${ARRAY_URL}/actions/reset/invoke`,
    {
      config,
      schema: {
        tags,
        summary: "Reset the array to its factory state",
        description:
          "Removes every pool, volume, server, connection, snapshot and host group and the array's " +
          "idempotency records, frees every drive, sets every port to its defaults, and makes the " +
          "seeded pool again when --seed-pool is on. Users, sessions, command statuses, fault rules " +
          "and maintenance stay. Run it when no job is running.",
        response: { 200: ExecutionResultSchema, ...errorResponses() },
      },
    },
    async () => {
      await arrayState.reset();
      return {
        affectedResources: [`${SIMPLE_OBJECTS}/storage`],
        operationDetails: [{ operationType: "UPDATE", resourceType: "Storage", resourceId: "instance" }],
      };
    },
  );
};
