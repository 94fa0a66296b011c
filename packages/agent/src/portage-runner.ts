import { type Atom, PortageFormatError, parseAtom, parsePortageqEnvvar } from "@binfleet/shared";
import { execa } from "execa";
import type { AgentConfig } from "./agent-config.js";

/** What an update command may ask for; validated before any argv is built from it. */
export interface UpdateRequest {
  readonly atoms: readonly string[];
  readonly getbinpkgonly: boolean;
  readonly pretend: boolean;
  readonly hold: readonly string[];
}

export class InvalidRequestError extends Error {
  override readonly name = "InvalidRequestError";
}

/** Atoms from the bus become argv only after they parse as plain (non-blocker) atoms. */
function safeAtom(text: string): Atom {
  let atom: Atom;
  try {
    atom = parseAtom(text);
  } catch (err) {
    if (err instanceof PortageFormatError) throw new InvalidRequestError(err.message);
    throw err;
  }
  if (atom.blocker !== null) throw new InvalidRequestError(`blocker atoms cannot be merged: ${text}`);
  return atom;
}

/**
 * Builds every Portage command the agent runs, as argv arrays from validated
 * data (never a shell string), and runs them with execa.
 */
export class PortageRunner {
  constructor(private readonly config: AgentConfig) {}

  private get env(): Record<string, string> {
    return { ...this.config.portage.env, NOCOLOR: "true", LC_ALL: "C.UTF-8" };
  }

  /** `emerge --pretend --verbose --update --deep --newuse --getbinpkg @world`: the node's needs. */
  pretendWorldArgv(): string[] {
    return [...this.config.portage.emerge, "--color=n", "--pretend", "--verbose", "--update", "--deep", "--newuse", "--getbinpkg", "@world"];
  }

  /**
   * `emerge --getbinpkg --update --deep --newuse @world`, or with atoms (a security fix)
   * `emerge --getbinpkg --update --oneshot ATOM…`: exactly those packages (and what they lack),
   * not the rest of the node's pending updates.
   */
  updateArgv(req: UpdateRequest): string[] {
    const targets = req.atoms.map((a) => safeAtom(a).raw);
    const hold = req.hold.map((a) => safeAtom(a).raw);
    return [
      ...this.config.portage.emerge,
      "--color=n",
      "--verbose",
      req.getbinpkgonly ? "--getbinpkgonly" : "--getbinpkg",
      "--update",
      ...(targets.length === 0 ? ["--deep", "--newuse"] : []),
      ...(req.pretend ? ["--pretend"] : []),
      ...hold.flatMap((a) => ["--exclude", a]),
      ...(targets.length === 0 ? ["@world"] : ["--oneshot", ...targets]),
    ];
  }

  syncArgv(): string[] {
    return [...this.config.portage.emerge, "--color=n", "--sync"];
  }

  /** Runs argv; each output line goes to `onLine`; resolves with the exit code (never throws for a non-zero exit). */
  async run(argv: readonly string[], onLine: (line: string, stream: "stdout" | "stderr") => void = () => undefined, signal?: AbortSignal): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const [file, ...args] = argv;
    const child = execa(file!, args, { env: this.env, reject: false, ...(signal === undefined ? {} : { cancelSignal: signal }), stripFinalNewline: false });
    const split = (stream: "stdout" | "stderr") => {
      let rest = "";
      return (chunk: Buffer): void => {
        const text = rest + chunk.toString("utf8");
        const lines = text.split("\n");
        rest = lines.pop()!;
        for (const l of lines) onLine(l, stream);
      };
    };
    child.stdout?.on("data", split("stdout"));
    child.stderr?.on("data", split("stderr"));
    const r = await child;
    return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
  }

  /** `portageq envvar NAME…` → values (empty string for unset). */
  async envvars(names: readonly string[]): Promise<Record<string, string>> {
    const r = await this.run([...this.config.portage.portageq, "envvar", ...names]);
    return parsePortageqEnvvar(names, r.stdout);
  }

  async repoPath(repo: string): Promise<string> {
    const r = await this.run([...this.config.portage.portageq, "get_repo_path", "/", repo]);
    return r.stdout.trim();
  }
}
