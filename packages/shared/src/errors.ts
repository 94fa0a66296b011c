/**
 * The library's named errors. Each keeps its data in typed fields so callers
 * can log and map them without parsing messages.
 */

/** Text that is not what Portage would accept or write: a version, an atom, an index, a vdb entry. */
export class PortageFormatError extends Error {
  override readonly name = "PortageFormatError";
  constructor(
    message: string,
    /** What was being parsed: "version", "atom", "cpv", "packages-index", "vdb", "world", ... */
    readonly kind: string,
    /** The offending input (truncated to 200 characters). */
    readonly input: string,
    /** 1-based line number, when the input is a multi-line document. */
    readonly line?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One thing wrong in a configuration: where, and what. */
export interface ConfigProblem {
  /** Dotted key path, e.g. "nats.urls.0" or "polcy"; "" for the whole document. */
  readonly key: string;
  readonly message: string;
}

/** A configuration file or object that does not validate. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** Everything wrong with it, in one go (the first is `key`); one problem when it was not validated key by key. */
  readonly problems: readonly ConfigProblem[];
  constructor(
    message: string,
    /** The file it came from, or "<inline>" for an object. */
    readonly file: string,
    /** Dotted path of the first bad key, e.g. "nats.urls.0"; "" for the whole document. */
    readonly key: string,
    options?: ErrorOptions & { readonly problems?: readonly ConfigProblem[] },
  ) {
    super(message, options);
    this.problems = options?.problems ?? [{ key, message }];
  }
}

/** What made an advisory unreadable; stable codes for callers that map or count them. */
export type GlsaFormatReason =
  | "too-large"
  | "encoding"
  | "not-well-formed"
  | "too-deep"
  | "doctype"
  | "structure"
  | "range"
  | "arch"
  | "package-name";

/**
 * A GLSA document that is not an advisory Portage's glsa module would read, or that we refuse
 * to read for safety (size, nesting, DTD declarations).
 */
export class GlsaFormatError extends Error {
  override readonly name = "GlsaFormatError";
  constructor(
    message: string,
    readonly reason: GlsaFormatReason,
    /** 1-based line of the offending construct, when known. */
    readonly line: number | null,
    /** The element being read ("vulnerable", "revised", ...), when the problem is in one. */
    readonly element: string | null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * An advisory and package sets on which real Portage's glsa module raises instead of
 * answering (e.g. a revision range with a slot, once something matches it). We refuse the
 * same cases rather than invent a verdict Portage never gives.
 */
export class GlsaEvaluationError extends Error {
  override readonly name = "GlsaEvaluationError";
  constructor(
    message: string,
    /** The advisory's id. */
    readonly glsaId: string,
    /** The atom Portage was matching, as its glsa module writes it (">=~cat/pkg-1.2-r3:2"). */
    readonly atom: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
