/**
 * Demo data shared by the modules' seeders (`laurel dev`, `laurel seed`): a live program, an admin and
 * partners of every type with a partner admin each. Idempotent: seeding twice adds nothing.
 */
export const DEMO_PROGRAM_CODE = 'demo';
export const DEMO_PASSWORD = 'laurel-demo-2026';
export const DEMO_ADMIN_EMAIL = 'admin@laurel.demo';

/** A NIP with a valid check digit built from a 9-digit base (demo companies, not real ones). */
export function demoNip(base: string): string {
  const weights = [6, 5, 7, 2, 3, 4, 5, 6, 7];
  for (let bump = 0; bump < 10; bump += 1) {
    const digits = String(Number(base) + bump).padStart(9, '0').slice(0, 9);
    const check = digits.split('').reduce((sum, d, i) => sum + Number(d) * weights[i]!, 0) % 11;
    if (check !== 10) return `${digits}${check}`;
  }
  throw new Error(`no valid NIP near ${base}`);
}

export const DEMO_PARTNERS = [
  { legalName: 'Hurtownia Elektryczna Volt Sp. z o.o.', type: 'wholesaler', region: 'mazowieckie', locale: 'pl' },
  { legalName: 'Dystrybucja Północ S.A.', type: 'distributor', region: 'pomorskie', locale: 'pl' },
  { legalName: 'Instal-Serwis Kowalski i Wspólnicy sp.j.', type: 'integrator', region: 'małopolskie', locale: 'pl' },
  { legalName: 'Sklep Techniczny Nowak', type: 'reseller', region: 'śląskie', locale: 'pl' },
  { legalName: 'Auto-Dealer Wiśniewski Sp. z o.o.', type: 'dealer', region: 'wielkopolskie', locale: 'pl' },
  { legalName: 'Baltic Trade Distribution Sp. z o.o.', type: 'distributor', region: 'zachodniopomorskie', locale: 'en' },
  { legalName: 'Системы Интеграции Сп. з о.о.', type: 'integrator', region: 'podkarpackie', locale: 'ru' },
  { legalName: 'Mega Hurt Lublin Sp. z o.o.', type: 'wholesaler', region: 'lubelskie', locale: 'pl' },
  { legalName: 'ReSell IT Poznań Sp. z o.o.', type: 'reseller', region: 'wielkopolskie', locale: 'en' },
  { legalName: 'Dealer Maszyn Rolniczych Agro-Mix', type: 'dealer', region: 'podlaskie', locale: 'pl' },
] as const;

export function demoPartnerEmail(index: number): string {
  return `partner-${index + 1}@laurel.demo`;
}
