/** The Portage source tarball is not what SHA256SUMS says, or could not be unpacked. */
export class PortageSourceError extends Error {
  override readonly name = "PortageSourceError";
  constructor(
    message: string,
    /** The tarball concerned. */
    readonly tarball: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A machine directory that cannot be made or used (bad path, missing layer, a command that could not start). */
export class MachineError extends Error {
  override readonly name = "MachineError";
  constructor(
    message: string,
    /** The machine directory. */
    readonly dir: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
