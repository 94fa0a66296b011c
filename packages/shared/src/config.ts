import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { ConfigError } from "./errors.js";

/**
 * Validates a configuration value once, at the boundary, into a fully
 * defaulted object. The error names the file and the first bad key.
 */
export function parseConfig<S extends z.ZodType>(schema: S, value: unknown, file = "<inline>"): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = issue.path.map(String).join(".");
  throw new ConfigError(`${file}: ${key === "" ? "(document)" : key}: ${issue.message}`, file, key, { cause: result.error });
}

/** Reads a JSON configuration file and validates it with {@link parseConfig}. A missing file is an error naming it. */
export async function loadConfigFile<S extends z.ZodType>(schema: S, file: string): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${file}: cannot read: ${(err as Error).message}`, file, "", { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON: ${(err as Error).message}`, file, "", { cause: err });
  }
  return parseConfig(schema, value, file);
}
