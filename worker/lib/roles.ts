import type { Role } from "../db/schema";
import type { Principal } from "./context";
import { forbidden } from "./errors";

const rank: Record<Role, number> = { viewer: 0, member: 1, admin: 2 };

export function requireRole(p: Principal, role: Role): void {
  if (rank[p.role] < rank[role]) throw forbidden(`this action needs the ${role} role; this token is ${p.role}`);
  if (!p.roleNeeded || rank[p.roleNeeded] < rank[role]) p.roleNeeded = role;
}
