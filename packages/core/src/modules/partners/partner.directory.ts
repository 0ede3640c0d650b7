import { isAppError, type PartnerDirectory, type PartnerSummary } from '@laurel/plugin-sdk';
import type { PartnerService, PartnerView } from './partner.service.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function summary(p: PartnerView): PartnerSummary {
  return { id: p.id, programId: p.programId, partnerCode: p.partnerCode, legalName: p.legalName, country: p.country, nip: p.nip, regon: p.regon, euVat: p.euVat, type: p.type, status: p.status };
}

/** `partnerDirectoryRef`: partners found by the identifiers other systems use, for plugins. */
export function createPartnerDirectory(partners: () => PartnerService): PartnerDirectory {
  const get: PartnerDirectory['get'] = async (ctx, partnerId) => {
    if (!UUID.test(partnerId)) return null;
    try {
      return summary(await partners().get(ctx, partnerId));
    } catch (error) {
      if (isAppError(error) && error.status === 404) return null;
      throw error;
    }
  };
  return {
    get,
    async find(ctx, programId, identifiers) {
      if (identifiers.partnerId) {
        const found = await get(ctx, identifiers.partnerId);
        return found && found.programId === programId ? found : null;
      }
      if (!UUID.test(programId)) return null;
      const found = await partners().findByIdentifier(ctx, programId, identifiers);
      return found ? summary(found) : null;
    },
  };
}
