import type { Command } from "./command.js";
import { COMMANDS } from "./commands/index.js";
import { GLOBAL_OPTIONS, optionLabel } from "./usage.js";

const words = (xs: readonly string[]): string => xs.join(" ");
const flags = (c: Command): string[] => Object.keys(c.options).map((n) => `--${n}`);
const globalFlags = Object.keys(GLOBAL_OPTIONS).map((n) => `--${n}`);

/** A shell word in single quotes (names and help text are ours, but quoting keeps the script valid whatever they say). */
const q = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

/**
 * bash completion for binfleet, from the command registry: command names, their subcommands and
 * options, global options anywhere. Installed as /usr/share/bash-completion/completions/binfleet.
 */
export function bashCompletion(): string {
  const cases = COMMANDS.map((c) => `    ${c.name}) subs=${q(words(c.subcommands ?? []))}; opts=${q(words(flags(c)))} ;;`).join("\n");
  return `# bash completion for binfleet (generated from its command registry)
_binfleet() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="" i subs="" opts=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      --server|--token|--token-file|--ca) ((i++)) ;;
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  if [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W ${q(words([...COMMANDS.map((c) => c.name), ...globalFlags]))} -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
  esac
  if [[ "$cur" == -* || -z "$subs" || $((COMP_CWORD - i)) -gt 1 ]]; then
    COMPREPLY=($(compgen -W "$opts ${words(globalFlags)}" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  fi
}
complete -o default -F _binfleet binfleet
`;
}

/** zsh completion for binfleet (#compdef), from the same registry. */
export function zshCompletion(): string {
  const describe = COMMANDS.map((c) => `    ${q(`${c.name}:${c.summary.replace(/:/g, "\\:")}`)}`).join("\n");
  const cases = COMMANDS.map((c) => {
    const opts = Object.entries(c.options).map(([n, o]) => q(`--${n}[${o.help.replace(/[[\]:]/g, " ")}]${o.type === "string" ? `:${(o.value ?? "value").toLowerCase()}:` : ""}`));
    const subs = c.subcommands === undefined ? "" : ` ${q(`1:subcommand:(${words(c.subcommands)})`)}`;
    return `    ${c.name}) _arguments ${opts.join(" ")}${subs} '*::argument:_default' ;;`;
  }).join("\n");
  const globals = Object.entries(GLOBAL_OPTIONS).map(([n, o]) => q(`--${n}[${optionLabel(n, o).replace(/[[\]:]/g, " ")}]${o.type === "string" ? ":value:" : ""}`));
  return `#compdef binfleet
# zsh completion for binfleet (generated from its command registry)
_binfleet() {
  local -a commands
  commands=(
${describe}
  )
  _arguments -C ${globals.join(" ")} '1:command:->command' '*::argument:->argument'
  case $state in
    command) _describe 'binfleet command' commands ;;
    argument)
      case $words[1] in
${cases}
      esac ;;
  esac
}
_binfleet "$@"
`;
}
