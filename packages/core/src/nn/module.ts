/**
 * The base of every layer: named parameters (tf.Variable) and sub-modules,
 * kept in registration order so that state dicts are stable across runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, LabError } from '../errors.js';

export type StateDict = Record<string, tf.Tensor>;

export interface LoadStateDictOptions {
  /** Reject keys the module lacks and keys it has that the dict lacks. Default true. */
  strict?: boolean;
}

export abstract class Module {
  private readonly params = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();
  /** Dropout and other train-only behaviour is on while true. */
  training = true;

  /** Registers a parameter; `init` becomes the variable's value and is disposed. */
  protected addParameter(name: string, init: tf.Tensor, trainable = true): tf.Variable {
    if (this.params.has(name) || this.children.has(name)) {
      throw new LabError('MODULE_DUPLICATE_NAME', `"${name}" is registered twice`, { name });
    }
    const v = tf.variable(init, trainable);
    init.dispose();
    this.params.set(name, v);
    return v;
  }

  /** Registers a sub-module under `name`; its parameters appear as `name.<param>`. */
  protected addModule<M extends Module>(name: string, module: M): M {
    if (this.params.has(name) || this.children.has(name)) {
      throw new LabError('MODULE_DUPLICATE_NAME', `"${name}" is registered twice`, { name });
    }
    this.children.set(name, module);
    return module;
  }

  /** Parameters with dotted names (`blocks.0.attn.qkv.weight`), in registration order. */
  namedParameters(prefix = ''): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    for (const [name, v] of this.params) out.push([prefix + name, v]);
    for (const [name, child] of this.children) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  /** Trainable parameters, in registration order. */
  parameters(): tf.Variable[] {
    return this.namedParameters()
      .map(([, v]) => v)
      .filter((v) => v.trainable);
  }

  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [name, child] of this.children) {
      out.push([prefix + name, child], ...child.namedModules(`${prefix}${name}.`));
    }
    return out;
  }

  /** Number of scalar parameters (trainable or not). */
  numParameters(): number {
    return this.namedParameters().reduce((n, [, v]) => n + v.size, 0);
  }

  /** The live variables by name (no copies: do not dispose them). */
  stateDict(): StateDict {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Copies values into the parameters. Errors name the key and both shapes;
   * nothing is assigned unless every check passes.
   */
  loadStateDict(dict: StateDict, options: LoadStateDictOptions = {}): void {
    const strict = options.strict ?? true;
    const own = new Map(this.namedParameters());
    if (strict) {
      const missing = [...own.keys()].filter((k) => !(k in dict));
      if (missing.length > 0) {
        throw new LabError(
          'STATE_DICT_MISSING',
          `state dict lacks ${missing.length} parameter(s): ${missing.slice(0, 5).join(', ')}`,
          {
            missing,
          },
        );
      }
      const extra = Object.keys(dict).filter((k) => !own.has(k));
      if (extra.length > 0) {
        throw new LabError(
          'STATE_DICT_UNEXPECTED',
          `state dict has ${extra.length} unknown key(s): ${extra.slice(0, 5).join(', ')}`,
          {
            extra,
          },
        );
      }
    }
    for (const [key, v] of own) {
      const t = dict[key];
      if (!t) continue;
      if (!tf.util.arraysEqual(t.shape, v.shape)) {
        throw new LabError(
          'STATE_DICT_SHAPE',
          `"${key}": expected shape ${formatShape(v.shape)}, got ${formatShape(t.shape)}`,
          {
            key,
            expected: v.shape,
            actual: t.shape,
          },
        );
      }
      if (t.dtype !== v.dtype) {
        throw new LabError('STATE_DICT_DTYPE', `"${key}": expected dtype ${v.dtype}, got ${t.dtype}`, {
          key,
          expected: v.dtype,
          actual: t.dtype,
        });
      }
    }
    for (const [key, v] of own) {
      const t = dict[key];
      // Assigning a variable to itself would free its own data first.
      if (t && t.dataId !== v.dataId) v.assign(t);
    }
  }

  /** Switches train-only behaviour (dropout) on or off for this module and every sub-module. */
  train(on = true): this {
    this.training = on;
    for (const child of this.children.values()) child.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Frees every parameter. The module is unusable afterwards. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const child of this.children.values()) child.dispose();
    this.params.clear();
    this.children.clear();
  }
}
