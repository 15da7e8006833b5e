/**
 * The built-in roles of the storage system and the permission each route needs.
 * A user holds a set of roles; a route names one permission; the check is membership.
 */

export const ROLES = [
  "Storage Administrator (View Only)",
  "Storage Administrator (Provisioning)",
  "Storage Administrator (Local Copy)",
  "Storage Administrator (System Resource Management)",
  "Security Administrator (View & Modify)",
] as const;

export type Role = (typeof ROLES)[number];

/** What a route needs. Each permission is granted by exactly one role. */
export type Permission = "view" | "provisioning" | "local-copy" | "system-resource" | "security";

const GRANTED_BY: Record<Permission, Role> = {
  view: "Storage Administrator (View Only)",
  provisioning: "Storage Administrator (Provisioning)",
  "local-copy": "Storage Administrator (Local Copy)",
  "system-resource": "Storage Administrator (System Resource Management)",
  security: "Security Administrator (View & Modify)",
};

/**
 * Every role other than View Only also implies View Only: a provisioner who may create volumes
 * must be able to read them and poll the job that creates them, as on the real array where
 * every user group includes the viewing role.
 */
export function hasPermission(roles: readonly Role[], permission: Permission): boolean {
  if (permission === "view") return roles.length > 0;
  return roles.includes(GRANTED_BY[permission]);
}

export function roleFor(permission: Permission): Role {
  return GRANTED_BY[permission];
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** The roles of the built-in Administrator user group. */
export const ADMINISTRATOR_ROLES: Role[] = [...ROLES];
