import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Caller } from "@binfleet/api";

/**
 * A browser's login. The cookie carries only the session id; the API token stays on the server,
 * where each page's API calls present it, so the API checks the role of every call as it does for
 * the CLI. `csrf` goes into every form and must come back with each POST.
 */
export interface Session {
  readonly id: string;
  readonly csrf: string;
  readonly token: string;
  readonly caller: Caller;
  readonly expiresAt: number;
}

export interface SessionOptions {
  readonly ttlMs: number;
  /** Sessions kept at most: the oldest is dropped first (a login flood cannot grow memory). */
  readonly max: number;
  readonly now?: () => number;
}

const secret = (): string => randomBytes(32).toString("base64url");

export class Sessions {
  private readonly byId = new Map<string, Session>();
  private readonly now: () => number;

  constructor(private readonly o: SessionOptions) {
    this.now = o.now ?? Date.now;
  }

  create(token: string, caller: Caller): Session {
    const s: Session = { id: secret(), csrf: secret(), token, caller, expiresAt: this.now() + this.o.ttlMs };
    this.byId.set(s.id, s);
    for (const id of this.byId.keys()) {
      if (this.byId.size <= this.o.max) break;
      this.byId.delete(id);
    }
    return s;
  }

  /** The live session of this id, if any (an expired one is forgotten). */
  get(id: string | undefined): Session | null {
    if (id === undefined) return null;
    const s = this.byId.get(id);
    if (s === undefined) return null;
    if (s.expiresAt <= this.now()) {
      this.byId.delete(id);
      return null;
    }
    return s;
  }

  drop(id: string): void {
    this.byId.delete(id);
  }
}

/** Whether a POST's CSRF token is its session's (constant time). */
export function csrfMatches(session: Session, given: string | undefined): boolean {
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(given ?? "");
  return a.length === b.length && timingSafeEqual(a, b);
}
