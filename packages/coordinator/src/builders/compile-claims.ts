/**
 * The packages the roots of one platform are compiling now. A build's emerge compiles the missing
 * dependencies too (and adds them to the shared PKGDIR): two roots compiling the same package at
 * once would put it there twice. A build starts only when none of what it would compile is
 * claimed by another root's build, and claims it all until it ends.
 */
export class CompileClaims {
  private readonly held = new Set<string>();

  /** Claims every cpv, or none when one is taken: then null. The returned function releases them. */
  take(cpvs: readonly string[]): (() => void) | null {
    const wanted = [...new Set(cpvs)];
    if (wanted.some((c) => this.held.has(c))) return null;
    for (const c of wanted) this.held.add(c);
    return () => {
      for (const c of wanted) this.held.delete(c);
    };
  }
}
