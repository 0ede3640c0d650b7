/**
 * The platform's Standard Webhooks signer lives in the plugin SDK (`@laurel/plugin-sdk`, `StandardWebhooks`), so that
 * plugins receiving webhooks verify with the same code: outbound webhooks and catalogue suppliers import it from here.
 */
import { StandardWebhooks } from '@laurel/plugin-sdk';

export const { SECRET_PREFIX, generateSecret, sign, signatureHeader, verify, verifyWebhook } = StandardWebhooks;
