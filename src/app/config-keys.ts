/**
 * The machinery of configuration keys, shared by config.ts and config-relay.ts: the one-line ConfigError, a key's
 * spec (name, value type, where it goes, its flag) and the message of a bad value.
 */
import type { Config, ConfigFlags } from './config-types.js';
import { showValue, type ValueType } from './config-schema.js';

/** A configuration problem; the message is one line, without the `postroom: ` prefix. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A configuration being built: every field writable. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? (T[K] extends readonly unknown[] ? T[K] : Mutable<T[K]>) : T[K] };
export type Draft = Mutable<Config>;

/** One key of the file (and its flag). */
export interface KeySpec {
  readonly key: string;
  readonly flag?: keyof ConfigFlags;
  readonly type: ValueType<unknown>;
  apply(c: Draft, v: unknown): void;
}

export function key<T>(name: string, type: ValueType<T>, apply: (c: Draft, v: T) => void, flag?: keyof ConfigFlags): KeySpec {
  return { key: name, type, apply: apply as (c: Draft, v: unknown) => void, ...(flag ? { flag } : {}) };
}

/** The one-line error of a bad value. */
export function bad(name: string, value: unknown, expected: string): ConfigError {
  return new ConfigError(`config: ${name} = ${showValue(value)}: expected ${expected}`);
}
