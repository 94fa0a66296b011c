import { readFile } from "node:fs/promises";
import { en } from "zod/locales";
import * as core from "zod/v4/core";
import { clip } from "./clip.js";
import { closestName } from "./closest-name.js";
import { ConfigError, type ConfigProblem } from "./errors.js";
import { stripJsonComments } from "./jsonc.js";

type Path = readonly PropertyKey[];

const keyPath = (path: Path): string => path.map((k) => clip(String(k), 64)).join(".");
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * zod's English messages for every parse here. zod/mini (the agent's schemas: its classic API
 * costs the idle agent megabytes) sets no locale of its own; classic zod sets this one globally.
 */
export const ZOD_ENGLISH: core.ParseContext<core.$ZodIssue> = { error: en().localeError };

/**
 * The schema a value is checked against once defaults, optionality and transforms are looked
 * through. zod's core classes, so schemas of classic zod and of zod/mini are both understood.
 */
function inner(schema: core.$ZodType): core.$ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof core.$ZodDefault || s instanceof core.$ZodOptional || s instanceof core.$ZodNullable) s = s._zod.def.innerType;
    else if (s instanceof core.$ZodPipe) s = s._zod.def.in;
    else return s;
  }
}

/** What an unknown key could have meant: a key of the same object, or "parent.child" for one written flat ("apiTokens"). */
function knownNames(shape: Readonly<Record<string, core.$ZodType>>): string[] {
  const names = Object.keys(shape);
  for (const [k, v] of Object.entries(shape)) {
    const s = inner(v);
    if (s instanceof core.$ZodObject) names.push(...Object.keys(s._zod.def.shape).map((c) => `${k}.${c}`));
  }
  return names;
}

/**
 * Every key of `value` that `schema` does not know, at any depth. zod drops unknown keys without a
 * word; a mistyped key ("polcy") would leave the setting it meant at its default, silently.
 */
function unknownKeys(schema: core.$ZodType, value: unknown, path: Path, out: ConfigProblem[]): void {
  const s = inner(schema);
  if (s instanceof core.$ZodObject) {
    if (!isRecord(value)) return;
    const shape = s._zod.def.shape;
    const catchall = s._zod.def.catchall;
    for (const [k, v] of Object.entries(value)) {
      if (Object.hasOwn(shape, k)) unknownKeys(shape[k]!, v, [...path, k], out);
      else if (catchall !== undefined && !(catchall instanceof core.$ZodNever)) unknownKeys(catchall, v, [...path, k], out);
      else {
        const meant = closestName(k, knownNames(shape));
        out.push({ key: keyPath([...path, k]), message: `unknown key ${JSON.stringify(clip(k, 64))}${meant === null ? "" : ` (did you mean ${JSON.stringify(meant)}?)`}` });
      }
    }
  } else if (s instanceof core.$ZodArray) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownKeys(s._zod.def.element, v, [...path, i], out));
  } else if (s instanceof core.$ZodRecord) {
    if (isRecord(value)) for (const [k, v] of Object.entries(value)) unknownKeys(s._zod.def.valueType, v, [...path, k], out);
  }
}

/** One error for every problem, each on its own line naming the file and the key path. */
function configError(file: string, problems: readonly ConfigProblem[], cause: unknown): ConfigError {
  const message = problems.map((p) => `${file}: ${p.key === "" ? "" : `${p.key}: `}${p.message}`).join("\n");
  return new ConfigError(message, file, problems[0]!.key, { cause, problems });
}

/**
 * Validates a configuration value once, at the boundary, into a fully defaulted object. Unknown
 * keys are refused at every depth (with the key they most likely meant), and every problem is
 * reported at once: an admin fixes the file in one go, not one error per start.
 */
export function parseConfig<S extends core.$ZodType>(schema: S, value: unknown, file = "<inline>"): core.output<S> {
  const problems: ConfigProblem[] = [];
  unknownKeys(schema, value, [], problems);
  const result = core.safeParse(schema, value, ZOD_ENGLISH);
  const reported = new Set(problems.map((p) => p.key));
  for (const issue of result.error?.issues ?? []) {
    // Unknown keys found above are reported once, with a suggestion, when a schema is strict itself too.
    if (issue.code === "unrecognized_keys" && issue.keys.every((k) => reported.has(keyPath([...issue.path, k])))) continue;
    problems.push({ key: keyPath(issue.path), message: issue.message });
  }
  if (!result.success || problems.length > 0) throw configError(file, problems, result.error);
  return result.data;
}

/** A configuration file's text, parsed as JSON (comments allowed) and validated with {@link parseConfig}. */
export function parseConfigText<S extends core.$ZodType>(schema: S, text: string, file: string): core.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(stripJsonComments(text));
  } catch (err) {
    throw configError(file, [{ key: "", message: `not valid JSON: ${clip((err as Error).message)}` }], err);
  }
  return parseConfig(schema, value, file);
}

/** Reads a JSON configuration file and validates it with {@link parseConfig}. A missing file is an error naming it. */
export async function loadConfigFile<S extends core.$ZodType>(schema: S, file: string): Promise<core.output<S>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw configError(file, [{ key: "", message: `cannot read: ${(err as Error).message}` }], err);
  }
  return parseConfigText(schema, text, file);
}
