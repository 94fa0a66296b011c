/** A failure the simulated tool reports the way Portage would: message lines for stderr and an exit status. */
export class SimError extends Error {
  override readonly name = "SimError";
  constructor(
    message: string,
    /** Exit status of the simulated command (Portage uses 1 for almost everything). */
    readonly exitCode = 1,
    /** Exact stderr text, when Portage prints something other than the message. */
    readonly stderrText?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
