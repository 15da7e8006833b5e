/** Password hashing with argon2id (OWASP's recommended parameters: 19 MiB, 2 passes). */

/**
 * The argon2 binding, loaded at the first hash or check: a restart needs neither before it is
 * ready, and loading the native library costs about 10 ms of it.
 */
let argon2: Promise<typeof import("@node-rs/argon2")> | undefined;
const binding = () => {
  argon2 ??= import("@node-rs/argon2");
  return argon2;
};

// @node-rs/argon2 declares its Algorithm enum as an ambient const enum, which cannot be imported at
// run time; 2 is its Argon2id member.
const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export async function hashPassword(password: string): Promise<string> {
  return (await binding()).hash(password, OPTIONS);
}

/** A valid hash of no one's password: verified against when the user is unknown, so timing does not tell. */
let decoy: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  if (passwordHash === undefined) {
    decoy ??= hashPassword("decoy password of no account");
    const { verify } = await binding();
    await verify(await decoy, password).catch(() => false);
    return false;
  }
  const { verify } = await binding();
  return verify(passwordHash, password).catch(() => false);
}
