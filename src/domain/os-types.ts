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

/**
 * Host modes of the full API, by the OS type each stands for. A server's OS type is set on its host
 * groups as the first host mode of its type; the others are older modes of the same OS.
 */
export const HOST_MODES: Record<OsType, readonly string[]> = {
  Linux: ["LINUX/IRIX"],
  "HP-UX": ["HP-UX"],
  OpenVMS: ["OVMS"],
  Tru64: ["TRU64"],
  Solaris: ["SOLARIS"],
  NetWare: ["NETWARE"],
  AIX: ["AIX"],
  VMware: ["VMWARE_EX", "VMWARE"],
  Windows: ["WIN_EX", "WIN"],
};

export const ALL_HOST_MODES = Object.values(HOST_MODES).flat();

/** The host mode a server's host groups get for its OS type. */
export function hostModeOf(osType: string): string {
  return (HOST_MODES[osType as OsType] ?? HOST_MODES.Linux)[0] as string;
}

/** The OS type a host mode stands for (Linux for one not known). */
export function osTypeOf(hostMode: string): OsType {
  for (const [os, modes] of Object.entries(HOST_MODES)) if (modes.includes(hostMode)) return os as OsType;
  return "Linux";
}
