/** The host modes a server (host group) can have: how the array presents LUNs to that OS. */
export const OS_TYPES = [
  "Linux",
  "HP-UX",
  "OpenVMS",
  "Tru64",
  "Solaris",
  "NetWare",
  "AIX",
  "VMware",
  "Windows",
] as const;
export type OsType = (typeof OS_TYPES)[number];
