/**
 * Partner scoping, applied in one place: an entity that holds a partner's data declares
 * `filters: partnerScoped('partnerId')`, and the platform sets the filter's parameters on every request's
 * entity manager — a partner user's queries see only their own partner's rows; staff and integrations see
 * all. The filter fails closed: a query on an entity manager whose scope was never set throws.
 */
export const PARTNER_SCOPE_FILTER = 'partnerScope';

export type PartnerScopeArgs = { all: true } | { partnerId: string };

export function partnerScoped(property: string) {
  return {
    [PARTNER_SCOPE_FILTER]: {
      name: PARTNER_SCOPE_FILTER,
      default: true,
      cond: (args: PartnerScopeArgs) => ('all' in args && args.all ? {} : { [property]: (args as { partnerId: string }).partnerId }),
    },
  };
}

/**
 * Program scoping: an admin may be limited to some programs. Entities that belong to a program declare
 * `filters: programScoped('programId')`; the platform sets the parameters from the actor on every request.
 */
export const PROGRAM_SCOPE_FILTER = 'programScope';

export type ProgramScopeArgs = { all: true } | { programIds: string[] };

export function programScoped(property: string) {
  return {
    [PROGRAM_SCOPE_FILTER]: {
      name: PROGRAM_SCOPE_FILTER,
      default: true,
      cond: (args: ProgramScopeArgs) => ('all' in args && args.all ? {} : { [property]: { $in: (args as { programIds: string[] }).programIds } }),
    },
  };
}
