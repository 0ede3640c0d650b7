import { Ajv, type ValidateFunction } from 'ajv';
import { AppError, LOCALES, type FulfilmentProvider, type FulfilmentProviderRegistry } from '@laurel/plugin-sdk';
import { REWARD_TYPES } from './catalogue.entity.ts';

/** A provider id: `manual`, `voucher-pool`, `supplier`, or `<plugin id>.<name>` for a plugin's. */
export const PROVIDER_ID = /^[a-z][a-z0-9-]{0,39}(\.[a-z0-9][a-z0-9-]{0,39})?$/;

export interface ProviderRegistry extends FulfilmentProviderRegistry {
  /** Check a reward's settings for the provider; returns the settings to store or throws a 422 naming the field. */
  checkSettings(provider: FulfilmentProvider, settings: Record<string, unknown> | undefined): Record<string, unknown>;
}

/** The registry behind `fulfilmentProvidersRef`: the built-in providers and those plugins register in `setup`. */
export function createProviderRegistry(): ProviderRegistry {
  const providers = new Map<string, FulfilmentProvider>();
  const validators = new Map<string, ValidateFunction>();
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  return {
    register(provider) {
      if (!PROVIDER_ID.test(provider.id)) throw new Error(`Fulfilment provider id "${provider.id}" is not of the form <plugin id>.<name> (lower case)`);
      if (providers.has(provider.id)) throw new Error(`Fulfilment provider "${provider.id}" is registered twice`);
      for (const locale of LOCALES) if (!provider.label?.[locale]?.trim()) throw new Error(`Fulfilment provider "${provider.id}" has no ${locale} label`);
      if (provider.rewardTypes.length === 0 || provider.rewardTypes.some((t) => !(REWARD_TYPES as readonly string[]).includes(t))) {
        throw new Error(`Fulfilment provider "${provider.id}" serves unknown reward types (${provider.rewardTypes.join(', ')})`);
      }
      if (provider.settings) validators.set(provider.id, ajv.compile(provider.settings));
      providers.set(provider.id, provider);
    },
    get: (id) => providers.get(id),
    list: () => [...providers.values()],
    checkSettings(provider, settings) {
      const validate = validators.get(provider.id);
      const value = structuredClone(settings ?? {});
      if (!validate) {
        if (Object.keys(value).length > 0) throw settingsProblem('', 'must be empty: this provider takes no settings');
        return {};
      }
      if (!validate(value)) {
        const first = validate.errors?.[0];
        const missing = first?.keyword === 'required' ? `/${String((first.params as { missingProperty?: string }).missingProperty)}` : '';
        throw settingsProblem(`${first?.instancePath ?? ''}${missing}`, first?.message ?? 'is not valid');
      }
      return value;
    },
  };
}

function settingsProblem(path: string, problem: string): AppError {
  const params = { problem };
  return new AppError('CATALOGUE_FULFILMENT_SETTINGS_INVALID', 422, { params, fields: [{ field: `/body/fulfilmentSettings${path}`, messageKey: 'errors.CATALOGUE_FULFILMENT_SETTINGS_INVALID', params }] });
}
