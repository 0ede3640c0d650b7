import { Ajv, type ValidateFunction } from 'ajv';
import jsonLogic from 'json-logic-js';
import { AppError, LOCALES, type EarningEffectType, type EarningOperator, type EarningRuleExtensions, type Locale } from '@laurel/plugin-sdk';

/*
 * Plugin condition operators and effect types (earningRuleExtensionsRef). The evaluator (earning.rules.ts) is pure
 * and shared by posting, simulation and backtest, so the registry is the process's: the operators are also added to
 * json-logic-js (which keeps its operations per process), so an operator works inside `some`, `all`, `filter` … too.
 * One Laurel runs per process; a second one started in the same process (tests) registers its plugins again, and an
 * id then refers to the last registration.
 */

/** `<plugin id>.<name>`: lower case, digits, `-` and `_`. */
export const EXTENSION_ID = /^[a-z][a-z0-9-]{0,39}\.[a-z0-9][a-z0-9_-]{0,59}$/;
export const BUILTIN_EFFECTS = ['per-amount', 'per-quantity', 'per-margin', 'fixed'] as const;

interface Registered<T> {
  value: T;
  validate: ValidateFunction;
}
const operators = new Map<string, Registered<EarningOperator>>();
const effects = new Map<string, Registered<EarningEffectType>>();
const ajv = new Ajv({ allErrors: false, strict: false, useDefaults: true });

/** A plugin operator by name, with its argument check, or undefined. */
export function pluginOperator(name: string): Registered<EarningOperator> | undefined {
  return operators.get(name);
}
/** A plugin effect type by id, or undefined. */
export function pluginEffect(id: string): EarningEffectType | undefined {
  return effects.get(id)?.value;
}

/** Calls a plugin operator with evaluated arguments, after checking them against its schema. */
export function applyOperator(registered: Registered<EarningOperator>, args: unknown[]): unknown {
  if (!registered.validate(args)) {
    const first = registered.validate.errors?.[0];
    throw new Error(`${registered.value.name}: argument ${first?.instancePath || ''} ${first?.message ?? 'is not valid'}`.replace(/\s+/g, ' '));
  }
  return registered.value.apply(...args);
}

/** The registry one app's earning module provides: registers into the process's maps, refusing an id it already took. */
export function createRuleExtensions(): EarningRuleExtensions & { operators(): EarningOperator[]; effects(): EarningEffectType[] } {
  const mine = new Set<string>();
  const claim = (kind: string, id: string) => {
    if (!EXTENSION_ID.test(id)) throw new Error(`Earning ${kind} "${id}" is not of the form <plugin id>.<name> (lower case)`);
    if (mine.has(`${kind}:${id}`)) throw new Error(`Earning ${kind} "${id}" is registered twice`);
    mine.add(`${kind}:${id}`);
  };
  return {
    registerOperator(operator) {
      claim('operator', operator.name);
      if (typeof operator.apply !== 'function') throw new Error(`Earning operator "${operator.name}" has no apply function`);
      const registered = { value: operator, validate: ajv.compile(operator.args) };
      operators.set(operator.name, registered);
      // json-logic-js calls it for a subtree the evaluator hands over (inside some, all, filter …).
      jsonLogic.add_operation(operator.name, (...args: unknown[]) => applyOperator(registered, args));
    },
    registerEffect(effect) {
      claim('effect', effect.id);
      for (const locale of LOCALES) if (!effect.label?.[locale]?.trim()) throw new Error(`Earning effect "${effect.id}" has no ${locale} label`);
      if (typeof effect.compute !== 'function') throw new Error(`Earning effect "${effect.id}" has no compute function`);
      effects.set(effect.id, { value: effect as unknown as EarningEffectType, validate: ajv.compile(effect.params) });
    },
    operators: () => [...operators.values()].map((o) => o.value).filter((o) => mine.has(`operator:${o.name}`)),
    effects: () => [...effects.values()].map((e) => e.value).filter((e) => mine.has(`effect:${e.id}`)),
  };
}

/** The effect types and operators an admin can use, labels in the caller's language. */
export function listExtensions(registry: ReturnType<typeof createRuleExtensions>, locale: Locale) {
  return {
    operators: registry.operators().map((o) => ({ name: o.name, args: o.args as unknown as Record<string, unknown> })),
    effects: registry.effects().map((e) => ({ id: e.id, label: e.label[locale] ?? e.label.en, params: e.params as unknown as Record<string, unknown> })),
  };
}

function invalid(code: string, field: string, params: Record<string, unknown> = {}): AppError {
  return new AppError(code, 422, { params, fields: [{ field, messageKey: `errors.${code}`, params }] });
}

const isLogic = (v: unknown): v is Record<string, unknown> => jsonLogic.is_logic(v);
const isConstant = (v: unknown): boolean => (Array.isArray(v) ? v.every(isConstant) : !isLogic(v));

/** Every plugin operator of a condition whose arguments are all constants gets them checked against its schema. */
function checkOperatorArgs(condition: unknown, field: string): void {
  if (Array.isArray(condition)) return condition.forEach((c) => checkOperatorArgs(c, field));
  if (!isLogic(condition)) return;
  const op = jsonLogic.get_operator(condition);
  const given = condition[op];
  const args = Array.isArray(given) ? given : [given];
  const registered = operators.get(op);
  if (registered && args.every(isConstant) && !registered.validate(args)) {
    const first = registered.validate.errors?.[0];
    throw invalid('EARNING_CONDITION_OPERATOR_ARGS', field, { operator: op, problem: `${first?.instancePath || '/'} ${first?.message ?? 'is not valid'}` });
  }
  args.forEach((a) => checkOperatorArgs(a, field));
}

/**
 * The checks a rule's plugin parts get when it is saved (or simulated as a draft): constant arguments of plugin
 * operators against their schemas, and an effect type that is not built in must be registered, with valid params.
 */
export function checkRuleExtensions(rule: { condition: unknown; effect: { type: string; params?: unknown } }, prefix: string): void {
  checkOperatorArgs(rule.condition, `${prefix}/condition`);
  const type = rule.effect.type;
  if ((BUILTIN_EFFECTS as readonly string[]).includes(type)) return;
  const registered = effects.get(type);
  if (!registered) {
    throw invalid('EARNING_EFFECT_UNKNOWN', `${prefix}/effect/type`, { type, known: [...BUILTIN_EFFECTS, ...effects.keys()].join(', ') });
  }
  const params = rule.effect.params ?? {};
  if (!registered.validate(params)) {
    const first = registered.validate.errors?.[0];
    const missing = first?.keyword === 'required' ? `/${String((first.params as { missingProperty?: string }).missingProperty)}` : '';
    throw invalid('EARNING_EFFECT_PARAMS_INVALID', `${prefix}/effect/params${first?.instancePath ?? ''}${missing}`, { type, problem: first?.message ?? 'is not valid' });
  }
}
