/** Session tokens: 128 random bits as 32 lowercase hex characters, stored only as a SHA-256 digest. */
import { hash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";

export function newToken(): string {
  return randomBytes(16).toString("hex");
}

export function tokenDigest(token: string): string {
  // The one-shot form: a third of createHash's cost, and every authenticated request pays it.
  return hash("sha256", token, "hex");
}

/** Constant-time comparison of two hex digests of equal length. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A password fit to print once: 24 characters from an unambiguous alphabet. */
export function newPassword(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  return Array.from({ length: 24 }, () => alphabet[randomInt(alphabet.length)]).join("");
}
